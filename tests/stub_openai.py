"""A local, scripted OpenAI-compatible HTTP server for tests and benchmarks.

``StubServer`` answers ``POST /v1/chat/completions`` with replies decided by
the test (a list consumed in order, or a callable), so code that uses the real
``openai`` client can be exercised offline: happy paths, tool calls, rate
limits, auth failures, malformed bodies, latency and timeouts. It records what
it received (bodies, headers, arrival times, peak concurrency) so tests can
assert on what the client sent and how hard it pushed.

Stdlib only, so it runs wherever the tests run.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any, Self

__all__ = ["RecordedRequest", "Reply", "StubServer", "estimate_tokens"]

JSONDict = dict[str, Any]
Responder = Callable[[JSONDict], "Reply"]

# CJK punctuation, kana, ideographs (with extensions), hangul, full-width forms.
_CJK = re.compile(
    "[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef\U00020000-\U0002fa1f]"
)


def estimate_tokens(text: str) -> int:
    """Deterministic token estimate: 0.6 per CJK char, 0.3 per other char."""
    cjk = len(_CJK.findall(text))
    # Round half up rather than Python's banker's rounding, so the number is
    # easy to reproduce by hand in assertions.
    return int(0.6 * cjk + 0.3 * (len(text) - cjk) + 0.5)


def _message_text(messages: Iterable[Any]) -> str:
    parts: list[str] = []
    for msg in messages:
        if not isinstance(msg, dict):
            continue
        content = msg.get("content")
        if isinstance(content, str):
            parts.append(content)
        elif isinstance(content, list):  # multi-part content (text + images)
            parts.extend(p["text"] for p in content if isinstance(p, dict) and isinstance(p.get("text"), str))
    return "".join(parts)


_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "invalid_request_error",
    404: "not_found_error",
    429: "rate_limit_exceeded",
}


@dataclass(frozen=True)
class Reply:
    """One scripted answer. Exactly one of content / tool_call / raw_body is
    normally set; for non-200 statuses ``error_message`` fills an OpenAI-style
    error body."""

    status: int = 200
    content: str | None = None
    tool_call: JSONDict | None = None  # {"name": str, "arguments": dict | str}
    raw_body: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    error_message: str | None = None
    error_code: str | None = None

    @classmethod
    def json(cls, obj: Any, **kw: Any) -> Reply:
        return cls(content=json.dumps(obj, ensure_ascii=False), **kw)

    @classmethod
    def rate_limited(cls, retry_after: float = 1) -> Reply:
        return cls(
            status=429,
            headers={"Retry-After": f"{retry_after:g}"},
            error_message="Rate limit reached (stub)",
            error_code="rate_limit_exceeded",
        )

    @classmethod
    def server_error(cls, msg: str = "Internal server error (stub)") -> Reply:
        return cls(status=500, error_message=msg)

    @classmethod
    def unauthorized(cls) -> Reply:
        msg = "Incorrect API key provided (stub)"
        return cls(status=401, error_message=msg, error_code="invalid_api_key")

    @classmethod
    def bad_request(cls, msg: str = "Bad request (stub)") -> Reply:
        return cls(status=400, error_message=msg)

    @classmethod
    def malformed(cls) -> Reply:
        # Claims JSON but is truncated: the realistic failure (a proxy cutting
        # the stream), and the case the client's JSON parsing must survive.
        return cls(raw_body='{"id": "chatcmpl-stub", "choices": [')

    def render(self, request: JSONDict, seq: int) -> bytes:
        """The response body for ``request``; ``seq`` makes ids unique."""
        if self.raw_body is not None:
            return self.raw_body.encode()
        if self.status != 200:
            err = {
                "message": self.error_message or f"HTTP {self.status} (stub)",
                "type": _ERROR_TYPES.get(self.status, "server_error"),
                "code": self.error_code,
            }
            return json.dumps({"error": err}).encode()
        message: JSONDict = {"role": "assistant", "content": self.content}
        finish, completion_text = "stop", self.content or ""
        if self.tool_call is not None:
            args = self.tool_call.get("arguments", {})
            if not isinstance(args, str):
                args = json.dumps(args, ensure_ascii=False)
            fn = {"name": self.tool_call["name"], "arguments": args}
            call = {"id": f"call_stub_{seq}", "type": "function", "function": fn}
            message.update(content=None, tool_calls=[call])
            finish, completion_text = "tool_calls", args
        prompt = estimate_tokens(_message_text(request.get("messages") or []))
        completion = estimate_tokens(completion_text)
        body = {
            "id": f"chatcmpl-stub-{seq}",
            "object": "chat.completion",
            # Fixed so that identical requests give byte-identical responses.
            "created": 1700000000,
            "model": request.get("model", "stub-model"),
            "choices": [{"index": 0, "message": message, "finish_reason": finish}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
        }
        return json.dumps(body, ensure_ascii=False).encode()


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # keys lower-cased
    body: Any  # parsed JSON, or the raw text when it was not JSON
    timestamp: float  # time.monotonic() at arrival
    client_port: int  # same port on several requests = a reused keep-alive connection


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 so the openai client's pooled keep-alive connections are reused.
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle on, the client's delayed
    # ACK stalls every keep-alive response by ~40 ms.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests must stay quiet on stderr

    def setup(self) -> None:
        super().setup()
        self.server.stub._track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.stub._track(self.connection, add=False)

    def do_POST(self) -> None:
        stub = self.server.stub
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode("utf-8", errors="replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        path = self.path.split("?", 1)[0].rstrip("/")
        headers = {k.lower(): v for k, v in self.headers.items()}
        seq = stub._begin(RecordedRequest(path, headers, body, time.monotonic(), self.client_address[1]))
        try:
            if path not in ("/v1/chat/completions", "/chat/completions"):
                msg = f"stub has no route {self.command} {path}"
                reply = Reply(status=404, error_message=msg)
            elif not isinstance(body, dict):
                reply = Reply.bad_request("request body is not a JSON object")
            else:
                reply = stub._next_reply(body)
            delay = stub.delay_s + reply.delay_s
            if delay > 0:
                time.sleep(delay)
            payload = reply.render(body if isinstance(body, dict) else {}, seq)
            self.send_response(reply.status)
            if "content-type" not in {k.lower() for k in reply.headers}:
                self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            # The client gave up (timeout) and closed the socket mid-delay.
            self.close_connection = True
        finally:
            stub._end()

    do_GET = do_POST  # unknown routes still get a 404 in OpenAI's error shape


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open 64+ connections at once
    allow_reuse_address = True  # fixed per-cassette ports get rebound at once

    def __init__(self, addr: tuple[str, int], stub: StubServer) -> None:
        self.stub = stub
        super().__init__(addr, _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # client disconnects are expected (timeouts); keep stderr clean


class StubServer:
    """Scripted OpenAI-compatible server; use as a context manager."""

    def __init__(
        self,
        replies: Iterable[Reply] | None = None,
        *,
        responder: Responder | None = None,
        delay_s: float = 0.0,
        port: int = 0,
        host: str = "127.0.0.1",
    ) -> None:
        if (replies is None) == (responder is None):
            raise ValueError("pass exactly one of replies or responder")
        self._script = list(replies) if replies is not None else []
        self._responder = responder
        self.delay_s = delay_s
        self._host, self._port = host, port
        self._lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._in_flight = 0
        self._max_concurrent = 0
        self._conns: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # lifecycle
    def start(self) -> Self:
        self._httpd = _HTTPServer((self._host, self._port), self)
        self._port = self._httpd.server_address[1]
        # A short poll interval keeps stop() (and so each test) fast.
        serve = self._httpd.serve_forever
        self._thread = threading.Thread(target=serve, args=(0.02,), daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        # Handler threads of pooled keep-alive connections outlive shutdown();
        # cut them so a stopped stub really answers nothing.
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self._host}:{self._port}/v1"

    # instrumentation
    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def max_concurrent(self) -> int:
        with self._lock:
            return self._max_concurrent

    @property
    def timestamps(self) -> list[float]:
        with self._lock:
            return [r.timestamp for r in self._requests]

    def requests_per_minute(self) -> float:
        """Arrival rate over the span between first and last request."""
        ts = self.timestamps
        if len(ts) < 2 or ts[-1] <= ts[0]:
            return 0.0
        return (len(ts) - 1) * 60.0 / (ts[-1] - ts[0])

    # called from handler threads
    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            (self._conns.add if add else self._conns.discard)(conn)

    def _begin(self, req: RecordedRequest) -> int:
        with self._lock:
            self._requests.append(req)
            self._in_flight += 1
            self._max_concurrent = max(self._max_concurrent, self._in_flight)
            return len(self._requests)

    def _end(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _next_reply(self, body: JSONDict) -> Reply:
        if self._responder is not None:
            try:
                return self._responder(body)
            except Exception as exc:  # a test bug becomes a readable 500
                return Reply.server_error(f"stub responder raised {exc!r}")
        with self._lock:
            if self._script:
                return self._script.pop(0)
        return Reply.server_error("stub script exhausted: more requests than replies")
