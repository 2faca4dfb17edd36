"""Shared pieces of the fuzz layer: one mock server per module, one event loop, bounded runs.

``FUZZ_SCALE`` multiplies every test's number of examples (``FUZZ_SCALE=20`` for a long
local run; ``make test`` runs the default, about a minute in all).
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # so ``tests.support`` and ``tests.fuzz`` import however pytest started
    sys.path.insert(0, _ROOT)

from tests.support.mock_server import MockServer  # noqa: E402

SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    """Hypothesis settings for a fuzz test: ``examples`` times ``FUZZ_SCALE``, no deadline
    (a loaded machine must not fail a run on time), module fixtures allowed."""
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(scope="module")
def server() -> Iterator[MockServer]:
    """One MockServer for every example of a module (each example resets it)."""
    with MockServer() as mock:
        yield mock


@pytest.fixture(scope="module")
def run() -> Iterator:
    """``run(coroutine)`` on one event loop kept for the module (cheaper than one per example)."""
    with asyncio.Runner() as runner:
        yield runner.run
