"""Chat requests out and completions in: the payload and its JSON, and the ``Completion`` read
back from a whole body or from the pieces of a stream. Shared by ``complete()`` and streams;
no I/O here.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import defaults
from .config import ClientConfig
from .error_mapping import ErrorMapping
from .errors import TOO_DEEP, InvalidRequestError
from .json_codec import dumps
from .quick_checks import completion_is_well_formed, request_is_well_formed
from .timeouts import Timeout
from .types import Completion, Usage, filled
from .validation import schema_errors, summary, validate_request

__all__ = [
    "call_limits",
    "chat_payload",
    "completion_from",
    "cost_from",
    "encode",
    "usage_from",
]


def call_limits(config: ClientConfig, kind: str, timeout: Timeout | None) -> Timeout:
    """The timeout profile of one call: ``timeout`` when given, else the kind's (a kind that is
    not a name is refused either way: the limiter and the log read it too)."""
    if not isinstance(kind, str):
        raise InvalidRequestError(
            f"kind must be a request kind such as 'ask' or 'analysis', not {type(kind).__name__}"
        )
    if timeout is not None:
        if not isinstance(timeout, Timeout):
            raise InvalidRequestError(
                "timeout must be a Timeout(connect, first_byte, idle, total), "
                f"not {type(timeout).__name__}"
            )
        return timeout
    return config.timeout_for(kind)


def chat_payload(
    model: str,
    messages: Sequence[Mapping[str, Any]],
    params: Mapping[str, Any],
    *,
    stream: bool,
) -> dict[str, Any]:
    """The request body of a chat completion, checked against the request schema."""
    # type() first: the common list skips isinstance against the Mapping ABC (slow).
    if type(messages) is not list and (
        isinstance(messages, str | bytes | Mapping) or not isinstance(messages, Iterable)
    ):
        raise InvalidRequestError(
            "messages must be a list of {'role': ..., 'content': ...} objects, "
            f"not {type(messages).__name__}"
        )
    # A parameter set to None is not sent (as if left out), like the cache key reads it.
    payload = {"model": model, "messages": list(messages)}
    if params:
        payload.update((k, v) for k, v in params.items() if v is not None)
    if stream:
        payload["stream"] = True
        payload.setdefault("stream_options", {"include_usage": True})
    else:
        payload.pop("stream", None)
    if not request_is_well_formed(payload):
        try:
            problems = validate_request(payload)
        except RecursionError as error:
            raise InvalidRequestError(TOO_DEEP) from error
        if problems:
            raise InvalidRequestError(summary(problems))
    return payload


def encode(payload: Mapping[str, Any]) -> bytes:
    """The payload as JSON bytes (NaN and Infinity refused: they are not JSON)."""
    try:
        return dumps(payload)
    except (TypeError, ValueError) as error:
        raise InvalidRequestError(f"the request cannot be sent as JSON: {error}") from error
    except RecursionError as error:
        raise InvalidRequestError(TOO_DEEP) from error


def _float_header(headers: Mapping[str, str], name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        number = float(value)
    except ValueError:
        return None
    # "nan" or "inf" would poison every total it is added to.
    return number if math.isfinite(number) else None


def cost_from(headers: Mapping[str, str], usage: Any) -> float | None:
    """The request's cost: LiteLLM's ``x-litellm-response-cost`` header, else the ``cost`` it
    puts in the usage object (streams carry it only there)."""
    cost = None
    if defaults.COST_HEADER in headers:
        cost = _float_header(headers, defaults.COST_HEADER)
        if cost is not None and cost < 0:  # a cost is never negative: the header is wrong
            cost = None
    if cost is None and type(usage) is dict and "cost" in usage:
        value = usage.get("cost")
        if type(value) in (int, float) and math.isfinite(value) and value >= 0:
            cost = float(value)
    return cost


def usage_from(data: Any) -> Usage | None:
    """The ``Usage`` of a validated ``usage`` object, or None when absent."""
    if not isinstance(data, dict):
        return None
    prompt = data.get("prompt_tokens", 0)
    completion = data.get("completion_tokens", 0)
    total = data.get("total_tokens") or prompt + completion
    return filled(Usage, prompt_tokens=prompt, completion_tokens=completion, total_tokens=total)


def completion_from(
    data: Any, headers: Mapping[str, str], request_id: str, errors: ErrorMapping
) -> Completion:
    """The ``Completion`` of a decoded chat.completion body, checked against the schema (an
    ``{"error": ...}`` body with status 200 raises as the error it describes)."""
    if isinstance(data, dict) and "error" in data:
        raise errors.event(data, request_id)
    if not completion_is_well_formed(data):
        problems = schema_errors("completion", data)
        if problems:
            raise errors.invalid(summary(problems), request_id)
    choice = data["choices"][0]
    usage = data.get("usage")
    return filled(
        Completion,
        text=choice["message"].get("content") or "",
        finish_reason=choice.get("finish_reason"),
        usage=usage_from(usage),
        cost=cost_from(headers, usage),
        request_id=request_id,
        model=data.get("model"),
        raw=data,
        cached=False,
    )
