"""Hand-written shape checks for the hot path; the JSON Schemas stay the source of truth.

A full ``jsonschema`` pass costs tens of microseconds, more than the whole HTTP round trip
on loopback. These functions check exactly what the client reads or sends in a few
microseconds and answer True only for data the schema accepts; anything else (an error, or
just something unusual) goes to full validation, which names the problem precisely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from . import defaults

__all__ = ["chunk_is_well_formed", "completion_is_well_formed", "request_is_well_formed"]

_FINISH = defaults.FINISH_REASONS
_ROLES = defaults.ALLOWED_ROLES
_LOW, _HIGH = defaults.TEMPERATURE_RANGE
# Request fields whose full rules live only in the schema: their presence sends the payload
# through full validation.
_SIMPLE_PARAMS = frozenset({"model", "messages", "stream", "stream_options", "temperature"})
_MESSAGE_FIELDS = frozenset({"role", "content"})
# ``type(x) in _STR_OR_NONE``: one test for "absent, null or a string" (not a str subclass).
_STR_OR_NONE = (str, type(None))
_NUMBER = (int, float)


def _usage_ok(usage: Any) -> bool:
    if usage is None:
        return True
    if type(usage) is not dict:
        return False
    prompt = usage.get("prompt_tokens", -1)
    completion = usage.get("completion_tokens", -1)
    # total_tokens is optional, but when present an integer: null breaks it.
    total = usage.get("total_tokens", 0)
    return (
        type(prompt) is int
        and type(completion) is int
        and type(total) is int
        and prompt >= 0
        and completion >= 0
        and total >= 0
    )


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
        if reason is not None and (type(reason) is not str or reason not in _FINISH):
            return False
    usage = chunk.get("usage")
    if usage is not None and not _usage_ok(usage):
        return False
    for name in ("id", "model"):
        value = chunk.get(name)
        if value is not None and type(value) is not str:
            return False
    return True


def completion_is_well_formed(body: Any) -> bool:
    """True when a chat.completion body has every field the client reads, well typed."""
    if type(body) is not dict:
        return False
    get = body.get
    choices = get("choices")
    if type(choices) is not list or not choices:
        return False
    for choice in choices:
        if type(choice) is not dict:
            return False
        message = choice.get("message")
        if (
            type(message) is not dict
            or type(message.get("content")) not in _STR_OR_NONE
            or type(message.get("role")) not in _STR_OR_NONE
            or type(choice.get("index", 0)) is not int
        ):
            return False
        reason = choice.get("finish_reason")
        # Type first: a list or a dict here would make the set lookup raise.
        if reason is not None and (type(reason) is not str or reason not in _FINISH):
            return False
    return (
        type(get("id")) in _STR_OR_NONE
        and type(get("model")) in _STR_OR_NONE
        and type(get("object")) in _STR_OR_NONE
        and _usage_ok(get("usage"))
    )


def request_is_well_formed(payload: Mapping[str, Any]) -> bool:
    """True for the common request (model, plain-text messages, temperature, stream flags)
    when it is valid; anything else is left to the request schema."""
    if not _SIMPLE_PARAMS.issuperset(payload):
        return False
    get = payload.get
    model = get("model")
    if type(model) is not str or not model:
        return False
    messages = get("messages")
    if type(messages) is not list or not messages:
        return False
    for message in messages:
        if type(message) is not dict:
            return False
        role = message.get("role")
        if (
            type(role) is not str
            or role not in _ROLES
            or type(message.get("content")) not in _STR_OR_NONE
            or not _MESSAGE_FIELDS.issuperset(message)  # a role, and a content at most
        ):
            return False
    # A field that is present must be well typed: null is not a number or a flag.
    temperature = get("temperature", 1.0)
    if type(temperature) not in _NUMBER or not _LOW <= temperature <= _HIGH:
        return False
    if type(get("stream", False)) is not bool:
        return False
    if "stream_options" in payload:
        options = payload["stream_options"]
        if type(options) is not dict:
            return False
        if type(options.get("include_usage", False)) is not bool:
            return False
    return True
