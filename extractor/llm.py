"""The only module that talks to a language model (openai + instructor + tenacity).

It turns chat messages into a validated `ModelReading` against any OpenAI-compatible
endpoint. Failure handling is explicit: rate limits (honouring Retry-After), timeouts,
connection errors and 5xx are retried with backoff by tenacity; auth, not-found and
bad-request errors are not, and say what to fix. The openai client's own retries are off,
so the request counts in `Usage` are honest. A reply that fails schema validation is
re-asked by instructor at most `max_reasks` times with the validation errors (shape only;
no validator here knows any arithmetic). A forced tool call that the server refuses falls
back to JSON mode once. Settings are read from the environment when `settings_from` is
called, never at import. Clients are shared: one per base URL, key and timeout (async ones
per event loop too), since making one costs about 20 ms of CPU.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import os
import random
import ssl
import sys
import threading
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import asdict, dataclass, field
from email.utils import parsedate_to_datetime
from functools import lru_cache, wraps
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlparse

import httpx2
import instructor
import openai
from instructor.core.exceptions import InstructorError, InstructorRetryException
from openai.types.chat import ChatCompletion
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception, stop_after_attempt

from .errors import ConfigError, ModelError
from .schema import ModelReading

ModeName = Literal["tools", "json", "json_schema", "md_json"]
MODES: dict[str, Any] = {
    "tools": instructor.Mode.TOOLS,
    "json": instructor.Mode.JSON,
    "json_schema": instructor.Mode.JSON_SCHEMA,
    "md_json": instructor.Mode.MD_JSON,
}
MAX_TOKENS = 8192  # a full table 三 is a few thousand tokens; JSON modes fail on finish_reason=length
MAX_RETRY_AFTER_S = 120.0
CHAT = "/chat/completions"
# instructor logs every failed attempt at ERROR; outcomes are reported in the output, so keep stderr for the CLI.
logging.getLogger("instructor").addHandler(logging.NullHandler())
logging.getLogger("instructor").propagate = False
# Module attributes (not bound defaults) so tests can make waiting instant and observe it.
SLEEP: Callable[[float], None] = time.sleep
ASLEEP: Callable[[float], Awaitable[None]] = asyncio.sleep


@dataclass(frozen=True)
class Endpoint:
    """What works on one kind of server: its default instructor mode and required extra body."""

    kind: str
    mode: ModeName
    extra_body: dict[str, Any] = field(default_factory=dict)


# Matched against the base URL's host and port; first match wins. See docs/model.md.
ENDPOINTS: tuple[tuple[str, Endpoint], ...] = (
    ("api.openai.com", Endpoint("openai", "tools")),
    ("deepseek.com", Endpoint("deepseek", "json", {"thinking": {"type": "disabled"}})),
    ("dashscope", Endpoint("dashscope", "json", {"enable_thinking": False})),
    (":11434", Endpoint("ollama", "json_schema", {"think": False})),
    (":1234", Endpoint("lmstudio", "json")),
    (":8000", Endpoint("vllm", "json_schema")),
)
UNKNOWN = Endpoint("unknown", "md_json")


def endpoint_for(base_url: str | None) -> Endpoint:
    location = urlparse(base_url or "https://api.openai.com/v1").netloc
    return next((ep for marker, ep in ENDPOINTS if marker in location), UNKNOWN)


@dataclass(frozen=True)
class ModelSettings:
    model: str
    base_url: str | None = None
    api_key: str = field(default="", repr=False)
    mode: ModeName | None = None  # None: the default for the endpoint's kind
    model_when: Literal["always", "needs-review"] = "always"
    use_cache: bool = True
    cache_dir: Path | None = None  # None: cache.default_cache_dir()
    timeout_s: float = 600.0
    max_reasks: int = 2
    max_retries: int = 4

    @property
    def endpoint(self) -> Endpoint:
        return endpoint_for(self.base_url)

    @property
    def resolved_mode(self) -> ModeName:
        return self.mode or self.endpoint.mode


def settings_from(
    model: str, *, base_url: str | None = None, api_key: str | None = None, **options: Any
) -> ModelSettings:
    """Settings for a command: options first, then OPENAI_BASE_URL / OPENAI_API_KEY, read now."""
    key = api_key or os.environ.get("OPENAI_API_KEY", "")
    if not key:
        raise ConfigError(
            f"--model {model} needs an API key: pass --api-key or set OPENAI_API_KEY "
            "(any non-empty value for a local server that ignores keys)"
        )
    url = base_url or os.environ.get("OPENAI_BASE_URL") or None
    if options.get("mode") not in (None, *MODES):
        raise ConfigError(f"--mode {options['mode']} is not one of {', '.join(MODES)}")
    return ModelSettings(model=model, base_url=url, api_key=key, **options)


@dataclass
class Usage:
    """What one report cost: tokens in and out, HTTP requests, transport retries, re-asks."""

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0
    retries: int = 0
    reasks: int = 0
    replies: int = 0
    mode_fallbacks: int = 0
    attempts: int = 0  # instructor attempts in the current mode: the first ask plus its re-asks
    waits: list[float] = field(default_factory=list, repr=False)

    def add_reply(self, response: Any) -> None:
        self.replies += 1
        usage = getattr(response, "usage", None)
        self.input_tokens += int(getattr(usage, "prompt_tokens", 0) or 0)
        self.output_tokens += int(getattr(usage, "completion_tokens", 0) or 0)

    def as_dict(self) -> dict[str, int]:
        data = asdict(self)
        for internal in ("waits", "replies", "attempts"):
            data.pop(internal)
        data["reasks"] = max(self.attempts - 1, 0)
        return data


class ModelCallError(ModelError):
    """The model call failed for good; `reason` is auth | not_found | bad_request | transient | invalid_reply."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


