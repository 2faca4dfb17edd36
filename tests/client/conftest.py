"""Fixtures for the client tests: the mock LiteLLM server and a client pointed at it."""

from __future__ import annotations

import sys
from pathlib import Path

_ROOT = str(Path(__file__).resolve().parents[2])
if _ROOT not in sys.path:  # so ``tests.support`` imports however pytest was started
    sys.path.insert(0, _ROOT)

from tests.support.fixtures import mock_server  # noqa: E402

__all__ = ["mock_server"]
