"""Fixtures for the worker tests: a real mock server, real clients, and a worker that is
always shut down (and checked to leave no thread behind) when the test ends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from worker_support import config_for, worker_threads

from litellm_screenwriter.worker import Worker
from tests.support.fixtures import mock_server  # the scripted LiteLLM stand-in
from tests.support.mock_server import MockServer

__all__ = ["make_worker", "mock_server", "second_server", "worker"]


@pytest.fixture
def second_server() -> Iterator[MockServer]:
    """Another mock server, for reconfigure tests."""
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def make_worker() -> Iterator[Callable[..., Worker]]:
    """Build workers for a test; every one is shut down afterwards and must leave no thread."""
    created: list[Worker] = []

    def make(server: MockServer, **options) -> Worker:
        wakeup = options.pop("wakeup", None)
        created_worker = Worker(config_for(server, **options), wakeup=wakeup)
        created.append(created_worker)
        return created_worker

    yield make
    for created_worker in created:
        assert created_worker.shutdown(5.0), "worker thread did not stop in time"
    assert worker_threads() == []


@pytest.fixture
def worker(make_worker, mock_server: MockServer) -> Worker:
    """A started worker pointed at ``mock_server``."""
    return make_worker(mock_server).start()