# ---- retries ---------------------------------------------------------------------------------


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits, timeouts, connection errors and server errors. Never 4xx otherwise."""
    if isinstance(exc, openai.RateLimitError | openai.APIConnectionError):  # APITimeoutError is a connection error
        return True
    return isinstance(exc, openai.APIStatusError) and exc.status_code >= 500


def retry_after_s(exc: BaseException | None) -> float | None:
    """The server's own wait (Retry-After seconds or HTTP date, or retry-after-ms), capped."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return min(float(ms) / 1000, MAX_RETRY_AFTER_S)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return min(max(float(value), 0.0), MAX_RETRY_AFTER_S)
    except ValueError:
        try:
            return min(max(parsedate_to_datetime(value).timestamp() - time.time(), 0.0), MAX_RETRY_AFTER_S)
        except (TypeError, ValueError):
            return None


def retry_wait(state: RetryCallState) -> float:
    """Retry-After when the server gives one, else exponential backoff with jitter (0.5 s, 1 s, 2 s … ≤ 30 s)."""
    exc = state.outcome.exception() if state.outcome else None
    told = retry_after_s(exc)
    if told is not None:
        return float(told)
    base: float = min(30.0, 0.5 * 2.0 ** (state.attempt_number - 1))
    return base + random.uniform(0, base / 4)


def _retrying(settings: ModelSettings, usage: Usage, *, is_async: bool) -> Any:
    def note(state: RetryCallState) -> None:
        usage.retries += 1
        usage.waits.append(state.upcoming_sleep)

    policy: dict[str, Any] = {
        "retry": retry_if_exception(is_transient),
        "wait": retry_wait,
        "stop": stop_after_attempt(settings.max_retries + 1),
        "before_sleep": note,
        "reraise": True,
    }
    if is_async:
        return AsyncRetrying(sleep=lambda s: ASLEEP(s), **policy)
    return Retrying(sleep=lambda s: SLEEP(s), **policy)


