"""Benchmark measurements for one client, in this process: prints JSON.

    python bench/clients.py CLIENT METRIC URL            one measurement, one JSON line
    python bench/clients.py --serve CLIENT METRIC URL    a warm client, one batch per line read

CLIENT is ``project`` (LiteLLMClient, configured as Blender's preferences configure it),
``aiohttp`` (a minimal hand-written raw aiohttp request, the floor for an aiohttp client) or
``openai`` (openai-python's AsyncOpenAI, ``max_retries=0``). METRIC is ``seq``, ``conc32``,
``conc128``, ``stream16k`` (5,000-chunk streams sent in 16 KB writes), ``stream1`` (one chunk
per write), ``ttfc`` (time to the first chunk on a warm client), ``cold`` (the first stream of
a new client) or ``memory``. Each client runs in its own process so no client warms another's
caches or imports.

``--serve`` (used by ``run.py``) warms the client, prints ``ready``, then runs one batch of the
metric each time a line arrives on stdin and prints its JSON: the driver keeps the three
clients' processes alive and alternates their batches, so each turn compares batches run
moments apart instead of processes started seconds apart.
"""

from __future__ import annotations

import asyncio
import functools
import json
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from upstream import piece  # noqa: E402

MODEL = "bench"
SEQ_REQUESTS = 400
CONC_BATCH = 4000  # requests per throughput batch
STREAM_CHUNKS = 5000
STREAM_REPEATS = 5
TTFC_STREAMS = 200  # short streams on a warm client: the median time to the first text
MEMORY_CHUNKS = 20_000  # x 100 characters = a 2 MB answer
MEMORY_SIZE = 100
WARMUP = 30


def messages(content: str = "Describe the scene.") -> list[dict[str, str]]:
    return [{"role": "user", "content": content}]


def expected_text(count: int, size: int) -> str:
    return "".join(piece(i, size) for i in range(count))


# -- the three clients, same work -------------------------------------------------------------


def user_config(url: str, load: int | None = None):
    """The ``ClientConfig`` that ``preferences.client_config()`` builds from Blender's default
    preferences (Retries 2, Timeout Scale 1.0, Verify TLS on, no CA file, no request log, no
    cache; ``trust_env`` on, as the default), for ``url``. ``load`` raises the limiter and the
    pool to that many requests in flight (the throughput runs); None keeps the defaults."""
    from litellm_screenwriter.client import ClientConfig

    defaults = ClientConfig()
    options = {} if load is None else {"max_connections": load, "max_concurrent_requests": load}
    return ClientConfig(
        base_url=url,
        api_key="sk-bench",
        timeouts=dict(defaults.timeouts),  # scaled by 1.0
        max_retries=2,
        verify=True,
        ca_file=None,
        log_file=None,
        cache_enabled=False,
        **options,
    )


class ProjectClient:
    def __init__(self, url: str, load: int | None) -> None:
        from litellm_screenwriter.client import LiteLLMClient

        self.client = LiteLLMClient(user_config(url, load))

    async def __aenter__(self):
        await self.client.__aenter__()
        return self

    async def __aexit__(self, *exc):
        await self.client.close()

    async def complete(self) -> str:
        completion = await self.client.complete(MODEL, messages())
        return completion.text

    async def stream(self, content: str, on_first) -> str:
        parts = []
        async with self.client.stream(MODEL, messages(content)) as s:
            async for text in s:
                if not parts:
                    on_first()
                parts.append(text)
        if s.completion is None or s.completion.finish_reason != "stop":
            raise SystemExit("the project's stream did not finish")
        return "".join(parts)

    def mark(self) -> None:
        """Start of the steady state: the pool is warm."""
        self.baseline = self.client.stats

    def extra(self) -> dict:
        stats = self.client.stats
        result = {"reuse_ratio": stats.reuse_ratio, "connections": stats.connections_created}
        base = getattr(self, "baseline", None)
        if base is not None:  # steady state: what happened after the warm-up
            created = stats.connections_created - base.connections_created
            reused = stats.connections_reused - base.connections_reused
            result["steady_reuse_ratio"] = reused / (created + reused) if created + reused else 0
        return result


