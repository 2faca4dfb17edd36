"""``make bench``: the project's client against raw aiohttp and openai-python, side by side,
plus the cost on Blender's main thread. Prints a table and writes bench/results/latest.json.

Every figure is the median of several repetitions, and the clients take turns within each
repetition, so the ratios compare runs made under the same load. Targets are from the
benchmark issue; a missed target is printed as such (the run itself does not fail on noise).
"""

from __future__ import annotations

import datetime
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
BLENDER_PYTHON = os.environ.get("BLENDER_PYTHON", str(ROOT / ".venv/blender/bin/python"))
REPEATS = int(os.environ.get("BENCH_REPEATS", "5"))
CLIENTS = ("project", "aiohttp", "openai")
METRICS = {  # metric -> (key, higher is better)
    "seq": ("latency_ms_median", False),
    "conc32": ("requests_per_s", True),
    "conc128": ("requests_per_s", True),
    "stream": ("chunks_per_s", True),
}


def start_upstream() -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [PYTHON, str(ROOT / "bench" / "upstream.py")], stdout=subprocess.PIPE, text=True
    )
    port = process.stdout.readline().strip()
    if not port.isdigit():
        process.kill()
        raise SystemExit("the benchmark upstream did not start")
    return process, f"http://127.0.0.1:{port}"


def measure(client: str, metric: str, url: str) -> dict:
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "clients.py"), client, metric, url],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if output.returncode != 0:
        raise SystemExit(f"{client} {metric} failed:\n{output.stderr[-2000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def client_benchmarks(url: str) -> dict:
    runs: dict[str, dict[str, list[dict]]] = {m: {c: [] for c in CLIENTS} for m in METRICS}
    runs["memory"] = {"project": [], "aiohttp": []}
    for repeat in range(REPEATS):
        for metric in METRICS:
            for client in CLIENTS:
                runs[metric][client].append(measure(client, metric, url))
                print(f"  [{repeat + 1}/{REPEATS}] {metric:8} {client:8} done", flush=True)
        for client in ("project", "aiohttp"):
            runs["memory"][client].append(measure(client, "memory", url))
    table = {}
    for metric, (key, higher) in METRICS.items():
        values = {c: median_of(runs[metric][c], key) for c in CLIENTS}
        ratio_raw = values["project"] / values["aiohttp"]
        ratio_openai = values["project"] / values["openai"]
        # how many times better than openai-python, whichever way "better" points
        vs_openai = ratio_openai if higher else values["openai"] / values["project"]
        table[metric] = {
            "key": key,
            **values,
            "project_vs_raw": ratio_raw,
            "project_vs_openai_better_by": vs_openai,
        }
    table["stream"]["first_chunk_ms"] = {
        c: median_of(runs["stream"][c], "first_chunk_ms") for c in CLIENTS
    }
    table["reuse_ratio"] = median_of(runs["conc32"]["project"], "steady_reuse_ratio")
    table["reuse_ratio_with_warmup"] = median_of(runs["conc32"]["project"], "reuse_ratio")
    table["memory"] = {
        c: {
            "answer_mb": runs["memory"][c][0]["answer_mb"],
            "peak_mb": median_of(runs["memory"][c], "peak_mb"),
        }
        for c in ("project", "aiohttp")
    }
    return table


def worker_memory(url: str) -> dict:
    """RSS of a process driving the Worker through 30,000 requests (bench/worker_memory.py)."""
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "worker_memory.py"), url],
        capture_output=True,
        text=True,
        timeout=400,
        check=False,
    )
    if output.returncode != 0:
        raise SystemExit(f"worker memory failed:\n{output.stdout[-1000:]}{output.stderr[-2000:]}")
    return json.loads(output.stdout.strip().splitlines()[-1])