# ---- calls -----------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _response_model() -> type[ModelReading]:
    # instructor wraps a plain model in a new subclass on every call (pydantic's create_model, about
    # 5 ms, and the schema generated afresh for the new class); a model it wrapped before is used as
    # it is. Same name, fields and schema, so the requests are byte for byte the same.
    wrapped: type[ModelReading] = instructor.openai_schema(ModelReading)
    return wrapped


def _plain(reading: ModelReading) -> ModelReading:
    """instructor's answer as a plain ModelReading: its wrapper class cannot be pickled (to a worker process)."""
    values = {name: getattr(reading, name) for name in ModelReading.model_fields}
    return ModelReading.model_construct(_fields_set=set(reading.model_fields_set), **values)


def _request(settings: ModelSettings, mode: ModeName, messages: list[dict[str, str]]) -> dict[str, Any]:
    kwargs: dict[str, Any] = {
        "response_model": _response_model(),
        "messages": messages,
        "model": settings.model,
        "max_retries": settings.max_reasks,
        "temperature": 0,
        "max_tokens": MAX_TOKENS,
    }
    if settings.endpoint.extra_body:
        kwargs["extra_body"] = settings.endpoint.extra_body
    return kwargs


# ---- clients, shared ----------------------------------------------------------------------------
# A new client opens new connections, and would build a TLS context of its own (reading the CA
# bundle: 20-30 ms of CPU, even for http://); one client per endpoint serves every call, and all of
# them share one TLS context (`_tls`). A client is safe to share between concurrent calls. The
# openai client reads these variables when it is made, so they are part of the key: a later change
# in the environment gets a new client.
_CLIENT_ENV = ("OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_CUSTOM_HEADERS")
_ClientKey = tuple[str | None, str, float, tuple[str | None, ...]]
_SYNC_CLIENTS: dict[_ClientKey, openai.OpenAI] = {}
# An async client's connections belong to the event loop that opened them: one set per loop.
_AsyncClients = dict[_ClientKey, openai.AsyncOpenAI]
_ASYNC_CLIENTS: dict[asyncio.AbstractEventLoop, tuple[_AsyncClients, AsyncGenerator[None, None]]] = {}
_LOCK = threading.Lock()


def _tls() -> ssl.SSLContext:
    """The process's TLS context, as the client would build it (the variables that point it at
    other CA certificates are read now, as the client would read them when it is made)."""
    return _tls_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@lru_cache(maxsize=4)
def _tls_for(cafile: str | None, capath: str | None) -> ssl.SSLContext:
    # An SSLContext is made to be shared by many connections, in any thread or event loop.
    return httpx2.create_ssl_context()


def _client_key(settings: ModelSettings) -> _ClientKey:
    return (settings.base_url, settings.api_key, settings.timeout_s, tuple(os.environ.get(n) for n in _CLIENT_ENV))


def _client_options(settings: ModelSettings) -> dict[str, Any]:
    return {"base_url": settings.base_url, "api_key": settings.api_key, "max_retries": 0, "timeout": settings.timeout_s}


def sync_client(settings: ModelSettings) -> openai.OpenAI:
    """The process's client for these settings' endpoint, key and timeout."""
    key = _client_key(settings)
    with _LOCK:  # read_sync may run in several threads
        client = _SYNC_CLIENTS.get(key)
        if client is None:
            http = openai.DefaultHttpxClient(verify=_tls())  # the client passes its own timeout with every request
            client = _SYNC_CLIENTS[key] = openai.OpenAI(**_client_options(settings), http_client=http)
    return client


# Response models that passed instructor's check for async validators (see `_check_models_once`).
_PASSED: set[object] = set()


