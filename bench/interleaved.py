"""The project's client and raw aiohttp in one process, taking turns batch by batch: prints JSON.

    python bench/interleaved.py URL

On a machine shared with other work the load moves between two runs seconds apart, so ratios of
separate processes swing widely. Here both clients are warm in the same process and event loop
and alternate short batches (which goes first flips every turn); each turn gives one ratio, and
the median and quartiles of the turns are reported. Steady state only: the first stream of a
client stays with ``clients.py cold``.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import clients  # noqa: E402

TURNS = 20


async def latency(client, count: int = 100) -> float:
    """Median seconds per sequential request (lower is better)."""
    times = []
    for _ in range(count):
        start = time.perf_counter()
        await client.complete()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def throughput(client, concurrency: int, per_worker: int = 8) -> float:
    """Requests per second with ``concurrency`` in flight."""

    async def worker() -> None:
        for _ in range(per_worker):
            await client.complete()

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return concurrency * per_worker / (time.perf_counter() - start)


async def stream_rate(client, write: str, chunks: int = 2000) -> float:
    """Chunks per second of one stream, its text checked."""
    elapsed, _first = await clients.timed_stream(client, f"chunks:{chunks}:write:{write}", chunks)
    return chunks / elapsed


async def first_chunk(client, count: int = 20) -> float:
    """Median seconds to the first text of short streams (lower is better)."""
    firsts = []
    for _ in range(count):
        _elapsed, first = await clients.timed_stream(client, "chunks:2", 2)
        firsts.append(first)
    return statistics.median(firsts)


METRICS = {  # name -> (one measurement, concurrency of the clients, higher is better)
    "seq": (latency, None, False),
    "conc32": (lambda c: throughput(c, 32), 32, True),
    "conc128": (lambda c: throughput(c, 128), 128, True),
    "stream16k": (lambda c: stream_rate(c, "16k"), None, True),
    "stream1": (lambda c: stream_rate(c, "1"), None, True),
    "ttfc": (first_chunk, None, False),
}


async def compare(name: str, url: str) -> dict:
    measure, load, _higher = METRICS[name]
    async with (
        clients.ProjectClient(url, load) as project,
        clients.RawAiohttpClient(url, load) as raw,
    ):
        for client in (project, raw):  # warm: pool, caches, first-use work
            await measure(client)
        ratios = []
        for turn in range(TURNS):
            if turn % 2 == 0:
                mine = await measure(project)
                theirs = await measure(raw)
            else:
                theirs = await measure(raw)
                mine = await measure(project)
            ratios.append(mine / theirs)
    low, _median, high = statistics.quantiles(ratios, n=4)
    return {"median": statistics.median(ratios), "q1": low, "q3": high, "turns": TURNS}


async def main(url: str) -> dict:
    return {name: await compare(name, url) for name in METRICS}


if __name__ == "__main__":
    import tests.conftest  # noqa: F401  (aliases the checkout as litellm_screenwriter)

    print(json.dumps(asyncio.run(main(sys.argv[1]))))
