"""The per-request hooks on the worker thread: ``Request.prepare`` builds the request just
before it is sent, ``Request.check`` reads the finished completion and its return value is the
``done`` event's ``result``; and the ``model_info`` query. Against the scripted mock server."""

from __future__ import annotations

import dataclasses
import pickle
import threading

import pytest
from worker_support import check_sequences, drain_until, text_of

from litellm_screenwriter.client import APIConnectionError, Completion, LiteLLMError
from litellm_screenwriter.worker import THREAD_NAME, Query, Request, Worker
from tests.support.mock_server import MockServer, status, stream

pytestmark = pytest.mark.timeout(30)

USER = [{"role": "user", "content": "Write a line for INT. KITCHEN - NIGHT"}]


class Recorder:
    """A hook that notes which thread called it and what it got."""

    def __init__(self, returns=None, raises: BaseException | None = None) -> None:
        self.calls: list[tuple[str, object]] = []
        self.returns = returns
        self.raises = raises

    def __call__(self, value):
        self.calls.append((threading.current_thread().name, value))
        if self.raises is not None:
            raise self.raises
        return self.returns(value) if callable(self.returns) else self.returns


def test_check_runs_on_the_worker_thread_and_its_result_is_in_the_done_event(
    worker: Worker, mock_server: MockServer
) -> None:
    mock_server.enqueue(stream(['{"logline": ', '"A keeper."}']))
    check = Recorder(returns=lambda completion: {"length": len(completion.text)})
    job_id = worker.submit(Request("mock-echo", USER, check=check))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    done = events[-1]
    assert done.type == "done"
    assert done.completion.text == '{"logline": "A keeper."}'
    assert done.result == {"length": len(done.completion.text)}
    assert len(check.calls) == 1
    thread, completion = check.calls[0]
    assert thread == THREAD_NAME
    assert threading.current_thread().name != THREAD_NAME
    assert isinstance(completion, Completion)
    assert completion is done.completion


def test_a_request_without_hooks_ends_with_no_result(worker: Worker) -> None:
    job_id = worker.submit(Request("mock-echo", USER))
    done = drain_until(worker, [job_id])[-1]
    assert done.type == "done"
    assert done.result is None


def test_prepare_builds_the_request_on_the_worker_thread_before_it_is_sent(
    worker: Worker, mock_server: MockServer
) -> None:
    built = [{"role": "system", "content": "Grounded."}, {"role": "user", "content": "Go."}]
    prepare = Recorder(
        returns=lambda request: dataclasses.replace(
            request, messages=built, params={**request.params, "top_p": 0.5}
        )
    )
    request = Request("mock-echo", (), params={"temperature": 0.1}, prepare=prepare)
    job_id = worker.submit(request)
    events = drain_until(worker, [job_id])
    check_sequences(events)
    assert events[-1].type == "done"
    assert [thread for thread, _ in prepare.calls] == [THREAD_NAME]
    assert prepare.calls[0][1] is request
    sent = mock_server.chat_requests[0].json
    assert sent["messages"] == built
    assert sent["temperature"] == 0.1
    assert sent["top_p"] == 0.5
    assert text_of(events) == "Echo: Go."


def test_the_prepared_requests_check_is_the_one_called(worker: Worker) -> None:
    late = Recorder(returns="from the prepared request")
    request = Request(
        "mock-echo", USER, prepare=lambda r: dataclasses.replace(r, prepare=None, check=late)
    )
    done = drain_until(worker, [worker.submit(request)])[-1]
    assert done.result == "from the prepared request"
    assert len(late.calls) == 1


@pytest.mark.parametrize("hook", ["prepare", "check"])
def test_a_raising_hook_fails_the_job_with_a_typed_error(worker: Worker, hook: str) -> None:
    broken = Recorder(raises=KeyError("scene 7"))
    job_id = worker.submit(Request("mock-echo", USER, **{hook: broken}))
    events = drain_until(worker, [job_id])
    check_sequences(events)
    failed = events[-1]
    assert failed.type == "failed"
    assert isinstance(failed.error, LiteLLMError)
    assert isinstance(failed.error.__cause__, KeyError)
    assert "KeyError" in str(failed.error)


def test_prepare_must_return_a_request(worker: Worker) -> None:
    job_id = worker.submit(Request("mock-echo", USER, prepare=lambda r: r.messages))
    failed = drain_until(worker, [job_id])[-1]
    assert failed.type == "failed"
    assert "not a Request" in str(failed.error)


def test_check_is_not_called_when_the_request_fails(
    worker: Worker, mock_server: MockServer
) -> None:
    mock_server.enqueue(status(400, {"error": {"message": "context too long"}}))
    check = Recorder(returns="never")
    events = drain_until(worker, [worker.submit(Request("mock-echo", USER, check=check))])
    assert events[-1].type == "failed"
    assert check.calls == []


def test_hooks_must_be_callable_and_a_request_with_hooks_still_pickles() -> None:
    with pytest.raises(TypeError, match="check"):
        Request("m", USER, check="validate")  # type: ignore[arg-type]
    request = Request("m", USER, check=len, prepare=None)
    again = pickle.loads(pickle.dumps(request))
    assert again == request
    assert again.check is len
    assert hash(again) == hash(request)
    assert Request("m", USER, check=len) != Request("m", USER)


def test_model_info_query_returns_the_servers_json(make_worker) -> None:
    info = {"data": [{"model_name": "mock-echo", "model_info": {"max_input_tokens": 8192}}]}
    with MockServer(model_info=info) as server:
        worker = make_worker(server)
        events = drain_until(worker, [worker.submit(Query("model_info"))])
        check_sequences(events)
        assert events[-1].type == "done"
        assert events[-1].result == info
        assert [r.path for r in server.requests] == ["/model/info"]


def test_model_info_query_without_the_endpoint_is_done_with_none(
    worker: Worker, mock_server: MockServer
) -> None:
    events = drain_until(worker, [worker.submit(Query("model_info"))])
    check_sequences(events)
    assert events[-1].type == "done"
    assert events[-1].result is None
    assert [r.path for r in mock_server.requests] == ["/model/info"]


def test_model_info_query_fails_when_nothing_answers(make_worker) -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    from worker_support import config_for

    class Nowhere:
        url = f"http://127.0.0.1:{port}"

    worker = Worker(config_for(Nowhere()))  # type: ignore[arg-type]
    try:
        events = drain_until(worker, [worker.submit(Query("model_info"))])
    finally:
        assert worker.shutdown(5.0)
    assert events[-1].type == "failed"
    assert isinstance(events[-1].error, APIConnectionError)
    assert f"is the LiteLLM server running at http://127.0.0.1:{port}" in str(events[-1].error)
