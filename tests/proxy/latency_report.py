"""Latency of simple chat completions through the real LiteLLM proxy, next to the same requests
against the in-process mock server (tests/support/mock_server.py).

The mock server answers at once, so its figures are the floor: the client's own work plus the
loopback round trip and a minimal aiohttp server. The difference between the two rows is, to a
good approximation, what the proxy itself adds. p99 of 50 samples is the nearest-rank value, in
practice the slowest request or the one before it.

Run by tests/proxy/test_proxy_latency.py, or by hand (it then starts its own proxy)::

    .venv/dev/bin/python tests/proxy/latency_report.py [-n 50] [--url http://127.0.0.1:4000 --key K]

Writes bench/results/proxy_latency.json (gitignored) and prints a small table.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parents[1]
for _path in (str(ROOT), str(_HERE)):
    if _path not in sys.path:  # so this runs as a script, not only under pytest
        sys.path.insert(0, _path)

from proxy_support import MASTER_KEY, TEXT_MODEL, start_proxy, user  # noqa: E402

import tests.conftest  # noqa: E402, F401 - makes the repository importable as litellm_screenwriter
from litellm_screenwriter.client import ClientConfig, LiteLLMClient  # noqa: E402
from tests.support.mock_server import ECHO_MODEL, MockServer  # noqa: E402

RESULTS_PATH = ROOT / "bench" / "results" / "proxy_latency.json"
DEFAULT_REQUESTS = 50
WARMUP_REQUESTS = 3


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank ``q``-th percentile (0 < q <= 100) of a non-empty list."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100.0 * len(ordered)))
    return ordered[rank - 1]


async def measure(base_url: str, api_key: str | None, model: str, count: int) -> dict[str, Any]:
    """``count`` sequential ``complete()`` calls on one client (after a short warm-up): the
    wall-clock latency of each, in milliseconds, summarised."""
    config = ClientConfig(base_url=base_url, api_key=api_key, trust_env=False, max_retries=0)
    messages = user("Say one line.")
    samples: list[float] = []
    async with LiteLLMClient(config) as client:
        for _ in range(WARMUP_REQUESTS):
            await client.complete(model, messages, cache=False)
        for _ in range(count):
            started = time.perf_counter()
            completion = await client.complete(model, messages, cache=False)
            samples.append((time.perf_counter() - started) * 1000.0)
            if not completion.text:
                raise RuntimeError(f"{model} answered an empty text")
        reuse = client.stats.reuse_ratio
    return {
        "requests": count,
        "p50_ms": percentile(samples, 50),
        "p99_ms": percentile(samples, 99),
        "mean_ms": statistics.fmean(samples),
        "min_ms": min(samples),
        "max_ms": max(samples),
        "reuse_ratio": reuse,
    }


async def measure_both(
    proxy_url: str,
    api_key: str | None = MASTER_KEY,
    model: str = TEXT_MODEL,
    count: int = DEFAULT_REQUESTS,
    *,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure the proxy, then the mock server; return the report."""
    proxy = await measure(proxy_url, api_key, model, count)
    mock = MockServer().start()
    try:
        floor = await measure(mock.url, None, ECHO_MODEL, count)
    finally:
        mock.stop()
    report: dict[str, Any] = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "proxy": {"url": proxy_url, "model": model, **proxy},
        "mock_server": {"model": ECHO_MODEL, **floor},
        "proxy_share_p50_ms": proxy["p50_ms"] - floor["p50_ms"],
        **(extra or {}),
    }
    return report


def run(
    proxy_url: str,
    api_key: str | None = MASTER_KEY,
    model: str = TEXT_MODEL,
    count: int = DEFAULT_REQUESTS,
    *,
    results_path: Path | None = RESULTS_PATH,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Measure both (on a fresh event loop), write the JSON report, return it."""
    report = asyncio.run(measure_both(proxy_url, api_key, model, count, extra=extra))
    if results_path is not None:
        results_path.parent.mkdir(parents=True, exist_ok=True)
        results_path.write_text(json.dumps(report, indent=2) + "\n", "utf-8")
        report["results_path"] = str(results_path)
    return report


def format_report(report: dict[str, Any]) -> list[str]:
    """A few lines for a terminal."""
    lines = [f"latency of {report['proxy']['requests']} sequential complete() calls:"]
    for label, key in (("LiteLLM proxy", "proxy"), ("mock server  ", "mock_server")):
        row = report[key]
        lines.append(
            f"  {label}  p50 {row['p50_ms']:7.2f} ms   p99 {row['p99_ms']:7.2f} ms   "
            f"mean {row['mean_ms']:7.2f} ms   pool reuse {row['reuse_ratio']:.2f}"
        )
    lines.append(
        f"  the proxy adds about {report['proxy_share_p50_ms']:.2f} ms at p50; the mock row is "
        "the client's own share plus loopback"
    )
    if "results_path" in report:
        lines.append(f"  written to {report['results_path']}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--requests", type=int, default=DEFAULT_REQUESTS)
    parser.add_argument("--url", help="an already running proxy (else one is started)")
    parser.add_argument("--key", default=MASTER_KEY)
    parser.add_argument("--model", default=TEXT_MODEL)
    args = parser.parse_args(argv)
    if args.url:
        report = run(args.url, args.key, args.model, args.requests)
    else:
        with tempfile.TemporaryDirectory(prefix="litellm-proxy-") as workdir:
            proxy = start_proxy(Path(workdir))
            try:
                extra = {"proxy_startup_s": proxy.startup_seconds}
                report = run(proxy.url, args.key, args.model, args.requests, extra=extra)
            finally:
                proxy.stop()
    print("\n".join(format_report(report)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
