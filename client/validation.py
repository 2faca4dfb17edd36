"""Check what goes out and what comes in against the JSON Schemas shipped in ``schemas/``.

Schemas are read and compiled once, on first use (``jsonschema`` itself is imported then). On
the hot path the hand-written checks of ``quick_checks.py`` (a few microseconds instead of ~30
for jsonschema) accept only what the schemas accept; full validation runs on whatever they
refuse, to name the precise problem, and on requests with fields they do not know.
"""

from __future__ import annotations

import functools
import json
import reprlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from . import defaults
from .quick_checks import chunk_is_well_formed  # the hand-written hot-path check

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

__all__ = [
    "chunk_is_well_formed",
    "describe",
    "schema_errors",
    "summary",
    "validate_request",
    "validator",
]


@functools.cache
def validator(name: str) -> jsonschema.protocols.Validator:
    """The compiled validator of schema ``name`` (a key of ``SCHEMA_FILES``), built once."""
    import jsonschema

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
            return f"{where} must be between {low:g} and {high:g}, not {_shown(value)}"
        if low is None:
            return f"{where} must be at most {high!r}, not {_shown(value)}"
        return f"{where} must be at least {low!r}, not {_shown(value)}"
    if kind == "enum":
        allowed = ", ".join(repr(v) for v in error.validator_value if v is not None)
        return f"{where} is {_shown(value)}, which is not one of {allowed}"
    if kind == "required":
        return f"{where}: {error.message}"
    if kind == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else expected
        return f"{where} must be {expected}, not {type(value).__name__} {_short(value)}"
    return f"{where}: {error.message}"


def _shown(value: Any) -> str:
    """``repr(value)``, cut short: a server may put a whole document where a word belongs."""
    text = reprlib.repr(value) if isinstance(value, dict | list) else repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _short(value: Any) -> str:
    try:
        text = json.dumps(value, default=str)
    except (ValueError, RecursionError):  # a list that contains itself, or nests too deeply
        text = reprlib.repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def schema_errors(name: str, instance: Any) -> list[str]:
    """Readable descriptions of everything in ``instance`` that breaks schema ``name``."""
    errors = sorted(validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path))
    return [describe(error) for error in errors]


def summary(problems: list[str], prefix: str = "") -> str:
    """``prefix`` and the first three problems as one message, no longer than the error
    message limit (a problem quotes the server's keys and values, which may be huge)."""
    text = prefix + "; ".join(problems[:3])
    limit = defaults.MAX_ERROR_MESSAGE_CHARS
    return text if len(text) <= limit else text[: limit - 1] + "…"


def validate_request(payload: Mapping[str, Any]) -> list[str]:
    """Problems with a chat request payload (empty when it may be sent)."""
    return schema_errors("request", payload)