class RawAiohttpClient:
    """What a careful hand-written aiohttp client does, and nothing more: no validation,
    no retries; the stream is read line by line with ``async for line in response.content``."""

    def __init__(self, url: str, load: int | None) -> None:
        self.url = url + "/v1/chat/completions"
        self.connections = load or 32

    async def __aenter__(self):
        import aiohttp

        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=self.connections),
            headers={"Authorization": "Bearer sk-bench"},
        )
        return self

    async def __aexit__(self, *exc):
        await self.session.close()

    async def complete(self) -> str:
        body = {"model": MODEL, "messages": messages()}
        async with self.session.post(self.url, json=body) as response:
            data = await response.json()
        return data["choices"][0]["message"]["content"]

    async def stream(self, content: str, on_first) -> str:
        body = {
            "model": MODEL,
            "messages": messages(content),
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        parts = []
        async with self.session.post(self.url, json=body) as response:
            async for line in response.content:
                if not line.startswith(b"data: "):
                    continue
                data = line[6:].strip()
                if data == b"[DONE]":
                    break
                chunk = json.loads(data)
                for choice in chunk["choices"]:
                    text = choice["delta"].get("content")
                    if text:
                        if not parts:
                            on_first()
                        parts.append(text)
        return "".join(parts)

    def extra(self) -> dict:
        return {}


class OpenAIClient:
    def __init__(self, url: str, load: int | None) -> None:
        from openai import AsyncOpenAI

        # openai-python's own pool defaults (1,000 connections) cover every concurrency here.
        self.client = AsyncOpenAI(base_url=url + "/v1", api_key="sk-bench", max_retries=0)

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc):
        await self.client.close()

    async def complete(self) -> str:
        completion = await self.client.chat.completions.create(model=MODEL, messages=messages())
        return completion.choices[0].message.content

    async def stream(self, content: str, on_first) -> str:
        parts = []
        stream = await self.client.chat.completions.create(
            model=MODEL,
            messages=messages(content),
            stream=True,
            stream_options={"include_usage": True},
        )
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta.content:
                    if not parts:
                        on_first()
                    parts.append(choice.delta.content)
        return "".join(parts)

    def extra(self) -> dict:
        return {}


CLIENTS = {"project": ProjectClient, "aiohttp": RawAiohttpClient, "openai": OpenAIClient}


# -- metrics ----------------------------------------------------------------------------------


# Each batch metric: a warm-up (the pool, caches, first-use work) and one batch. openai-python
# is about ten times slower, so its batches are shorter: a rate or a median needs no equal count.


