"""One log line per HTTP attempt, through ``logging`` and optionally a JSON-lines file.

Secrets never leave the process: the API key is replaced by ``***`` in log lines, in the
JSON-lines file and in exception text and bodies (``redact``, ``redact_bytes``); headers are
never logged. Bodies are logged only at DEBUG.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

from . import defaults

__all__ = ["RequestLog", "logger", "redact", "redact_bytes"]

logger = logging.getLogger(defaults.LOGGER_NAME)

_MASK = "***"


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (of 4 characters or more) replaced by ``***``."""
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, _MASK)
    return text


def redact_bytes(data: bytes, secrets: Iterable[str | None]) -> bytes:
    """``redact`` for bytes (a body as received)."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            data = data.replace(secret.encode(), _MASK.encode())
    return data


class RequestLog:
    """Writes the per-attempt line to the logger (INFO) and, when configured, to a file."""

    def __init__(self, path: str | None, secrets: Iterable[str | None]) -> None:
        self._secrets = tuple(s for s in secrets if s)
        self._path = path
        self._file = None
        self._lock = threading.Lock()  # the file may be shared by clients on other threads

    def enabled(self) -> bool:
        """Whether anything would be written (skip building the record otherwise)."""
        return self._path is not None or logger.isEnabledFor(logging.INFO)

    def attempt(
        self,
        *,
        method: str,
        url: str,
        status: int | None,
        latency: float,
        attempt: int,
        request_id: str,
        kind: str,
        error: str | None = None,
    ) -> None:
        """Record one finished attempt (``status`` None when no answer came)."""
        error = redact(error, self._secrets) if error else None
        if logger.isEnabledFor(logging.INFO):
            outcome = status if status is not None else f"failed ({error})"
            logger.info(
                "%s %s -> %s in %.1f ms (attempt %d, %s, request %s)",
                method,
                url,
                outcome,
                latency * 1000.0,
                attempt + 1,
                kind,
                request_id,
            )
        if self._path is not None:
            record = {
                "time": time.time(),
                "method": method,
                "url": url,
                "status": status,
                "latency_ms": round(latency * 1000.0, 3),
                "attempt": attempt + 1,
                "kind": kind,
                "request_id": request_id,
            }
            if error:
                record["error"] = error
            self._write(record)

    def body(self, label: str, data: Any) -> None:
        """Log a request or response body at DEBUG, secrets masked."""
        if logger.isEnabledFor(logging.DEBUG):
            if isinstance(data, bytes | bytearray):
                text = bytes(data).decode("utf-8", "replace")
            elif isinstance(data, str):
                text = data
            else:
                text = json.dumps(data, default=repr)
            logger.debug("%s: %s", label, redact(text, self._secrets))

    def _write(self, record: dict[str, Any]) -> None:
        line = redact(json.dumps(record), self._secrets) + "\n"
        with self._lock:
            try:
                if self._file is None:
                    self._file = open(self._path, "a", encoding="utf-8")  # noqa: SIM115
                self._file.write(line)
                self._file.flush()
            except OSError as error:
                logger.warning("cannot write the request log %s: %s", self._path, error)
                self._path = None

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
