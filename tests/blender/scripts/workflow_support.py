"""Shared steps of the workflow scripts: call operators, follow jobs, gates, captured logs.

Gates let a script and the test's mock server (another process) meet at a known point of a
stream: the server writes ``<gate>.sent`` (the number of characters before the gate) once it has
written the chunks before the gate, then waits for the script to touch ``<gate>.go`` before it
writes the rest (``$LSW_GATES`` is the folder both sides use).
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import bpy
from harness import MODULE, package, pump_until, worker_threads

GATES = Path(os.environ.get("LSW_GATES", "."))


def wait_for_gate(name: str, timeout: float = 10.0) -> bool:
    """True once the server has written the chunks before gate ``name`` (no pumping)."""
    marker = GATES / f"{name}.sent"
    deadline = time.monotonic() + timeout
    while not marker.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.005)
    return True


def chars_before_gate(name: str) -> int:
    """How many characters the server wrote before gate ``name`` (once ``wait_for_gate``)."""
    return int((GATES / f"{name}.sent").read_text())


def open_gate(name: str) -> None:
    (GATES / f"{name}.go").touch()


class LogCapture(logging.Handler):
    """Every warning and error the extension logs (an exception in pump() would be one)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(
            {
                "level": record.levelname,
                "logger": record.name,
                "message": record.getMessage(),
                "exc": bool(record.exc_info),
            }
        )

    def errors(self) -> list[dict]:
        return [r for r in self.records if r["level"] in ("ERROR", "CRITICAL") or r["exc"]]


def capture_log() -> LogCapture:
    handler = LogCapture()
    logger = logging.getLogger(MODULE)
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return handler


def call(operator: str, **props) -> dict:
    """Run ``bpy.ops.screenwriter.<operator>``; what it returned, raised, took and submitted.

    Blender turns an ERROR report into a RuntimeError raised by the ``bpy.ops`` call, so a
    refusal shows up as ``error`` (the report) with ``result`` None.
    """
    bridge = package("bridge")
    before = bridge.latest_job()
    start = time.perf_counter()
    result, error = None, None
    try:
        result = sorted(getattr(bpy.ops.screenwriter, operator)(**props))
    except RuntimeError as exc:
        error = str(exc)
    seconds = time.perf_counter() - start
    latest = bridge.latest_job()
    return {
        "result": result,
        "error": error,
        "seconds": seconds,
        "job": latest if latest is not None and latest is not before else None,
    }


def text_of(name: str) -> str | dict | None:
    """The Text's content exactly; one holding invalid UTF-8 comes back as a dict saying so
    (with what text_io reads), so a test comparing strings fails on it."""
    text = bpy.data.texts.get(name)
    if text is None:
        return None
    try:
        return text.as_string()
    except UnicodeDecodeError:
        return {"broken_utf8": package("text_io").read(text)}


def summary(job, ended: bool | None = None) -> dict:
    """What a test checks of a job: how it ended and what its Text holds."""
    out = {
        "state": job.state,
        "message": job.message,
        "chars": job.chars,
        "text_name": job.text_name,
        "text": text_of(job.text_name),
        "threads": len(worker_threads()),
    }
    if ended is not None:
        out["ended"] = ended
    return out


def finish(job, timeout: float = 20.0) -> dict:
    """Pump until ``job`` ends; its summary."""
    ended = pump_until(lambda: not job.active, timeout=timeout)
    return summary(job, ended)


def request(operator: str, timeout: float = 20.0, **props) -> dict:
    """Call a request operator and pump its job to the end: the call's facts and the job's."""
    called = call(operator, **props)
    job = called.pop("job")
    assert job is not None, f"screenwriter.{operator} submitted no job: {called}"
    return {**called, **finish(job, timeout)}


def conversation(kind: str = "ask") -> list[dict]:
    """A request type's conversation as stored on the scene (the messages, oldest first)."""
    import json

    entry = next((c for c in bpy.context.scene.screenwriter.conversations if c.kind == kind), None)
    return json.loads(entry.data)["messages"] if entry is not None and entry.data else []