def share(client, count: int) -> int:
    """How many of a batch's ``count`` this client runs (a quarter for openai-python)."""
    return max(1, count // 4) if isinstance(client, OpenAIClient) else count


async def seq_warm(client) -> None:
    for _ in range(WARMUP):
        await client.complete()


async def seq_batch(client) -> dict:
    times = []
    for _ in range(share(client, SEQ_REQUESTS)):
        start = time.perf_counter()
        text = await client.complete()
        times.append(time.perf_counter() - start)
    assert text.startswith("INT. OFFICE")
    return {
        "latency_ms_median": statistics.median(times) * 1000,
        "latency_ms_mean": statistics.fmean(times) * 1000,
    }


async def _workers(client, concurrency: int, per_worker: int) -> None:
    async def worker() -> None:
        for _ in range(per_worker):
            await client.complete()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


async def conc_warm(client, concurrency: int) -> None:
    await _workers(client, concurrency, 2)  # open the connections
    if hasattr(client, "mark"):
        client.mark()


async def conc_batch(client, concurrency: int) -> dict:
    per_worker = max(1, share(client, CONC_BATCH) // concurrency)
    start = time.perf_counter()
    await _workers(client, concurrency, per_worker)
    return {"requests_per_s": per_worker * concurrency / (time.perf_counter() - start)}


def stamp(into: list[float]) -> None:
    into.append(time.perf_counter())


async def timed_stream(client, spec: str, chunks: int) -> tuple[float, float]:
    """One stream: (seconds in all, seconds to the first text), its text checked."""
    first: list[float] = []
    start = time.perf_counter()
    text = await client.stream(spec, functools.partial(stamp, first))
    elapsed = time.perf_counter() - start
    if text != expected_text(chunks, 8):
        raise SystemExit("stream text is not intact")
    return elapsed, first[0] - start


async def stream_warm(client, write: str) -> None:
    await client.stream(f"chunks:200:write:{write}", lambda: None)  # warm the connection


async def stream_batch(client, write: str) -> dict:
    spec = f"chunks:{STREAM_CHUNKS}:write:{write}"
    rates = []
    for _ in range(1 if isinstance(client, OpenAIClient) else STREAM_REPEATS):
        elapsed, _first = await timed_stream(client, spec, STREAM_CHUNKS)
        rates.append(STREAM_CHUNKS / elapsed)
    return {"chunks_per_s": statistics.median(rates)}


async def ttfc_warm(client) -> None:
    for _ in range(WARMUP):
        await client.stream("chunks:2", lambda: None)


async def ttfc_batch(client) -> dict:
    firsts = []
    for _ in range(share(client, TTFC_STREAMS)):
        _elapsed, first = await timed_stream(client, "chunks:2", 2)
        firsts.append(first)
    return {"first_chunk_ms": statistics.median(firsts) * 1000}


def batch_metric(metric: str):
    """(warm-up, one batch) of a batch metric, each a coroutine function of the client."""
    if metric == "seq":
        return seq_warm, seq_batch
    load = load_of(metric)
    if load is not None:
        return (lambda c: conc_warm(c, load)), (lambda c: conc_batch(c, load))
    if metric.startswith("stream"):
        write = metric.removeprefix("stream")
        return (lambda c: stream_warm(c, write)), (lambda c: stream_batch(c, write))
    if metric == "ttfc":
        return ttfc_warm, ttfc_batch
    raise SystemExit(f"unknown metric {metric}")


def load_of(metric: str) -> int | None:
    """The requests in flight of a throughput metric (the client's limiter and pool are raised
    to it), None for the others."""
    return int(metric[4:]) if metric.startswith("conc") else None


async def cold(client) -> dict:
    """The first stream of a client that has sent nothing yet (its imports are done)."""
    elapsed, first = await timed_stream(client, f"chunks:{STREAM_CHUNKS}", STREAM_CHUNKS)
    return {"chunks_per_s": STREAM_CHUNKS / elapsed, "first_chunk_ms": first * 1000}


async def memory(client) -> dict:
    expected_len = MEMORY_CHUNKS * MEMORY_SIZE
    await client.stream("chunks:100", lambda: None)
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    text = await client.stream(f"chunks:{MEMORY_CHUNKS}:size:{MEMORY_SIZE}", lambda: None)
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    if len(text) != expected_len:
        raise SystemExit("memory stream text is not intact")
    return {
        "answer_mb": expected_len / 1e6,
        "peak_mb": peak / 1e6,
        "peak_per_answer": peak / expected_len,
    }


async def run(client_name: str, metric: str, url: str) -> dict:
    """One measurement in a fresh client: a warm-up and one batch, or ``cold``/``memory``."""
    async with CLIENTS[client_name](url, load_of(metric)) as client:
        if metric == "cold":
            result = await cold(client)
        elif metric == "memory":
            result = await memory(client)
        else:
            warm, batch = batch_metric(metric)
            await warm(client)
            result = await batch(client)
        result.update(client.extra())
    return result


async def serve(client_name: str, metric: str, url: str) -> None:
    """Warm one client, then run one batch per line on stdin until it closes."""
    warm, batch = batch_metric(metric)
    async with CLIENTS[client_name](url, load_of(metric)) as client:
        await warm(client)
        print("ready", flush=True)
        while await asyncio.to_thread(sys.stdin.readline):
            result = await batch(client)
            result.update(client.extra())
            print(json.dumps(result), flush=True)


if __name__ == "__main__":
    import tests.conftest  # noqa: F401  (aliases the checkout as litellm_screenwriter)

    if sys.argv[1] == "--serve":
        asyncio.run(serve(*sys.argv[2:5]))
    else:
        name, metric_name, base_url = sys.argv[1:4]
        print(json.dumps(asyncio.run(run(name, metric_name, base_url))))
