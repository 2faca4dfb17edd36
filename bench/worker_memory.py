"""Resident memory of a process driving the Worker (worker/) through 30,000 requests.

    python bench/worker_memory.py URL

Keeps ``IN_FLIGHT`` jobs submitted against the benchmark upstream, streamed and whole in
turn, drains events the way Blender's timer does (``poll()`` after each wakeup), checks every
answer's text, and reads the process's RSS (``VmRSS``) after 2,000, 10,000, 20,000 and 30,000
finished jobs. Prints one JSON object. Memory must not grow with the number of requests: a
finished job leaves nothing behind (no job record, no queued event, no task, no connection).
"""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from upstream import piece  # noqa: E402

CHECKPOINTS = (2_000, 10_000, 20_000, 30_000)
IN_FLIGHT = 32
CHUNKS, SIZE = 20, 8  # each streamed answer: 20 chunks of 8 characters
TIME_LIMIT = 300.0  # seconds for the whole run, a bound for a loaded machine
WHOLE_TEXT = "INT. OFFICE - DAY. A short answer."


def rss_mb() -> float:
    """The process's resident set size now (not its peak), in MB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError("no VmRSS in /proc/self/status")


def main(url: str) -> dict:
    from litellm_screenwriter.client import ClientConfig
    from litellm_screenwriter.worker import Request, Worker

    config = ClientConfig(
        base_url=url,
        api_key="sk-bench",
        max_retries=0,
        trust_env=False,
        max_connections=IN_FLIGHT,
        max_concurrent_requests=IN_FLIGHT,
    )
    streamed = Request("bench", [{"role": "user", "content": f"chunks:{CHUNKS}:size:{SIZE}"}])
    whole = Request("bench", [{"role": "user", "content": "Describe the scene."}], stream=False)
    expected = {True: "".join(piece(i, SIZE) for i in range(CHUNKS)), False: WHOLE_TEXT}
    ready = threading.Event()
    worker = Worker(config, wakeup=ready.set).start()
    texts: dict[str, list[str]] = {}
    kinds: dict[str, bool] = {}
    submitted = finished = failed = 0
    readings: dict[int, float] = {}
    started = time.monotonic()
    try:
        while finished < CHECKPOINTS[-1]:
            if time.monotonic() - started > TIME_LIMIT:
                raise SystemExit(f"worker memory run over {TIME_LIMIT:g} s at {finished} jobs")
            while submitted - finished < IN_FLIGHT and submitted < CHECKPOINTS[-1]:
                request = streamed if submitted % 2 == 0 else whole
                job = worker.submit(request)
                texts[job], kinds[job] = [], request.stream
                submitted += 1
            ready.wait(0.05)
            ready.clear()
            for event in worker.poll():
                if event.type == "delta":
                    texts[event.job_id].append(event.text)
                elif event.type in ("done", "failed", "cancelled"):
                    text = "".join(texts.pop(event.job_id))
                    stream = kinds.pop(event.job_id)
                    if event.type != "done" or text != expected[stream]:
                        failed += 1
                    finished += 1
                    if finished in CHECKPOINTS:
                        gc.collect()
                        readings[finished] = round(rss_mb(), 2)
        seconds = time.monotonic() - started
        left = worker.active_jobs
    finally:
        worker.shutdown(5.0)
    if failed:  # a figure of failed requests would say nothing about finished ones
        raise SystemExit(f"{failed} of {finished} worker jobs failed or had the wrong text")
    first, last = readings[CHECKPOINTS[0]], readings[CHECKPOINTS[-1]]
    return {
        "rss_mb": {str(k): v for k, v in readings.items()},
        "growth_mb": round(last - first, 2),
        "jobs": finished,
        "failed": failed,
        "jobs_left": left,
        "seconds": round(seconds, 1),
        "jobs_per_s": round(finished / seconds, 1),
    }


if __name__ == "__main__":
    import tests.conftest  # noqa: F401  (aliases the checkout as litellm_screenwriter)

    print(json.dumps(main(sys.argv[1])))
