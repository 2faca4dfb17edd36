"""A scripted stand-in for a LiteLLM proxy: a real aiohttp server on 127.0.0.1, on its own thread.

Tests queue what the next chat completion answers (a reply, a stream, an error status, a stall,
a dropped connection, raw bytes) and read back every request it received. Running on its own
thread and event loop, it serves async tests and plain synchronous code (the worker, Blender
scripts) alike. With nothing queued it behaves as an echo model called ``mock-echo``.

    with MockServer() as server:
        server.enqueue(stream(["Hel", "lo"]), status(429, {"error": {"message": "slow down"}}))
        ...  # point a client at server.url
        assert server.requests[0].json["stream"] is True
"""

from __future__ import annotations

import asyncio
import collections
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

__all__ = [
    "CHAT_PATH",
    "ECHO_MODEL",
    "MockServer",
    "Recorded",
    "Scripted",
    "chunk",
    "completion_body",
    "raw",
    "reply",
    "sse",
    "stall",
    "status",
    "stream",
]

CHAT_PATH = "/v1/chat/completions"
ECHO_MODEL = "mock-echo"


@dataclass
class Recorded:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    json: Any
    time: float
    body: bytes = b""

    def header(self, name: str, default: str | None = None) -> str | None:
        """A request header by name, whatever its case (``headers`` keeps the sent case)."""
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return default


Handler = Callable[[web.Request, "MockServer", "Recorded"], Any]


@dataclass
class Scripted:
    """One queued answer: a coroutine function ``(request, server, recorded) -> response``."""

    handler: Handler
    description: str = ""

    def __repr__(self) -> str:
        return f"Scripted({self.description})"


# ---------------------------------------------------------------------------------------------
# Body builders (also handy in tests that craft their own raw streams)


def sse(data: str | Mapping[str, Any], *, event: str | None = None) -> bytes:
    """One server-sent event: ``data`` (a dict is JSON-encoded) with an optional event name."""
    text = data if isinstance(data, str) else json.dumps(data)
    head = f"event: {event}\n" if event else ""
    return (head + "".join(f"data: {line}\n" for line in text.split("\n")) + "\n").encode()


