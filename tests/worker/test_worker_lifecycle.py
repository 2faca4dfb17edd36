"""Cancelling, reconfiguring and shutting the worker down while jobs run: each job still ends
exactly once, the server sees abandoned streams go away, and no thread is left behind."""

from __future__ import annotations

import threading
import time

import pytest
from worker_support import check_sequences, drain_until, text_of, wait_for, worker_threads

from litellm_screenwriter.worker import Request, Worker, WorkerClosedError
from tests.support.mock_server import MockServer, stall, stream

pytestmark = pytest.mark.timeout(30)

USER = [{"role": "user", "content": "Continue the scene."}]
SLOW = [f"line {n}\n" for n in range(100)]  # 100 chunks, 50 ms apart: five seconds of stream


def _first_delta(worker: Worker, job_id: str, events: list, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not any(e.type == "delta" and e.job_id == job_id for e in events):
        assert time.monotonic() < deadline, "no delta arrived"
        events.extend(worker.poll())
        time.sleep(0.005)


def test_cancel_mid_stream_closes_the_connection_within_a_second(
    worker: Worker, mock_server: MockServer
) -> None:
    mock_server.enqueue(stream(SLOW, delay=0.05))
    job_id = worker.submit(Request("mock-echo", USER))
    events: list = []
    _first_delta(worker, job_id, events)
    cancelled_at = time.monotonic()
    assert worker.cancel(job_id) is True
    drain_until(worker, [job_id], into=events)
    assert mock_server.wait_for_disconnect(1.0), "the server never saw the client go away"
    assert mock_server.disconnects[0] - cancelled_at < 1.0
    check_sequences(events)
    assert events[-1].type == "cancelled"
    assert SLOW[0] in text_of(events)
    assert len(text_of(events)) < len("".join(SLOW))
    assert worker.cancel(job_id) is False  # already ended
    assert worker.cancel("no-such-job") is False
    assert worker.active_jobs == 0


def test_cancel_before_start_ends_the_job_at_once_without_a_request(
    make_worker, mock_server: MockServer
) -> None:
    """A job the loop has not picked up yet is cancelled on the spot: a lone cancelled event."""
    release = threading.Event()
    held = threading.Event()

    def hold_the_loop() -> None:  # the wakeup hook runs on the worker thread: park it there
        if threading.current_thread().name.startswith("litellm") and not held.is_set():
            held.set()
            release.wait(10)

    worker = make_worker(mock_server, wakeup=hold_the_loop)
    mock_server.enqueue(stream(["first"]))
    first = worker.submit(Request("mock-echo", USER))
    assert held.wait(10)  # the loop is now blocked inside the first job's "started"
    second = worker.submit(Request("mock-echo", USER))
    assert worker.cancel(second) is True
    early = worker.poll()
    assert [(e.job_id, e.type) for e in early if e.job_id == second] == [(second, "cancelled")]
    release.set()
    events = drain_until(worker, [first], into=early)
    check_sequences(events)
    assert [e.type for e in events if e.job_id == second] == ["cancelled"]
    assert events[-1].job_id == first
    assert events[-1].type == "done"
    assert len(mock_server.chat_requests) == 1  # the cancelled job never reached the server


def test_cancel_all_ends_every_job_and_drops_every_stream(
    make_worker, mock_server: MockServer
) -> None:
    # Three requests at most, so the three streams fill every slot and the five jobs after
    # them stay queued: with the default four, one of those five raced the cancellation to
    # the server, and its stream's drop made a fourth disconnect (a flaky failure on 3.13).
    worker = make_worker(mock_server, max_concurrent_requests=3).start()
    for _ in range(3):
        mock_server.enqueue(stream(SLOW, delay=0.05))
    job_ids = [worker.submit(Request("mock-echo", USER)) for _ in range(3)]
    events: list = []
    for job_id in job_ids:
        _first_delta(worker, job_id, events)
    queued = [worker.submit(Request("mock-echo", USER)) for _ in range(5)]
    assert worker.cancel_all() == 8
    drain_until(worker, job_ids + queued, into=events)
    grouped = check_sequences(events)
    assert {job: evs[-1].type for job, evs in grouped.items()} == {
        job: "cancelled" for job in job_ids + queued
    }
    wait_for(lambda: len(mock_server.disconnects) == 3, timeout=2.0)
    assert len(mock_server.chat_requests) == 3  # the queued jobs never reached the server
    assert worker.active_jobs == 0
    assert worker.cancel_all() == 0


def test_shutdown_cancels_jobs_in_flight_and_joins_the_thread(
    make_worker, mock_server: MockServer
) -> None:
    worker = make_worker(mock_server)
    for _ in range(3):
        mock_server.enqueue(stream(SLOW, delay=0.05))
    mock_server.enqueue(stall(5.0))  # one job waits for its first byte
    streaming = [worker.submit(Request("mock-echo", USER)) for _ in range(4)]
    events: list = []

    def three_streaming() -> bool:
        events.extend(worker.poll())
        return len({e.job_id for e in events if e.type == "delta"}) == 3

    wait_for(three_streaming)
    wait_for(lambda: len(mock_server.chat_requests) == 4)
    later = [worker.submit(Request("mock-echo", USER)) for _ in range(10)]

    began = time.monotonic()
    assert worker.shutdown(timeout=5.0) is True
    took = time.monotonic() - began
    assert took < 3.0, f"shutdown took {took:.2f} s"
    assert not worker.is_alive
    assert worker_threads() == []

    events.extend(worker.poll())  # the leftovers are still handed over
    grouped = check_sequences(events)
    assert set(grouped) == {*streaming, *later}
    for job_id in streaming:
        assert grouped[job_id][-1].type == "cancelled", grouped[job_id]
    for job_id in later:  # some may have finished before shutdown reached them; none is lost
        assert grouped[job_id][-1].type in {"cancelled", "done"}
    assert worker.poll() == []
    wait_for(lambda: len(mock_server.disconnects) >= 3, timeout=2.0)

    with pytest.raises(WorkerClosedError, match="shut down"):
        worker.submit(Request("mock-echo", USER))
    with pytest.raises(WorkerClosedError):
        worker.start()
    assert isinstance(WorkerClosedError("x"), RuntimeError)
    assert worker.shutdown() is True  # idempotent
    assert worker.cancel_all() == 0


def test_poll_after_shutdown_returns_events_not_yet_collected(
    make_worker, mock_server: MockServer
) -> None:
    worker = make_worker(mock_server)
    job_id = worker.submit(Request("mock-echo", [{"role": "user", "content": "left over"}]))
    wait_for(lambda: worker.active_jobs == 0)
    assert worker.shutdown() is True
    events = worker.poll()
    check_sequences(events)
    assert [e.type for e in events] == ["started", "delta", "done"]
    assert events[0].job_id == job_id
    assert text_of(events) == "Echo: left over"


def test_shutdown_of_a_worker_that_never_started(make_worker, mock_server: MockServer) -> None:
    worker = make_worker(mock_server)
    assert worker.shutdown() is True
    assert worker.poll() == []
    with pytest.raises(WorkerClosedError):
        worker.submit(Request("mock-echo", USER))


def test_submit_racing_with_shutdown_either_raises_or_ends_exactly_once(
    make_worker, mock_server: MockServer
) -> None:
    worker = make_worker(mock_server).start()
    accepted: list[str] = []
    refused = 0
    lock = threading.Lock()
    go = threading.Event()

    def submitter() -> None:
        nonlocal refused
        go.wait(5)
        for _ in range(200):
            try:
                job_id = worker.submit(Request("mock-echo", USER))
            except WorkerClosedError:
                with lock:
                    refused += 1
                return
            with lock:
                accepted.append(job_id)

    threads = [threading.Thread(target=submitter) for _ in range(4)]
    for thread in threads:
        thread.start()
    go.set()
    time.sleep(0.05)
    assert worker.shutdown(5.0) is True
    for thread in threads:
        thread.join(5)
        assert not thread.is_alive()
    grouped = check_sequences(worker.poll())
    assert set(grouped) == set(accepted)
    assert refused + len(accepted) > 0
    assert worker_threads() == []


def test_reconfigure_mid_stream_keeps_the_running_job_on_the_old_server(
    worker: Worker, mock_server: MockServer, second_server: MockServer
) -> None:
    chunks = [f"old {n} " for n in range(20)]
    mock_server.enqueue(stream(chunks, delay=0.03))
    running = worker.submit(Request("mock-echo", USER))
    events: list = []
    _first_delta(worker, running, events)

    from worker_support import config_for

    worker.reconfigure(config_for(second_server))
    following = worker.submit(Request("mock-echo", [{"role": "user", "content": "new one"}]))
    drain_until(worker, [running, following], into=events)
    grouped = check_sequences(events)

    assert grouped[running][-1].type == "done"
    assert text_of(grouped[running]) == "".join(chunks)
    assert grouped[following][-1].type == "done"
    assert text_of(grouped[following]) == "Echo: new one"
    assert len(mock_server.chat_requests) == 1
    assert len(second_server.chat_requests) == 1
    assert mock_server.disconnects == []  # the old client let its stream finish

    again = worker.submit(Request("mock-echo", USER))
    assert drain_until(worker, [again])[-1].type == "done"
    assert len(second_server.chat_requests) == 2


def test_reconfigure_with_a_new_key_applies_to_the_next_job(make_worker) -> None:
    with MockServer(api_key="new-key") as server:
        worker = make_worker(server, api_key="old-key")
        first = worker.submit(Request("mock-echo", USER))
        assert drain_until(worker, [first])[-1].type == "failed"

        from worker_support import config_for

        worker.reconfigure(config_for(server, api_key="new-key"))
        second = worker.submit(Request("mock-echo", USER))
        assert drain_until(worker, [second])[-1].type == "done"
        worker.shutdown()
