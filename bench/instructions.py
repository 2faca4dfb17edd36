"""CPU instructions per request (or per streamed chunk) under ``valgrind --tool=callgrind``.

Wall-clock ratios swing on a shared machine; instruction counts do not. Each workload runs twice
in its own process under callgrind, with a small and a large count; the difference divided by
the difference in counts is the cost of one unit, without start-up and imports. The upstream
runs outside valgrind.

    python bench/instructions.py [CLIENT ...]      default: project aiohttp
    INSTRUCTIONS_WORKLOADS=seq,conc32 python bench/instructions.py    only those

Workloads: ``seq`` (sequential requests), ``conc32`` (32 at a time), ``stream16k`` and
``stream1`` (per chunk of 1,000-chunk streams in 16 KB writes / one chunk per write),
``ttfc`` (per two-chunk stream on a warm client), ``cold`` (the first two-chunk stream of a new
client, its modules imported). Needs valgrind; takes a few minutes.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

# workload -> (small count, large count, unit)
WORKLOADS = {
    "seq": (100, 500, "request"),
    "conc32": (256, 1280, "request"),
    "stream16k": (2, 6, "chunk"),
    "stream1": (2, 6, "chunk"),
    "ttfc": (50, 250, "stream"),
    "cold": (0, 1, "stream"),  # the first stream of a new client, its imports done
}
STREAM_CHUNKS = 1000


async def workload(client_name: str, name: str, count: int, url: str) -> None:
    import clients

    load = 32 if name == "conc32" else None
    async with clients.CLIENTS[client_name](url, load) as client:
        if name == "cold":
            for _ in range(count):
                await client.stream("chunks:2", lambda: None)
            return
        for _ in range(40):  # warm up: pool, caches, first-use validators
            await client.complete()
        await client.stream("chunks:50", lambda: None)
        if name == "seq":
            for _ in range(count):
                await client.complete()
        elif name == "conc32":

            async def worker(n: int) -> None:
                for _ in range(n):
                    await client.complete()

            await asyncio.gather(*(worker(count // 32) for _ in range(32)))
        elif name.startswith("stream"):
            spec = f"chunks:{STREAM_CHUNKS}:write:{name.removeprefix('stream')}"
            for _ in range(count):
                await client.stream(spec, lambda: None)
        elif name == "ttfc":
            for _ in range(count):
                await client.stream("chunks:2", lambda: None)


def instructions(client: str, name: str, count: int, url: str) -> int:
    """Total instructions of one process running ``count`` units under callgrind."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        subprocess.run(
            [
                "valgrind",
                "--tool=callgrind",
                f"--callgrind-out-file={out}",
                sys.executable,
                __file__,
                "--workload",
                client,
                name,
                str(count),
                url,
            ],
            check=True,
            capture_output=True,
            env={k: v for k, v in os.environ.items() if not k.lower().endswith("_proxy")},
        )
        for line in out.read_text().splitlines():
            if line.startswith(("summary:", "totals:")):
                return int(line.split()[1])
    raise SystemExit("callgrind wrote no totals")


def main(names: list[str]) -> None:
    from run import start_upstream

    upstream, url = start_upstream()
    results: dict[str, dict[str, float]] = {}
    try:
        only = [w for w in os.environ.get("INSTRUCTIONS_WORKLOADS", "").split(",") if w]
        for name, (small, large, unit) in WORKLOADS.items():
            if only and name not in only:
                continue
            for client in names:
                low = instructions(client, name, small, url)
                high = instructions(client, name, large, url)
                units = (large - small) * (STREAM_CHUNKS if unit == "chunk" else 1)
                per = (high - low) / units
                results.setdefault(name, {})[client] = per
                print(f"{name:9} {client:8} {per:12,.0f} instructions per {unit}", flush=True)
    finally:
        upstream.kill()
    print(json.dumps(results))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--workload"]:
        sys.path.insert(0, str(ROOT))
        import tests.conftest  # noqa: F401  (aliases the checkout as litellm_screenwriter)

        client_name, workload_name, n, base_url = sys.argv[2:6]
        asyncio.run(workload(client_name, workload_name, int(n), base_url))
    else:
        main(sys.argv[1:] or ["project", "aiohttp"])