def chunk(
    content: str | None = None,
    *,
    finish_reason: str | None = None,
    model: str = ECHO_MODEL,
    role: str | None = None,
    usage: Mapping[str, int] | None = None,
    choices: bool = True,
) -> dict[str, Any]:
    """A ``chat.completion.chunk`` object as OpenAI and LiteLLM stream them."""
    delta: dict[str, Any] = {}
    if role:
        delta["role"] = role
    if content is not None:
        delta["content"] = content
    body: dict[str, Any] = {
        "id": "chatcmpl-mock",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
        if choices
        else [],
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def _usage_for(prompt: str, text: str) -> dict[str, int]:
    prompt_tokens = max(1, len(prompt.split()))
    completion_tokens = max(1, len(text.split()))
    return {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }


def completion_body(
    text: str,
    *,
    model: str = ECHO_MODEL,
    finish_reason: str = "stop",
    usage: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A non-streamed ``chat.completion`` body."""
    body: dict[str, Any] = {
        "id": "chatcmpl-mock",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": text},
                "finish_reason": finish_reason,
            }
        ],
    }
    if usage is not None:
        body["usage"] = dict(usage)
    return body


def _prompt_of(recorded: Recorded) -> str:
    """The last user message's text (content may be a string or a list of parts)."""
    body = recorded.json if isinstance(recorded.json, dict) else {}
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                return " ".join(
                    str(part.get("text", "")) for part in content if isinstance(part, dict)
                )
            return str(content or "")
    return ""


def _wants_stream(recorded: Recorded) -> bool:
    return isinstance(recorded.json, dict) and recorded.json.get("stream") is True


def _wants_usage(recorded: Recorded) -> bool:
    body = recorded.json if isinstance(recorded.json, dict) else {}
    options = body.get("stream_options")
    return isinstance(options, dict) and options.get("include_usage") is True


def _base_headers(recorded: Recorded, extra: Mapping[str, str] | None, cost: float | None):
    headers = {}
    request_id = recorded.header("x-request-id")
    if request_id:
        headers["x-request-id"] = request_id
    headers["x-litellm-call-id"] = "mock-call"
    if cost is not None:
        headers["x-litellm-response-cost"] = repr(float(cost))
    headers.update(extra or {})
    return headers


async def _wait_for(event: threading.Event, limit: float = 10.0) -> None:
    """Wait on the server's loop until a test thread sets ``event`` (``limit`` s at most)."""
    deadline = time.monotonic() + limit
    # A threading.Event set from the test's thread: poll it rather than block the loop.
    while not event.is_set() and time.monotonic() < deadline:  # noqa: ASYNC110
        await asyncio.sleep(0.002)


def _words(text: str) -> list[str]:
    """Split text into word chunks that join back to exactly the same text."""
    parts = text.split(" ")
    return [part + (" " if index < len(parts) - 1 else "") for index, part in enumerate(parts)]


# ---------------------------------------------------------------------------------------------
# Scripted answers


def reply(
    text: str,
    *,
    model: str = ECHO_MODEL,
    usage: bool = True,
    headers: Mapping[str, str] | None = None,
    cost: float | None = None,
    finish_reason: str = "stop",
) -> Scripted:
    """Answer ``text``: as a JSON body, or as word chunks when the request asked to stream."""

    async def handle(request: web.Request, server: MockServer, recorded: Recorded):
        if _wants_stream(recorded):
            inner = stream(
                _words(text),
                model=model,
                usage=usage,
                headers=headers,
                cost=cost,
                finish_reason=finish_reason,
            )
            return await inner.handler(request, server, recorded)
        counts = _usage_for(_prompt_of(recorded), text) if usage else None
        body = completion_body(text, model=model, finish_reason=finish_reason, usage=counts)
        return web.json_response(body, headers=_base_headers(recorded, headers, cost))

    return Scripted(handle, f"reply {text[:30]!r}")


def stream(
    chunks: Sequence[str],
    *,
    delay: float = 0.0,
    finish_reason: str | None = "stop",
    done: bool = True,
    usage: bool = True,
    headers: Mapping[str, str] | None = None,
    drop_after: int | None = None,
    raw_lines: Sequence[str | bytes] | None = None,
    model: str = ECHO_MODEL,
    cost: float | None = None,
    first_delay: float = 0.0,
    hold: threading.Event | None = None,
    hold_after: int = 1,
) -> Scripted:
    """Stream ``chunks`` as SSE text deltas, then finish_reason, usage and ``[DONE]``.

    ``delay`` waits between writes and ``first_delay`` before the first one; ``drop_after``
    closes the connection abruptly after that many content chunks; ``raw_lines`` replaces the
    whole generated body with these pieces, written as they are (one write each), so tests can
    send malformed events or split bytes anywhere. Usage is sent only when the request asked
    for it with ``stream_options.include_usage`` (as OpenAI does) and ``usage`` is true.
    ``hold`` (a ``threading.Event``) pauses the stream after ``hold_after`` content chunks (or
    raw pieces) until the test sets it (10 s at most), so a test can prove that a delta
    arrived while the server was still writing.
    """

    async def handle(request: web.Request, server: MockServer, recorded: Recorded):
        response = web.StreamResponse(
            status=200,
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                **_base_headers(recorded, headers, cost),
            },
        )
        await response.prepare(request)
        server._stream_began()
        finished = False
        try:
            if first_delay:
                await asyncio.sleep(first_delay)
            if raw_lines is not None:
                pieces = [p.encode() if isinstance(p, str) else p for p in raw_lines]
                for index, piece in enumerate(pieces):
                    if hold is not None and index == hold_after:
                        await _wait_for(hold)
                    if index and delay:
                        await asyncio.sleep(delay)
                    if drop_after is not None and index >= drop_after:
                        server._drop(request)
                        return response
                    await response.write(piece)
                finished = True
                await response.write_eof()
                return response
            first = True
            for index, text in enumerate(chunks):
                if hold is not None and index == hold_after:
                    await _wait_for(hold)
                if drop_after is not None and index >= drop_after:
                    server._drop(request)
                    return response
                if index and delay:
                    await asyncio.sleep(delay)
                role = "assistant" if first else None
                first = False
                await response.write(sse(chunk(text, model=model, role=role)))
            if hold is not None and hold_after == len(chunks):
                await _wait_for(hold)
            if drop_after is not None and drop_after == len(chunks):
                server._drop(request)
                return response
            if delay and chunks:
                await asyncio.sleep(delay)
            if finish_reason is not None:
                await response.write(sse(chunk(finish_reason=finish_reason, model=model)))
            if usage and _wants_usage(recorded):
                text = "".join(chunks)
                counts = _usage_for(_prompt_of(recorded), text)
                await response.write(sse(chunk(model=model, usage=counts, choices=False)))
            if done:
                await response.write(b"data: [DONE]\n\n")
            finished = True
            await response.write_eof()
            return response
        except (asyncio.CancelledError, ConnectionError):
            if not finished:
                server._client_went_away()
            raise

    return Scripted(handle, f"stream of {len(raw_lines or chunks)} pieces")


def status(
    code: int,
    body: str | Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    content_type: str | None = None,
) -> Scripted:
    """Answer with ``code`` and ``body``: a dict is sent as JSON, a string as it is.

    ``content_type`` defaults to JSON for a dict, HTML for a string starting with ``<``, plain
    text otherwise; pass it to send JSON under a wrong content type.
    """
    if isinstance(body, Mapping):
        payload = json.dumps(body).encode()
        ctype = content_type or "application/json"
    elif isinstance(body, str):
        payload = body.encode()
        ctype = content_type or ("text/html" if body.lstrip().startswith("<") else "text/plain")
    else:
        payload = b""
        ctype = content_type or "application/json"

    async def handle(request: web.Request, server: MockServer, recorded: Recorded):
        return web.Response(
            status=code,
            body=payload,
            headers={"Content-Type": ctype, **_base_headers(recorded, headers, None)},
        )

    return Scripted(handle, f"status {code}")


def stall(seconds: float) -> Scripted:
    """Accept the request, then send nothing for ``seconds``; afterwards answer like the echo."""

    async def handle(request: web.Request, server: MockServer, recorded: Recorded):
        await asyncio.sleep(seconds)
        return await server._echo(request, recorded)

    return Scripted(handle, f"stall {seconds}s")


def raw(
    body: bytes | Sequence[bytes],
    content_type: str = "application/json",
    *,
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
    delay: float = 0.0,
) -> Scripted:
    """Answer with exactly these bytes; a sequence is written piece by piece, ``delay`` apart."""
    pieces = [body] if isinstance(body, bytes | bytearray) else list(body)

    async def handle(request: web.Request, server: MockServer, recorded: Recorded):
        response = web.StreamResponse(
            status=status_code,
            headers={"Content-Type": content_type, **_base_headers(recorded, headers, None)},
        )
        if len(pieces) == 1:
            response.content_length = len(pieces[0])
        await response.prepare(request)
        for index, piece in enumerate(pieces):
            if index and delay:
                await asyncio.sleep(delay)
            await response.write(bytes(piece))
        await response.write_eof()
        return response

    return Scripted(handle, f"raw {content_type}")


# ---------------------------------------------------------------------------------------------
# The server


class MockServer:
    """An aiohttp server on 127.0.0.1 with a queue of scripted chat-completion answers.

    ``api_key`` makes it demand ``Authorization: Bearer <api_key>`` (401 otherwise), like a
    LiteLLM proxy with a master key (queued answers are served whatever the key);
    ``ssl_context`` serves HTTPS; ``ready=False`` makes ``/health/readiness`` answer 503;
    ``model_info`` is the body of ``GET /model/info`` (None: 404, as from a server that is
    not a LiteLLM proxy).
    """

    def __init__(
        self,
        *,
        api_key: str | None = None,
        ssl_context: ssl.SSLContext | None = None,
        models: Iterable[str] = (ECHO_MODEL, "mock-analysis"),
        ready: bool = True,
        model_info: Mapping[str, Any] | None = None,
    ) -> None:
        self.api_key = api_key
        self.model_info = model_info
        self.ssl_context = ssl_context
        self.models = list(models)
        self.ready = ready
        self.url = ""
        self.port = 0
        self.requests: list[Recorded] = []
        self.disconnects: list[float] = []
        self.in_flight = 0  # chat requests being answered right now
        self.max_in_flight = 0  # the most at once since start (or reset)
        self._queues: dict[str, collections.deque[Scripted]] = collections.defaultdict(
            collections.deque
        )
        self._stream_started = threading.Event()
        self._disconnected = threading.Event()
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._handlers: set[asyncio.Task] = set()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> MockServer:
        """Start serving on a free port of 127.0.0.1; returns self once it accepts connections."""
        if self._thread is not None:
            return self
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._setup())
            except BaseException as error:  # reported to start()'s caller
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        self._thread = threading.Thread(target=run, name="mock-litellm", daemon=True)
        self._thread.start()
        ready.wait(10)
        if failure:
            self._thread = None
            raise failure[0]
        return self

    async def _setup(self) -> None:
        app = web.Application()
        app.router.add_post(CHAT_PATH, self._chat)
        app.router.add_post("/chat/completions", self._chat)
        app.router.add_get("/v1/models", self._models)
        app.router.add_get("/models", self._models)
        app.router.add_get("/model/info", self._model_info)
        app.router.add_get("/health/liveliness", self._liveliness)
        app.router.add_get("/health/readiness", self._readiness)
        self._runner = web.AppRunner(
            app, handler_cancellation=True, shutdown_timeout=0.2, access_log=None
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0, ssl_context=self.ssl_context)
        await site.start()
        self.port = self._runner.addresses[0][1]
        scheme = "https" if self.ssl_context else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"

    def stop(self) -> None:
        """Stop serving, cancel handlers still running and join the thread (idempotent)."""
        if self._thread is None or self._loop is None:
            return
        loop = self._loop

        async def shutdown() -> None:
            for task in list(self._handlers):
                task.cancel()
            if self._runner is not None:
                await self._runner.cleanup()

        try:
            asyncio.run_coroutine_threadsafe(shutdown(), loop).result(10)
        finally:
            loop.call_soon_threadsafe(loop.stop)
            self._thread.join(10)
            self._thread = None

    def __enter__(self) -> MockServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- scripting and inspection ---------------------------------------------------------------

    def reset(self) -> None:
        """Forget queued answers, recorded requests and disconnects."""
        with self._lock:
            self._queues.clear()
            self.requests.clear()
            self.disconnects.clear()
            self.max_in_flight = self.in_flight
            self._stream_started.clear()
            self._disconnected.clear()

    def enqueue(self, *responses: Scripted) -> None:
        """Queue answers for the next chat completions, first in first out."""
        self.enqueue_for(CHAT_PATH, *responses)

    def enqueue_for(self, path: str, *responses: Scripted) -> None:
        """Queue answers for another path (``/v1/models``, ``/health/liveliness``, ...)."""
        with self._lock:
            self._queues[path].extend(responses)

    @property
    def pending(self) -> int:
        """How many queued answers have not been used yet (all paths)."""
        return sum(len(queue) for queue in self._queues.values())

    @property
    def chat_requests(self) -> list[Recorded]:
        """The recorded chat-completion requests only."""
        return [r for r in self.requests if r.path in (CHAT_PATH, "/chat/completions")]

    @property
    def stream_started(self) -> threading.Event:
        """Set once a streamed answer has sent its headers (cleared by reset())."""
        return self._stream_started

    def wait_for_stream(self, timeout: float = 5.0) -> bool:
        """Block until a stream began; False on timeout."""
        return self._stream_started.wait(timeout)

    def wait_for_disconnect(self, timeout: float = 5.0) -> bool:
        """Block until a streaming client went away before the end; False on timeout."""
        return self._disconnected.wait(timeout)

    # -- internals ------------------------------------------------------------------------------

    def _stream_began(self) -> None:
        self._stream_started.set()

    def _client_went_away(self) -> None:
        self.disconnects.append(time.monotonic())
        self._disconnected.set()

    @staticmethod
    def _drop(request: web.Request) -> None:
        transport = request.transport
        if transport is not None:
            transport.abort()

    async def _record(self, request: web.Request) -> Recorded:
        body = await request.read()
        try:
            parsed = json.loads(body) if body else None
        except ValueError:
            parsed = None
        recorded = Recorded(
            method=request.method,
            path=request.path,
            headers=dict(request.headers),
            json=parsed,
            time=time.monotonic(),
            body=body,
        )
        self.requests.append(recorded)
        return recorded

    def _unauthorized(self, request: web.Request) -> web.Response | None:
        if self.api_key is None:
            return None
        if request.headers.get("Authorization") == f"Bearer {self.api_key}":
            return None
        return web.json_response(
            {
                "error": {
                    "message": "Authentication Error, Invalid proxy server token passed.",
                    "type": "auth_error",
                    "param": "None",
                    "code": "401",
                }
            },
            status=401,
        )

    def _next(self, path: str) -> Scripted | None:
        with self._lock:
            queue = self._queues.get(path)
            return queue.popleft() if queue else None

    async def _serve(self, request: web.Request, default: Handler) -> web.StreamResponse:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            recorded = await self._record(request)
            path = CHAT_PATH if request.path == "/chat/completions" else request.path
            if path == "/models":
                path = "/v1/models"
            scripted = self._next(path)
            counted = path == CHAT_PATH
            if counted:
                self.in_flight += 1
                self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if scripted is None:
                    denied = self._unauthorized(request)
                    if denied is not None and not path.startswith("/health"):
                        return denied
                    return await default(request, self, recorded)
                return await scripted.handler(request, self, recorded)
            finally:
                if counted:
                    self.in_flight -= 1
        finally:
            if task is not None:
                self._handlers.discard(task)

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        return await self._serve(request, lambda r, s, rec: s._echo(r, rec))

    async def _echo(self, request: web.Request, recorded: Recorded) -> web.StreamResponse:
        text = f"Echo: {_prompt_of(recorded)}"
        return await reply(text).handler(request, self, recorded)

    async def _models(self, request: web.Request) -> web.StreamResponse:
        async def listing(r: web.Request, s: MockServer, rec: Recorded) -> web.Response:
            data = [{"id": m, "object": "model", "owned_by": "mock"} for m in s.models]
            return web.json_response({"object": "list", "data": data})

        return await self._serve(request, listing)

    async def _model_info(self, request: web.Request) -> web.StreamResponse:
        async def info(r: web.Request, s: MockServer, rec: Recorded) -> web.Response:
            if s.model_info is None:
                return web.json_response({"detail": "Not Found"}, status=404)
            return web.json_response(dict(s.model_info))

        return await self._serve(request, info)

    async def _liveliness(self, request: web.Request) -> web.StreamResponse:
        async def alive(r: web.Request, s: MockServer, rec: Recorded) -> web.Response:
            return web.json_response("I'm alive!")

        return await self._serve(request, alive)

    async def _readiness(self, request: web.Request) -> web.StreamResponse:
        async def readiness(r: web.Request, s: MockServer, rec: Recorded) -> web.Response:
            if not s.ready:
                return web.json_response({"status": "unhealthy"}, status=503)
            return web.json_response({"status": "connected", "db": "Not connected"})

        return await self._serve(request, readiness)
