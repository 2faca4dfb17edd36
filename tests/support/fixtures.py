"""Pytest fixtures around the mock LiteLLM server, for every test layer that needs one.

Register with ``pytest_plugins = ["tests.support.fixtures"]`` (or import the fixtures).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .mock_server import MockServer

__all__ = ["mock_server"]


@pytest.fixture
def mock_server() -> Iterator[MockServer]:
    """A fresh MockServer on 127.0.0.1, started before the test and stopped after it."""
    server = MockServer().start()
    try:
        yield server
    finally:
        server.stop()
