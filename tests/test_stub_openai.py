"""Tests for the stub OpenAI server, driven through the real openai client."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import openai
import pytest
from stub_openai import Reply, StubServer, estimate_tokens

# The stub is a real localhost server: keep these tests runnable even if the
# suite is run with pytest-socket's --disable-socket.
pytestmark = pytest.mark.enable_socket

MESSAGES: list[Any] = [{"role": "user", "content": "把表格转成JSON"}]


def client(server: StubServer, **kw: Any) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key="sk-test-dummy", max_retries=0, **kw)


def test_estimate_tokens() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("表格") == 1  # 1.2
    assert estimate_tokens("abcdefghij") == 3


def test_json_reply_with_usage() -> None:
    with StubServer([Reply.json({"名称": "x", "n": 1})]) as server:
        resp = client(server).chat.completions.create(model="m-1", messages=MESSAGES)
    assert resp.model == "m-1"
    assert resp.choices[0].finish_reason == "stop"
    content = resp.choices[0].message.content
    assert content is not None
    assert json.loads(content) == {"名称": "x", "n": 1}
    assert resp.usage is not None
    assert resp.usage.prompt_tokens == estimate_tokens("把表格转成JSON")
    assert resp.usage.completion_tokens == estimate_tokens(content)
    assert resp.usage.total_tokens == resp.usage.prompt_tokens + resp.usage.completion_tokens
    (req,) = server.requests
    assert req.path == "/v1/chat/completions"
    assert req.body["messages"] == MESSAGES
    assert req.headers["authorization"] == "Bearer sk-test-dummy"


def test_keep_alive_reuses_one_connection_and_stop_cuts_it() -> None:
    with StubServer(responder=lambda body: Reply(content="k")) as server:
        c = client(server)
        for _ in range(3):
            c.chat.completions.create(model="m", messages=MESSAGES)
        assert len({r.client_port for r in server.requests}) == 1
    # The pooled connection's handler thread must not keep answering.
    with pytest.raises(openai.APIConnectionError):
        c.chat.completions.create(model="m", messages=MESSAGES)
    assert server.request_count == 3


def test_tool_call_reply() -> None:
    reply = Reply(tool_call={"name": "Table", "arguments": {"rows": [1, 2]}})
    with StubServer([reply]) as server:
        resp = client(server).chat.completions.create(model="m", messages=MESSAGES)
    choice = resp.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.content is None
    assert choice.message.tool_calls is not None
    call = choice.message.tool_calls[0]
    assert call.type == "function"
    assert call.function.name == "Table"
    assert json.loads(call.function.arguments) == {"rows": [1, 2]}


def test_rate_limited_exposes_retry_after() -> None:
    with (
        StubServer([Reply.rate_limited(retry_after=2)]) as server,
        pytest.raises(openai.RateLimitError) as info,
    ):
        client(server).chat.completions.create(model="m", messages=MESSAGES)
    assert info.value.status_code == 429
    assert info.value.response.headers["retry-after"] == "2"
    assert info.value.code == "rate_limit_exceeded"


def test_unauthorized_and_bad_request_and_server_error() -> None:
    script = [
        Reply.unauthorized(),
        Reply.bad_request("no JSON in prompt"),
        Reply.server_error(),
    ]
    with StubServer(script) as server:
        c = client(server)
        with pytest.raises(openai.AuthenticationError):
            c.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.BadRequestError, match="no JSON in prompt"):
            c.chat.completions.create(model="m", messages=MESSAGES)
        with pytest.raises(openai.InternalServerError):
            c.chat.completions.create(model="m", messages=MESSAGES)
        # Script exhausted: a clear 500 rather than a hang.
        with pytest.raises(openai.InternalServerError, match="script exhausted"):
            c.chat.completions.create(model="m", messages=MESSAGES)


def test_malformed_body_is_not_an_openai_error() -> None:
    # Finding: openai 3.x calls response.json() unguarded for a JSON content
    # type, so a truncated body surfaces as json.JSONDecodeError (a
    # ValueError), NOT as an openai.APIError. Callers must catch both.
    with StubServer([Reply.malformed()]) as server, pytest.raises(json.JSONDecodeError):
        client(server).chat.completions.create(model="m", messages=MESSAGES)


def test_delay_beyond_client_timeout(capfd: pytest.CaptureFixture[str]) -> None:
    with StubServer([Reply(content="late", delay_s=2.0), Reply(content="ok")]) as server:
        c = client(server, timeout=0.3)
        t0 = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            c.chat.completions.create(model="m", messages=MESSAGES)
        assert time.monotonic() - t0 < 1.5
        # The server survives the client hanging up mid-delay.
        resp = c.chat.completions.create(model="m", messages=MESSAGES)
        assert resp.choices[0].message.content == "ok"
    # The broken pipe from the abandoned request is swallowed, not printed.
    assert capfd.readouterr().err == ""


def _call_in_parallel(server: StubServer, n: int) -> tuple[list[str | None], float]:
    c = client(server)
    barrier = threading.Barrier(n)

    def call(_: int) -> str | None:
        barrier.wait()  # release all n requests at the same instant
        return c.chat.completions.create(model="m", messages=MESSAGES).choices[0].message.content

    t0 = time.monotonic()
    with ThreadPoolExecutor(n) as pool:
        results = list(pool.map(call, range(n)))
    return results, time.monotonic() - t0


def test_concurrency_is_not_serialised() -> None:
    with StubServer(responder=lambda body: Reply(content="hi"), delay_s=0.3) as server:
        results, elapsed = _call_in_parallel(server, 8)
    assert results == ["hi"] * 8
    assert server.request_count == 8
    assert server.max_concurrent >= 8
    assert elapsed < 1.5  # serialised would be >= 2.4 s
    assert server.requests_per_minute() > 0


def test_async_client() -> None:
    async def main(base_url: str) -> list[str | None]:
        c = openai.AsyncOpenAI(base_url=base_url, api_key="sk-test-dummy", max_retries=0)
        async with c:
            resps = await asyncio.gather(
                *(
                    c.chat.completions.create(model="m", messages=[{"role": "user", "content": str(i)}])
                    for i in range(4)
                )
            )
        return [r.choices[0].message.content for r in resps]

    def echo(body: dict[str, Any]) -> Reply:
        return Reply(content="echo " + body["messages"][0]["content"])

    with StubServer(responder=echo, delay_s=0.2) as server:
        assert asyncio.run(main(server.base_url)) == [f"echo {i}" for i in range(4)]
    assert server.max_concurrent == 4


def _canonical_stub_host(request: Any) -> Any:  # a vcr.request.Request
    # The stub's port is ephemeral, so rewrite 127.0.0.1:<port> to a fixed
    # authority before recording AND before matching (vcrpy applies
    # before_record_request to both), keeping "port" in match_on meaningful
    # for every other host.
    if request.host == "127.0.0.1":
        request.uri = request.uri.replace(f"127.0.0.1:{request.port}", "127.0.0.1:1", 1)
        request.headers["host"] = "127.0.0.1:1"  # unmatched, but keeps cassettes stable
    return request


def make_vcr(**overrides: Any) -> Any:
    # vcrpy ships no type hints; importorskip also enforces the first version
    # that intercepts httpx2 (older ones silently let traffic through).
    vcr = pytest.importorskip("vcr", minversion="8.2")
    kw: dict[str, Any] = {
        "record_mode": "once",
        "match_on": ["method", "scheme", "host", "port", "path", "query", "body"],
        "filter_headers": [
            *("authorization", "api-key", "x-api-key"),
            *("openai-organization", "openai-project", "cookie"),
        ],
        "decode_compressed_response": True,
        "before_record_request": _canonical_stub_host,
    }
    return vcr.VCR(**(kw | overrides))


def test_vcr_records_then_replays_with_server_stopped(tmp_path: Path) -> None:
    cassette = tmp_path / "stub.yaml"
    my_vcr = make_vcr()
    with StubServer([Reply.json({"a": 1}), Reply.json({"b": 2})]) as server:
        recorded_url = server.base_url
        with my_vcr.use_cassette(str(cassette)):
            c = client(server)
            first = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "one"}])
            second = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "two"}])
    assert server.request_count == 2
    text = cassette.read_text()
    assert "sk-test-dummy" not in text
    assert "127.0.0.1:1/v1/chat/completions" in text
    assert f":{server.port}" not in text

    # Replay with the server stopped and sockets blocked, so any real
    # connection attempt would fail loudly; in reverse order (body matching
    # picks the right answer) and on another port too (canonical host).
    pytest_socket = pytest.importorskip("pytest_socket")
    pytest_socket.disable_socket(allow_unix_socket=True)  # asyncio loops need socketpair()
    try:
        with my_vcr.use_cassette(str(cassette)) as cass:
            c = openai.OpenAI(base_url=recorded_url, api_key="sk-other", max_retries=0)
            r2 = c.chat.completions.create(model="m", messages=[{"role": "user", "content": "two"}])
            other_port = openai.OpenAI(base_url="http://127.0.0.1:9/v1", api_key="x", max_retries=0)
            r1 = other_port.chat.completions.create(model="m", messages=[{"role": "user", "content": "one"}])
            assert cass.all_played
    finally:
        pytest_socket.enable_socket()
    assert r1.choices[0].message.content == first.choices[0].message.content == '{"a": 1}'
    assert r2.choices[0].message.content == second.choices[0].message.content == '{"b": 2}'
    assert server.request_count == 2

    # An unrecorded request is refused instead of reaching the network.
    with my_vcr.use_cassette(str(cassette)), pytest.raises(openai.APIConnectionError) as info:
        c.chat.completions.create(model="m", messages=[{"role": "user", "content": "three"}])
    assert type(info.value.__cause__).__name__ == "CannotOverwriteExistingCassetteException"


def test_64_concurrent_connections_for_benchmarks() -> None:
    # No request is answered before all 64 are held at once: on a loaded machine the first
    # ones could otherwise be answered before the last ones arrive (it failed once in CI so).
    all_held = threading.Barrier(64, timeout=30)

    def answer_when_all_held(body: object) -> Reply:
        all_held.wait()
        return Reply(content="x")

    with StubServer(responder=answer_when_all_held, delay_s=0.2) as server:
        results, _ = _call_in_parallel(server, 64)
    assert results == ["x"] * 64  # a barrier that timed out would have made some of them 500s
    assert server.max_concurrent == 64


def test_gotcha_plain_vcr_replay_breaks_when_the_port_changes(tmp_path: Path) -> None:
    # Without _canonical_stub_host, "port" in match_on pins the cassette to
    # the ephemeral port it was recorded on.
    plain = make_vcr(before_record_request=None)
    cassette = str(tmp_path / "plain.yaml")
    with StubServer([Reply(content="r")]) as server, plain.use_cassette(cassette):
        client(server).chat.completions.create(model="m", messages=MESSAGES)
    with (
        StubServer([]) as other,
        plain.use_cassette(cassette),
        pytest.raises(openai.APIConnectionError) as info,
    ):
        client(other).chat.completions.create(model="m", messages=MESSAGES)
    assert type(info.value.__cause__).__name__ == "CannotOverwriteExistingCassetteException"
    assert other.request_count == 0