def blender_benchmarks(url: str) -> dict | None:
    script = ROOT / "bench" / "blender_bench.py"
    if not Path(BLENDER_PYTHON).exists():
        print("  (no Blender python: Blender figures skipped)")
        return None
    output = subprocess.run(
        [BLENDER_PYTHON, str(script), url],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    lines = [line for line in output.stdout.splitlines() if line.startswith("BENCH ")]
    if output.returncode != 0 or not lines:
        raise SystemExit(
            f"Blender benchmark failed:\n{output.stdout[-3000:]}\n{output.stderr[-3000:]}"
        )
    return json.loads(lines[-1][len("BENCH ") :])


def screenplay_benchmarks() -> dict:
    """bench/screenplay_bench.py in its own interpreter (parse time, prompt tokens)."""
    output = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "screenplay_bench.py")],
        capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip
    return json.loads(output.stdout.split("BENCH ", 1)[1])


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def table_lines(result: dict) -> list[str]:
    """The benchmark table as Markdown rows (printed, and pasted into the README)."""
    c = result["client"]
    lines = [
        "| figure | project | raw aiohttp | openai-python | project / raw | vs openai | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    rows = (
        ("sequential latency, ms per request", "seq", 1.2, False),
        ("throughput at concurrency 32, requests/s", "conc32", 0.85, True),
        ("throughput at concurrency 128, requests/s", "conc128", 0.85, True),
        ("5,000-chunk stream, chunks/s", "stream", 1.2, True),
    )
    for label, metric, bar, higher in rows:
        m = c[metric]
        ratio, better = m["project_vs_raw"], m["project_vs_openai_better_by"]
        ok = ratio >= bar if higher else ratio <= bar
        sign = ">=" if higher else "<="
        lines.append(
            f"| {label} | {m['project']:.3f} | {m['aiohttp']:.3f} | {m['openai']:.3f} | "
            f"{ratio:.2f} | {better:.1f}x better | {sign} {bar}x raw: {verdict(ok)}; "
            f">= 4x openai: {verdict(better >= 4)} |"
        )
    first = c["stream"]["first_chunk_ms"]
    lines.append(
        f"| time to first chunk, ms | {first['project']:.2f} | {first['aiohttp']:.2f} | "
        f"{first['openai']:.2f} | | | reported |"
    )
    reuse = c["reuse_ratio"]
    lines.append(
        f"| connection reuse ratio, steady state (with warm-up: "
        f"{c['reuse_ratio_with_warmup']:.4f}) | {reuse:.4f} | | | | | "
        f">= 0.99: {verdict(reuse >= 0.99)} |"
    )
    mem = c["memory"]
    lines.append(
        f"| peak memory streaming a {mem['project']['answer_mb']:.0f} MB answer, MB | "
        f"{mem['project']['peak_mb']:.2f} | {mem['aiohttp']['peak_mb']:.2f} | | | | bounded |"
    )
    w = result.get("worker")
    if w:
        rss = w["rss_mb"]
        lines += [
            "",
            "| Worker (worker.py), resident memory | after 2,000 | after 10,000 | after 20,000 "
            "| after 30,000 | target |",
            "|---|---:|---:|---:|---:|---|",
            f"| RSS of the process, MB ({w['jobs_per_s']:.0f} jobs/s, half streamed) | "
            f"{rss['2000']:.1f} | {rss['10000']:.1f} | {rss['20000']:.1f} | {rss['30000']:.1f} | "
            f"growth {w['growth_mb']:+.1f} MB, <= 5 MB: {verdict(w['growth_mb'] <= 5)} |",
        ]
    b = result.get("blender")
    if b:
        two = 2 * b["interval_ms"]
        lines += [
            "",
            f"| Blender (bpy {b['blender']}) | p50 | p99 | target |",
            "|---|---:|---:|---|",
            f"| pump() while streaming 2,000 chunks/s, ms | {b['pump_ms_p50']:.3f} | "
            f"{b['pump_ms_p99']:.3f} | p99 <= 2 ms: {verdict(b['pump_ms_p99'] <= 2)} |",
            f"| chunk leaves server -> in the Text, ms | {b['delay_ms_p50']:.1f} | "
            f"{b['delay_ms_p99']:.1f} | p99 <= 2 intervals ({two:.0f} ms): "
            f"{verdict(b['delay_ms_p99'] <= two)} |",
            f"| register(), ms | {b['register_ms']:.2f} | | <= 50 ms: "
            f"{verdict(b['register_ms'] <= 50)} |",
            f"| enable at start-up (import + register), ms | {b['cold_enable_ms']:.2f} | | "
            "reported |",
            f"| idle pump(), µs | {b['idle_pump_us']:.2f} | | reported |",
        ]
    if b and "markers_ms_p50" in b:
        lines += [
            f"| scene markers for {b['markers']} scenes, new text (parse included), ms "
            f"| {b['markers_ms_p50']:.1f} | max {b['markers_ms_max']:.1f} | <= 100 ms: "
            f"{verdict(b['markers_ms_max'] <= 100)} |",
            f"| scene markers again, text unchanged, ms | {b['markers_again_ms_p50']:.1f} | "
            "| reported |",
            f"| Generate Dialogue returns to Blender, {b['request_chars']:,}-character script, "
            f"ms | {b['request_return_ms_p50']:.1f} | max {b['request_return_ms_max']:.1f} | "
            f"<= 30 ms: {verdict(b['request_return_ms_max'] <= 30)} |",
        ]
    return lines


def main() -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    upstream, url = start_upstream()
    started = time.monotonic()
    try:
        print(f"benchmark upstream at {url}; {REPEATS} repetitions")
        result = {
            "date": datetime.date.today().isoformat(),
            "machine": f"{platform.machine()}, {os.cpu_count()} cores, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}",
            "client": client_benchmarks(url),
        }
        print("  worker memory: 30,000 requests through worker.py", flush=True)
        result["worker"] = worker_memory(url)
        result["blender"] = blender_benchmarks(url)
        result["screenplay"] = screenplay_benchmarks()
    finally:
        upstream.kill()
    result["seconds"] = round(time.monotonic() - started, 1)
    (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print()
    print("\n".join(table_lines(result)))
    from screenplay_bench import table_lines as screenplay_lines

    print("\n".join(screenplay_lines(result["screenplay"])))
    print(f"\nwritten: {RESULTS / 'latest.json'} ({result['seconds']} s)")


if __name__ == "__main__":
    main()
