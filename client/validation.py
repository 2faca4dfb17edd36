"""Check what goes out and what comes in against the JSON Schemas shipped in ``schemas/``.

Schemas are read and compiled once, on first use. Requests are fully validated before sending.
Stream chunks get ``chunk_is_well_formed()``, a hand-written check of exactly the fields the
client reads (a few microseconds instead of ~30 for jsonschema); full validation runs on the
first chunk, on any chunk that fails the quick check (to name the precise problem), and on the
completion assembled at the end.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError

from . import defaults

__all__ = [
    "chunk_is_well_formed",
    "describe",
    "schema_errors",
    "validate_request",
    "validator",
]

_FINISH_REASONS = defaults.FINISH_REASONS


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The compiled validator of schema ``name`` (a key of ``SCHEMA_FILES``), built once."""
    path = defaults.SCHEMA_DIR / defaults.SCHEMA_FILES[name]
    schema = json.loads(path.read_text("utf-8"))
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    return cls(schema)


def _path(error: ValidationError) -> str:
    out = ""
    for part in error.absolute_path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "the body"


def describe(error: ValidationError) -> str:
    """One readable line for a schema error: where, and what is wrong."""
    where = _path(error)
    value = error.instance
    kind = error.validator
    if kind == "minItems" and value == []:
        return f"{where} is empty"
    if kind in ("minimum", "maximum"):
        schema = error.schema
        low, high = schema.get("minimum"), schema.get("maximum")
        if low is not None and high is not None:
            return f"{where} must be between {low:g} and {high:g}, not {value!r}"
        if low is None:
            return f"{where} must be at most {high!r}, not {value!r}"
        return f"{where} must be at least {low!r}, not {value!r}"
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value if v is not None)
        return f"{where} is {value!r}, which is not one of {allowed}"
    if kind == "required":
        return f"{where}: {error.message}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where} must be {expected}, not {type(value).__name__} {_short(value)}"
    return f"{where}: {error.message}"


def _short(value: Any) -> str:
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_errors(name: str, instance: Any) -> list[str]:
    """Readable descriptions of everything in ``instance`` that breaks schema ``name``."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [describe(error) for error in errors]


def validate_request(payload: Mapping[str, Any]) -> list[str]:
    """Problems with a chat request payload (empty when it may be sent)."""
    return schema_errors("request", payload)


def _usage_ok(usage: Any) -> bool:
    if type(usage) is not dict:
        return False
    for name in ("prompt_tokens", "completion_tokens"):
        value = usage.get(name, -1)
        if type(value) is not int or value < 0:
            return False
    if "total_tokens" not in usage:  # optional, but when present an integer: null breaks it
        return True
    total = usage["total_tokens"]
    return type(total) is int and total >= 0


def chunk_is_well_formed(chunk: Any) -> bool:
    """True when every field the client reads from a stream chunk has the right shape.

    Never true for a chunk that breaks ``chat_chunk.schema.json`` (the property tests hold
    it to that); may be false for an odd but valid one (``1.0`` tokens), which then goes
    through full validation.
    """
    if type(chunk) is not dict:
        return False
    choices = chunk.get("choices")
    if type(choices) is not list:
        return False
    for choice in choices:
        if type(choice) is not dict:
            return False
        delta = choice.get("delta")
        if delta is not None:
            if type(delta) is not dict:
                return False
            content = delta.get("content")
            if content is not None and type(content) is not str:
                return False
            role = delta.get("role")
            if role is not None and type(role) is not str:
                return False
        reason = choice.get("finish_reason")
        if reason is not None and (type(reason) is not str or reason not in _FINISH_REASONS):
            return False
    usage = chunk.get("usage")
    if usage is not None and not _usage_ok(usage):
        return False
    for name in ("id", "model"):
        value = chunk.get(name)
        if value is not None and type(value) is not str:
            return False
    return True
