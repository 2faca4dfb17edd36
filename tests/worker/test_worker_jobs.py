"""A job's life on the worker thread, against the real client and the scripted mock server:
event order, text integrity, typed failures, delta merging, and the cheap idle poll."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from worker_support import by_job, check_sequences, drain_until, text_of, wait_for

from litellm_screenwriter.client import (
    APIConnectionError,
    AuthenticationError,
    Completion,
    LiteLLMError,
)
from litellm_screenwriter.worker import THREAD_NAME, Event, Request, Worker
from tests.support.mock_server import MockServer, reply, status, stream

pytestmark = pytest.mark.timeout(30)

ROOT = Path(__file__).resolve().parents[2]
USER = [{"role": "user", "content": "Write a line for INT. KITCHEN - NIGHT"}]


def test_importing_the_worker_does_not_import_aiohttp_or_the_client() -> None:
    """Blender imports the add-on at start-up: the network stack must load on first use only."""
    init, root = str(ROOT / "__init__.py"), str(ROOT)
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('litellm_screenwriter', {init!r},"
        f" submodule_search_locations=[{root!r}])\n"
        "pkg = importlib.util.module_from_spec(spec); sys.modules['litellm_screenwriter'] = pkg\n"
        "spec.loader.exec_module(pkg)\n"
        "import litellm_screenwriter.worker\n"
        "bad = [m for m in ('aiohttp', 'litellm_screenwriter.client', 'bpy') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_request_is_an_immutable_copy_of_what_the_caller_passed() -> None:
    messages = [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]
    params = {"temperature": 0.3}
    request = Request("mock-echo", messages, params=params, kind="dialogue")
    messages[0]["content"][0]["text"] = "changed"
    messages.append({"role": "user", "content": "more"})
    params["temperature"] = 1.5
    assert request.messages[0]["content"][0]["text"] == "hi"
    assert len(request.messages) == 1
    assert request.params["temperature"] == 0.3
    with pytest.raises(TypeError):
        request.messages[0]["role"] = "system"  # type: ignore[index]
    with pytest.raises(TypeError):
        request.params["top_p"] = 1  # type: ignore[index]
    same = Request(
        "mock-echo",
        [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        params={"temperature": 0.3},
        kind="dialogue",
    )
    assert request == same
    assert hash(request) == hash(same)
    assert dict(Request("m", USER).params) == {}
    assert Request("m", USER).stream is True
    assert Request("m", USER).kind == "ask"
    with pytest.raises(TypeError):
        Request("m", "not a list of messages")
    with pytest.raises(ValueError, match="model"):
        Request("", USER)


def test_stream_job_events_arrive_in_order_with_the_exact_text(
    worker: Worker, mock_server: MockServer
) -> None:
    chunks = ["FADE IN:", "\n\n", "INT. KITCHEN", " \u2013 NIGHT", "\n", "Ünïcødé ✓"]
    mock_server.enqueue(stream(chunks, delay=0.01))
    job_id = worker.submit(Request("mock-echo", USER, params={"temperature": 0.2}))
    assert isinstance(job_id, str)
    events = drain_until(worker, [job_id])
    check_sequences(events)
    types = [e.type for e in events]
    assert types[0] == "started"
    assert types[-1] == "done"
    assert text_of(events) == "".join(chunks)
    done = events[-1]
    assert isinstance(done.completion, Completion)
    assert done.completion.text == "".join(chunks)
    assert done.completion.finish_reason == "stop"
    sent = mock_server.chat_requests[0].json
    assert sent["stream"] is True
    assert sent["temperature"] == 0.2
    assert sent["messages"] == USER
    assert worker.active_jobs == 0


def test_echo_answer_streams_when_nothing_is_scripted(
    worker: Worker, mock_server: MockServer
) -> None:
    job_id = worker.submit(Request("mock-echo", [{"role": "user", "content": "a b c"}]))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    assert text_of(events) == "Echo: a b c"


def test_non_stream_job_sends_started_one_delta_then_done(
    worker: Worker, mock_server: MockServer
) -> None:
    mock_server.enqueue(reply("The whole answer at once."))
    job_id = worker.submit(Request("mock-echo", USER, stream=False, kind="analysis"))
    events = drain_until(worker, [job_id])
    assert [e.type for e in events] == ["started", "delta", "done"]
    assert events[1].text == "The whole answer at once."
    assert events[2].completion.text == "The whole answer at once."
    assert not mock_server.chat_requests[0].json.get("stream")


def test_authentication_failure_is_a_typed_failed_event(make_worker) -> None:
    with MockServer(api_key="right-key") as server:
        worker = make_worker(server, api_key="wrong-key")
        job_id = worker.submit(Request("mock-echo", USER))
        events = drain_until(worker, [job_id])
        check_sequences(events)
        assert [e.type for e in events] == ["started", "failed"]
        assert isinstance(events[-1].error, AuthenticationError)
        assert events[-1].error.status == 401
        worker.shutdown()


def test_server_error_status_fails_the_job(worker: Worker, mock_server: MockServer) -> None:
    mock_server.enqueue(status(400, {"error": {"message": "temperature out of range"}}))
    job_id = worker.submit(Request("mock-echo", USER))
    events = drain_until(worker, [job_id])
    assert events[-1].type == "failed"
    assert isinstance(events[-1].error, LiteLLMError)
    assert events[-1].error.status == 400
    assert "temperature out of range" in str(events[-1].error)


def test_dropped_stream_fails_with_the_partial_text_already_delivered(
    worker: Worker, mock_server: MockServer
) -> None:
    mock_server.enqueue(stream(["INT. ", "BARN", " - DAY", " never sent"], drop_after=3))
    job_id = worker.submit(Request("mock-echo", USER))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    assert events[-1].type == "failed"
    assert isinstance(events[-1].error, APIConnectionError)
    assert text_of(events) == "INT. BARN - DAY"


def test_refused_request_fails_with_a_litellm_error(worker: Worker) -> None:
    """Whatever goes wrong below the worker reaches the main thread as a LiteLLMError."""
    job_id = worker.submit(Request("mock-echo", USER, params={"temperature": object()}))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    assert events[-1].type == "failed"
    assert isinstance(events[-1].error, LiteLLMError)


def test_unexpected_exceptions_are_wrapped_with_the_original_chained() -> None:
    from litellm_screenwriter.worker.thread import _as_litellm_error

    original = KeyError("choices")
    wrapped = _as_litellm_error(original)
    assert isinstance(wrapped, LiteLLMError)
    assert wrapped.__cause__ is original
    assert "KeyError" in str(wrapped)
    assert "bug" in str(wrapped)
    typed = AuthenticationError("no", status=401)
    assert _as_litellm_error(typed) is typed


def test_deltas_merge_while_nobody_polls(worker: Worker, mock_server: MockServer) -> None:
    chunks = [f"word{i} " for i in range(400)]
    mock_server.enqueue(stream(chunks))
    job_id = worker.submit(Request("mock-echo", USER))
    wait_for(lambda: worker.active_jobs == 0)
    assert worker.pending() <= 3
    events = worker.poll()
    assert [e.type for e in events] == ["started", "delta", "done"]
    assert events[1].text == "".join(chunks)
    assert events[-1].job_id == job_id


def test_many_unpolled_jobs_stay_bounded_at_three_events_each(
    worker: Worker, mock_server: MockServer
) -> None:
    for _ in range(12):
        mock_server.enqueue(stream([f"{n} " for n in range(50)]))
    job_ids = [worker.submit(Request("mock-echo", USER)) for _ in range(12)]
    wait_for(lambda: worker.active_jobs == 0)
    assert worker.pending() <= 3 * len(job_ids)
    events = worker.poll()
    assert len(events) <= 3 * len(job_ids)
    grouped = check_sequences(events)
    assert set(grouped) == set(job_ids)
    for job_events in grouped.values():
        assert text_of(job_events) == "".join(f"{n} " for n in range(50))


def test_polling_while_streaming_still_delivers_every_character(
    worker: Worker, mock_server: MockServer
) -> None:
    chunks = [chr(0x41 + i % 26) * (i % 5 + 1) for i in range(200)]
    mock_server.enqueue(stream(chunks, delay=0.002))
    job_id = worker.submit(Request("mock-echo", USER))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    assert text_of(events) == "".join(chunks)


def test_idle_poll_is_cheap_and_returns_a_fresh_empty_list(worker: Worker) -> None:
    first, second = worker.poll(), worker.poll()
    assert first == []
    assert second == []
    assert first is not second
    started = time.perf_counter()
    for _ in range(20_000):
        worker.poll()
    per_call = (time.perf_counter() - started) / 20_000
    assert per_call < 20e-6, f"idle poll took {per_call * 1e6:.1f} µs"


def test_worker_thread_is_a_named_daemon_started_once(worker: Worker) -> None:
    worker.start()
    worker.start()
    threads = [t for t in threading.enumerate() if t.name == THREAD_NAME]
    assert len(threads) == 1
    assert threads[0].daemon
    assert worker.is_alive


def test_submit_starts_the_worker_and_the_client_lives_on_its_thread(
    make_worker, mock_server: MockServer
) -> None:
    worker = make_worker(mock_server)
    assert not worker.is_alive
    job_id = worker.submit(Request("mock-echo", USER))
    events = drain_until(worker, [job_id])
    assert events[-1].type == "done"


def test_wakeup_hook_fires_when_events_become_available(
    make_worker, mock_server: MockServer
) -> None:
    calls: list[str] = []
    worker = make_worker(mock_server, wakeup=lambda: calls.append(threading.current_thread().name))
    job_id = worker.submit(Request("mock-echo", USER))
    events = drain_until(worker, [job_id])
    assert events[-1].type == "done"
    assert calls
    assert THREAD_NAME in calls


def test_a_failing_wakeup_hook_does_not_break_the_worker(
    make_worker, mock_server: MockServer
) -> None:
    def broken() -> None:
        raise RuntimeError("host went away")

    worker = make_worker(mock_server, wakeup=broken)
    job_id = worker.submit(Request("mock-echo", USER))
    assert drain_until(worker, [job_id])[-1].type == "done"


def test_events_are_frozen_values() -> None:
    event = Event("j", "delta", "text")
    with pytest.raises(AttributeError):
        event.text = "other"  # type: ignore[misc]
    assert not event.terminal
    assert Event("j", "cancelled").terminal
    assert by_job([event]) == {"j": [event]}
