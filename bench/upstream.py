"""A fast OpenAI-compatible upstream for the benchmarks, run in its own process on 127.0.0.1.

Bodies are built once and served from memory, so the server costs as little as possible and
the clients' differences show. ``POST /v1/chat/completions`` answers a small chat.completion,
or, when ``stream`` is true, a stream of ``N`` chunks where N comes from the last message's
content (``"chunks:5000"``; ``"chunks:5000:size:100"`` sets the characters per chunk). Two
shapes of stream: ``write:16k`` (the default) sends the events in socket writes of about 16 KB,
as a fast provider behind a proxy does; ``write:1`` sends one event per write, as a model
writing token by token does (then the upstream itself bounds the rate).
Each chunk carries its send time (``"created"``, nanoseconds) so the latency benchmarks can
tell how long a chunk took to land. Prints its port on stdout once listening.
"""

from __future__ import annotations

import asyncio
import functools
import json
import sys
import time

from aiohttp import web

BATCH_BYTES = 16 * 1024  # bytes per socket write in the batched shape

COMPLETION = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 0,
        "model": "bench",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "INT. OFFICE - DAY. A short answer."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 12, "completion_tokens": 8, "total_tokens": 20},
    }
).encode()


def piece(index: int, size: int) -> str:
    """The text of chunk ``index``: deterministic, so clients can check the text is intact."""
    return (f"{index:07d}" + "x" * size)[:size]


@functools.lru_cache(maxsize=8)
def stream_events(count: int, size: int) -> tuple[bytes, ...]:
    """The SSE events of a ``count``-chunk stream: the text chunks, the finish, the usage and
    ``[DONE]``, one ``bytes`` per event."""
    events = []
    for index in range(count):
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "bench",
            "choices": [
                {"index": 0, "delta": {"content": piece(index, size)}, "finish_reason": None}
            ],
        }
        events.append(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    tail = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    usage = {
        "id": "chatcmpl-bench",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": "bench",
        "choices": [],
        "usage": {"prompt_tokens": 5, "completion_tokens": count, "total_tokens": count + 5},
    }
    events.append(b"data: " + json.dumps(tail).encode() + b"\n\n")
    events.append(b"data: " + json.dumps(usage).encode() + b"\n\n")
    events.append(b"data: [DONE]\n\n")
    return tuple(events)


@functools.lru_cache(maxsize=8)
def stream_batches(count: int, size: int) -> tuple[bytes, ...]:
    """The same events joined into writes of about ``BATCH_BYTES`` each."""
    batches, current, length = [], [], 0
    for event in stream_events(count, size):
        current.append(event)
        length += len(event)
        if length >= BATCH_BYTES:
            batches.append(b"".join(current))
            current, length = [], 0
    if current:
        batches.append(b"".join(current))
    return tuple(batches)


def parse_spec(content: str) -> tuple[int, int, float, str]:
    """``chunks:N[:size:S][:rate:R][:write:W]`` → (N, S, R chunks per second, 0 meaning as
    fast as possible; W, ``16k`` or ``1`` event per write)."""
    parts = content.split(":")
    options = dict(zip(parts[::2], parts[1::2], strict=False))
    return (
        int(options.get("chunks", 10)),
        int(options.get("size", 8)),
        float(options.get("rate", 0)),
        options.get("write", "16k"),
    )


async def chat(request: web.Request) -> web.StreamResponse:
    body = await request.json()
    if not body.get("stream"):
        return web.Response(body=COMPLETION, content_type="application/json")
    count, size, rate, write = parse_spec(body["messages"][-1]["content"])
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    if rate > 0:  # paced: one event per write, stamped with its send time
        await paced(response, count, size, rate)
    else:
        writes = stream_events(count, size) if write == "1" else stream_batches(count, size)
        for data in writes:
            await response.write(data)
    await response.write_eof()
    return response


async def paced(response: web.StreamResponse, count: int, size: int, rate: float) -> None:
    """Send ``count`` chunks at ``rate`` per second; each chunk's text starts with its send
    time in nanoseconds (``time.time_ns()``), so the receiver can measure delivery delay."""
    start = time.perf_counter()
    for index in range(count):
        due = start + index / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        # the send time, then a line break every 20 chunks, as prose has
        text = f"<{time.time_ns()}>" + ("\n" if index % 20 == 19 else " ") + "y" * size
        chunk = {
            "id": "chatcmpl-bench",
            "object": "chat.completion.chunk",
            "model": "bench",
            "choices": [{"index": 0, "delta": {"content": text}, "finish_reason": None}],
        }
        await response.write(b"data: " + json.dumps(chunk).encode() + b"\n\n")
    tail = {
        "id": "x",
        "model": "bench",
        "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
    }
    await response.write(b"data: " + json.dumps(tail).encode() + b"\n\ndata: [DONE]\n\n")


async def main() -> None:
    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    app.router.add_post("/chat/completions", chat)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0, backlog=1024)
    await site.start()
    print(runner.addresses[0][1], flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
