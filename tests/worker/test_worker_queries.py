"""Utility queries on the worker thread (model list, connection check, server detection),
against the scripted mock server: each ends in exactly one terminal event, with ``result``."""

from __future__ import annotations

import socket

import pytest
from worker_support import check_sequences, drain_until

from litellm_screenwriter.client import APIConnectionError, AuthenticationError
from litellm_screenwriter.worker import Query, ServerCheck
from tests.support.mock_server import MockServer

pytestmark = pytest.mark.timeout(30)


def closed_port_url() -> str:
    """An address on this machine where nothing listens."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def finish(worker, query: Query):
    job_id = worker.submit(query)
    events = drain_until(worker, [job_id])
    check_sequences(events)
    return events[-1]


def test_list_models_returns_the_servers_models(worker, mock_server: MockServer) -> None:
    last = finish(worker, Query("list_models"))
    assert last.type == "done"
    assert last.result == mock_server.models
    assert last.completion is None
    assert [r.path for r in mock_server.requests] == ["/v1/models"]


def test_check_reports_health_latency_and_models(worker, mock_server: MockServer) -> None:
    last = finish(worker, Query("check"))
    assert last.type == "done"
    check = last.result
    assert isinstance(check, ServerCheck)
    assert check.url == mock_server.url
    assert check.alive is True
    assert check.ready is True
    assert check.latency_ms > 0
    assert check.models == tuple(mock_server.models)


def test_check_with_a_wrong_key_fails_as_an_authentication_error(make_worker) -> None:
    with MockServer(api_key="sk-right") as server:
        worker = make_worker(server, api_key="sk-wrong")
        last = finish(worker, Query("check"))
    assert last.type == "failed"
    assert isinstance(last.error, AuthenticationError)
    assert "API key" in str(last.error)
    assert "sk-wrong" not in str(last.error)


def test_detect_picks_the_first_candidate_that_answers(worker, mock_server: MockServer) -> None:
    down = closed_port_url()
    last = finish(worker, Query("detect", (down, mock_server.url + "/v1/", mock_server.url)))
    assert last.type == "done"
    assert last.result.url == mock_server.url
    assert last.result.alive is True


def test_detect_names_every_address_it_tried_when_none_answers(worker) -> None:
    first, second = closed_port_url(), closed_port_url()
    last = finish(worker, Query("detect", (first, second)))
    assert last.type == "failed"
    assert isinstance(last.error, APIConnectionError)
    message = str(last.error)
    assert first in message
    assert second in message
    assert "preferences" in message


def test_a_query_is_validated_when_built() -> None:
    with pytest.raises(ValueError, match="unknown Query action"):
        Query("delete_everything")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="candidate"):
        Query("detect")


def test_a_query_can_be_cancelled_like_a_chat(make_worker) -> None:
    with MockServer() as server:
        worker = make_worker(server)
        job_id = worker.submit(Query("list_models"))
        worker.cancel(job_id)
        events = drain_until(worker, [job_id])
    check_sequences(events)
    assert events[-1].type in ("cancelled", "done")