def _check_models_once() -> None:
    """Make instructor check each response model for async validators once, not on every call.

    instructor (1.17) rejects response models with async validators, which its runtime cannot
    run, by walking the model's whole type tree, four times per call: about 0.8 ms of the
    client's CPU per call in the batch benchmark, a sixth of the parent process's work per report.
    A model class does not change, so one that passed is let through from then on; one that
    fails is walked, and rejected, every time. Where instructor keeps the check elsewhere (another
    version) this does nothing and every call is checked as before.
    """
    try:
        module = importlib.import_module("instructor.v2.validation.async_validators")
    except ImportError:
        return
    check = getattr(module, "reject_async_validators", None)
    if check is None or getattr(check, "once", False):
        return

    @wraps(check)
    def once(model: Any) -> None:
        try:
            if model in _PASSED:
                return
        except TypeError:  # an unhashable annotation: nothing to remember it by
            check(model)
            return
        check(model)
        _PASSED.add(model)

    once.once = True  # type: ignore[attr-defined]
    # Modules that imported the function by name hold their own reference to it.
    for name, loaded in list(sys.modules.items()):
        if name.startswith("instructor") and getattr(loaded, "reject_async_validators", None) is check:
            loaded.reject_async_validators = once  # type: ignore[attr-defined]


def preload() -> None:
    """Pay the async client's one-time lazy imports now (aiohttp's transport, httpcore2, openai's
    chat types: about 0.3 s). Left to the first call of a batch, they would hold up the event
    loop, and every call in flight with it, while the parser processes wait."""
    openai.DefaultAioHttpClient(verify=_tls())  # imports the aiohttp transport and httpcore2
    importlib.import_module("openai.resources.chat")  # what `client.chat` imports on first use


async def async_client(settings: ModelSettings) -> openai.AsyncOpenAI:
    """The running event loop's client for these settings' endpoint, key and timeout."""
    loop = asyncio.get_running_loop()
    entry = _ASYNC_CLIENTS.get(loop)
    if entry is None:
        clients: _AsyncClients = {}
        closer = _close_at_loop_end(clients)
        with _LOCK:  # loops in other threads may add theirs
            for closed in [old for old in _ASYNC_CLIENTS if old.is_closed()]:
                del _ASYNC_CLIENTS[closed]
            entry = _ASYNC_CLIENTS[loop] = (clients, closer)  # held: a collected generator would close them early
        await anext(closer)  # runs to its `yield` at once: no other call of this loop gets in between
    clients, key = entry[0], _client_key(settings)
    if key not in clients:
        # aiohttp under the client: httpx2's pool checks every idle connection on each request,
        # a third of the batch's CPU per call at 32 in flight.
        http = openai.DefaultAioHttpClient(verify=_tls())  # the client passes its own timeout with every request
        clients[key] = openai.AsyncOpenAI(**_client_options(settings), http_client=http)
    return clients[key]


async def _close_at_loop_end(clients: _AsyncClients) -> AsyncGenerator[None, None]:
    # asyncio.run closes every suspended async generator of its loop before closing the loop
    # (shutdown_asyncgens), so the shared clients' connections are closed while the loop still runs.
    try:
        yield
    finally:
        for client in clients.values():
            await client.close()
        clients.clear()


def _body(kwargs: dict[str, Any]) -> dict[str, Any]:
    """The request body: what instructor prepared, and the endpoint's extra_body merged in as
    `chat.completions.create(extra_body=...)` would.

    The call goes through `client.post(CHAT, ...)` (the openai client's documented way to send
    parameters it does not model) rather than `chat.completions.create`: create runs its request
    transform over every message on every call, about 0.45 ms of CPU a call, which changes
    nothing in a body of plain strings, numbers and dicts. Auth, base URL, timeout, errors and
    the parsing of the reply are the client's either way; the recorded cassettes, made with
    create, replay against these requests unchanged.
    """
    body = {key: value for key, value in kwargs.items() if key != "extra_body"}
    body.update(kwargs.get("extra_body") or {})
    return body


