"""Thread-safety under load: several threads submit and cancel hundreds of jobs at once while
another drains events like Blender's timer. Every job must end exactly once, in order, with
no deadlock (timeouts fail the test instead of hanging it) and no thread left behind."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter

import pytest
from worker_support import check_sequences, worker_threads

from litellm_screenwriter.worker import Event, Request, Worker
from tests.support.mock_server import MockServer, stall

THREADS = 6
JOBS_PER_THREAD = 60
BUDGET = 20.0  # seconds for the whole run, shutdown included


@pytest.mark.timeout(60)
def test_concurrent_submit_and_cancel_every_job_ends_exactly_once(
    make_worker, mock_server: MockServer
) -> None:
    worker: Worker = make_worker(mock_server, max_concurrent_requests=8, max_connections=16)
    worker.start()
    # Slow down a share of the requests so cancellations also hit jobs waiting on the server.
    mock_server.enqueue(*(stall(0.02 + 0.01 * (n % 10)) for n in range(80)))

    accepted: list[str] = []
    accepted_lock = threading.Lock()
    events: list[Event] = []
    errors: list[BaseException] = []
    submitting = threading.Event()
    submitting.set()
    began = time.monotonic()

    def submitter(index: int) -> None:
        rng = random.Random(1000 + index)
        mine: list[str] = []
        try:
            for n in range(JOBS_PER_THREAD):
                request = Request(
                    "mock-echo",
                    [{"role": "user", "content": f"thread {index} job {n}"}],
                    stream=rng.random() < 0.8,
                )
                job_id = worker.submit(request)
                mine.append(job_id)
                roll = rng.random()
                if roll < 0.25:
                    worker.cancel(job_id)
                elif roll < 0.45:
                    time.sleep(rng.random() * 0.01)
                    worker.cancel(job_id)
                elif roll < 0.55 and mine:
                    worker.cancel(rng.choice(mine))  # maybe finished already: must be harmless
                if index == 0 and n == JOBS_PER_THREAD // 2:
                    worker.cancel_all()
        except BaseException as error:  # surfaced by the main thread
            errors.append(error)
        finally:
            with accepted_lock:
                accepted.extend(mine)

    def poller() -> None:
        while submitting.is_set() or worker.active_jobs or worker.pending():
            events.extend(worker.poll())
            if time.monotonic() - began > BUDGET:
                return
            time.sleep(0.002)
        events.extend(worker.poll())

    threads = [threading.Thread(target=submitter, args=(i,)) for i in range(THREADS)]
    drain = threading.Thread(target=poller)
    drain.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(BUDGET)
        assert not thread.is_alive(), "a submitting thread is stuck (deadlock?)"
    submitting.clear()
    drain.join(BUDGET)
    assert not drain.is_alive(), "the draining thread is stuck (deadlock?)"
    assert not errors, errors

    elapsed = time.monotonic() - began
    assert len(accepted) == THREADS * JOBS_PER_THREAD
    assert worker.active_jobs == 0, "jobs without a terminal event"
    grouped = check_sequences(events)
    assert set(grouped) == set(accepted)
    outcomes = Counter(job_events[-1].type for job_events in grouped.values())
    assert outcomes["failed"] == 0, [
        e.error for evs in grouped.values() for e in evs if e.type == "failed"
    ][:3]
    assert outcomes["done"] > 0
    assert outcomes["cancelled"] > 0

    assert worker.shutdown(5.0) is True
    total = time.monotonic() - began
    assert total < BUDGET, f"took {total:.1f} s"
    assert worker_threads() == []
    print(
        f"\nstress: {len(accepted)} jobs from {THREADS} threads, {dict(outcomes)}, "
        f"{len(events)} events, {len(mock_server.chat_requests)} requests reached the server, "
        f"drained in {elapsed:.2f} s, with shutdown {total:.2f} s"
    )
