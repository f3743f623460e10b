"""Record-or-replay of scripted model conversations, for the model-path tests.

`scripted(name, replies)` yields a base URL. When `cassettes/scripted_<name>.yaml` exists the
conversation is replayed from it with sockets blocked (nothing can reach a server); when it
does not, the test runs against the local stub server (`stub_openai.StubServer`) and vcrpy
records what the real openai client sent and received. The replies are scripted by the
tests, never a real model's; each cassette says so in its first line. Re-record by deleting
the cassette and running the test again (see docs/model.md).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from stub_openai import Reply, StubServer
from test_stub_openai import make_vcr

CASSETTES = Path(__file__).resolve().parent.parent / "cassettes"
REPLAY_URL = "http://127.0.0.1:1/v1"
HEADER = (
    "# Scripted replies: recorded through the real openai client against tests/stub_openai.py (a local stub);\n"
    "# not a real model's output. Re-record: delete this file and rerun its test (docs/model.md).\n"
)
# Credentials, and what changes on every recording (so re-recording an unchanged case gives an identical file).
_RESPONSE_HEADERS_DROPPED = ("set-cookie", "openai-organization", "x-request-id", "openai-project", "date", "server")


def _clean_response(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers", {})
    for name in list(headers):
        if name.lower() in _RESPONSE_HEADERS_DROPPED:
            del headers[name]
    return response


@contextmanager
def scripted(
    name: str, replies: list[Reply] | None = None, responder: Callable[[dict[str, Any]], Reply] | None = None
) -> Iterator[tuple[str, Any]]:
    path = CASSETTES / f"scripted_{name}.yaml"
    recorder = make_vcr(before_record_response=_clean_response)
    if path.exists():
        pytest_socket = pytest.importorskip("pytest_socket")
        pytest_socket.disable_socket(allow_unix_socket=True)  # asyncio loops need socketpair()
        try:
            with recorder.use_cassette(str(path)) as cassette:
                yield REPLAY_URL, cassette
        finally:
            pytest_socket.enable_socket()
        return
    with StubServer(replies, responder=responder) as server, recorder.use_cassette(str(path)) as cassette:
        yield server.base_url, cassette
    if path.exists():
        path.write_text(HEADER + path.read_text(encoding="utf-8"), encoding="utf-8")