def read_sync(messages: list[dict[str, str]], settings: ModelSettings, usage: Usage) -> tuple[ModelReading, str]:
    """One report's reading and the mode that produced it; raises ModelCallError when it fails for good."""
    client = sync_client(settings)
    _check_models_once()

    def create(**kwargs: Any) -> Any:
        usage.attempts += 1
        for attempt in _retrying(settings, usage, is_async=False):
            with attempt:
                usage.requests += 1
                response = client.post(CHAT, body=_body(kwargs), cast_to=ChatCompletion)
        usage.add_reply(response)
        return response

    for current in _modes_to_try(settings.resolved_mode):
        try:
            patched = instructor.patch(create=create, mode=MODES[current])
            return _plain(patched(**_request(settings, current, messages))), current
        except Exception as exc:  # classified below; anything unexpected is re-raised there
            if not _falls_back(current, exc):
                raise _classify(exc, settings, usage) from exc
            usage.mode_fallbacks += 1
            usage.attempts = 0
    raise AssertionError("unreachable: the last mode never falls back")


async def read_async(messages: list[dict[str, str]], settings: ModelSettings, usage: Usage) -> tuple[ModelReading, str]:
    """`read_sync` for asyncio callers (bounded-concurrency batch jobs)."""
    client = await async_client(settings)
    _check_models_once()

    async def create(**kwargs: Any) -> Any:
        usage.attempts += 1
        async for attempt in _retrying(settings, usage, is_async=True):
            with attempt:
                usage.requests += 1
                response = await client.post(CHAT, body=_body(kwargs), cast_to=ChatCompletion)
        usage.add_reply(response)
        return response

    for current in _modes_to_try(settings.resolved_mode):
        try:
            patched = instructor.patch(create=create, mode=MODES[current])
            return _plain(await patched(**_request(settings, current, messages))), current
        except Exception as exc:
            if not _falls_back(current, exc):
                raise _classify(exc, settings, usage) from exc
            usage.mode_fallbacks += 1
            usage.attempts = 0
    raise AssertionError("unreachable: the last mode never falls back")


def _modes_to_try(mode: ModeName) -> list[ModeName]:
    return [mode, "json"] if mode == "tools" else [mode]


def _falls_back(mode: ModeName, exc: BaseException) -> bool:
    """A server (or reasoning model) that refuses a forced tool call gets the same request in JSON mode."""
    cause = _root(exc)
    return mode == "tools" and isinstance(cause, openai.BadRequestError) and "tool" in str(cause).lower()


def _root(exc: BaseException) -> BaseException:
    # instructor wraps whatever ended its loop in InstructorRetryException; the cause says what happened.
    if isinstance(exc, InstructorRetryException) and isinstance(exc.__cause__, openai.APIError):
        return exc.__cause__
    return exc


def _classify(exc: BaseException, settings: ModelSettings, usage: Usage) -> Exception:
    cause = _root(exc)
    where = f"{settings.model} at {settings.base_url or 'api.openai.com'}"
    if isinstance(cause, openai.AuthenticationError | openai.PermissionDeniedError):
        return ModelCallError(
            f"{where} rejected the API key ({cause.status_code}); check --api-key or OPENAI_API_KEY and --base-url",
            "auth",
        )
    if isinstance(cause, openai.NotFoundError):
        return ModelCallError(f"{where}: not found (404); check --model and --base-url", "not_found")
    if isinstance(cause, openai.BadRequestError):
        return ModelCallError(
            f"{where} refused the request (400: {_short(cause)}); try --mode json or --mode md_json", "bad_request"
        )
    if is_transient(cause):
        return ModelCallError(
            f"{where} kept failing after {usage.requests} attempts ({_short(cause)}); "
            "try again later or raise --timeout",
            "transient",
        )
    if isinstance(exc, InstructorRetryException | json.JSONDecodeError):
        return ModelCallError(
            f"{where}: the reply did not fit the schema after {max(usage.attempts - 1, 0)} re-asks ({_short(cause)})",
            "invalid_reply",
        )
    if isinstance(exc, InstructorError):
        return ModelCallError(f"{where}: unusable reply ({_short(cause)})", "invalid_reply")
    raise exc


def _short(exc: BaseException) -> str:
    text = " ".join(str(getattr(exc, "message", None) or exc).split())
    return text[:200] + ("…" if len(text) > 200 else "")
