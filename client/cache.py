"""A small LRU cache of finished completions, so asking the same deterministic question twice
costs one request.

Entries are keyed on the normalized request (model, messages, and only the parameters that can
change the answer), expire after a TTL and are bounded in number. The cache is not thread-safe:
it lives on the client's one event loop, like everything else in ``client/``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from . import defaults
from .errors import TOO_DEEP, InvalidRequestError

if TYPE_CHECKING:
    from .types import Completion

__all__ = ["IGNORED_PARAMS", "ResponseCache", "is_deterministic"]

# Request fields that change how an answer is delivered, traced or billed, never what it says.
IGNORED_PARAMS: frozenset[str] = defaults.CACHE_IGNORED_PARAMS


def _normalize(value: Any) -> Any:
    """Make equal requests encode equally: ``0.0`` and ``0`` (the server reads both the same)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _normalize(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    return value


def is_deterministic(params: Mapping[str, Any], force: bool | None) -> bool:
    """Whether a request may be answered from the cache.

    ``force`` wins when it is True or False; with None the request qualifies only when it asks
    for ``temperature == 0`` and a single choice (``n`` absent or 1).
    """
    if force is not None:
        return force
    temperature = params.get("temperature")
    if temperature is None or isinstance(temperature, bool) or temperature != 0:
        return False
    return params.get("n", 1) in (None, 1)


class ResponseCache:
    """LRU of ``Completion`` values with a time-to-live and a maximum number of entries.

    ``clock`` is injectable for tests (``time.monotonic`` by default). ``hits`` and ``misses``
    count ``get`` calls. Not thread-safe: use it from one event loop.
    """

    def __init__(
        self,
        max_entries: int = defaults.DEFAULT_CACHE_MAX_ENTRIES,
        ttl: float = defaults.DEFAULT_CACHE_TTL,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError(f"max_entries must be at least 1, got {max_entries}")
        if ttl <= 0:
            raise ValueError(f"ttl must be positive, got {ttl}")
        self.max_entries = max_entries
        self.ttl = ttl
        self._clock = clock
        self._entries: OrderedDict[str, tuple[float, Completion]] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def key_for(
        self, payload: Mapping[str, Any], params: Mapping[str, Any], force: bool | None
    ) -> str | None:
        """The key of a request payload when it may be answered from the cache, else None
        (``force`` as in ``is_deterministic``: True or False wins, None asks temperature 0)."""
        if force is False or not is_deterministic(params, force):
            return None
        try:
            return self.key(payload["model"], payload["messages"], params)
        except RecursionError as error:  # nested past the recursion limit: cannot be keyed
            raise InvalidRequestError(TOO_DEEP) from error

    @staticmethod
    def key(model: str, messages: list[dict], params: Mapping[str, Any]) -> str:
        """The cache key of a request: a sha256 hex digest of its normalized JSON form.

        Parameter order does not matter, parameters in ``IGNORED_PARAMS`` are left out, and so
        are parameters set to None (the same as not sending them); ``0.0`` and ``0`` are equal.
        """
        relevant = {k: v for k, v in params.items() if k not in IGNORED_PARAMS and v is not None}
        document = _normalize({"model": model, "messages": messages, "params": relevant})
        encoded = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=repr
        )
        return hashlib.sha256(encoded.encode("utf-8")).hexdigest()

    def get(self, key: str) -> Completion | None:
        """The cached completion marked ``cached=True``, or None when absent or expired."""
        entry = self._entries.get(key)
        if entry is None:
            self.misses += 1
            return None
        stored_at, completion = entry
        if self._clock() - stored_at >= self.ttl:
            del self._entries[key]
            self.misses += 1
            return None
        self._entries.move_to_end(key)
        self.hits += 1
        return dataclasses.replace(completion, cached=True)

    def put(self, key: str, completion: Completion) -> None:
        """Store (or refresh) an entry, evicting the least recently used beyond the bound."""
        self._entries[key] = (self._clock(), completion)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_entries:
            self._entries.popitem(last=False)

    def clear(self) -> None:
        """Drop every entry (the hit and miss counters stay)."""
        self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return (
            f"ResponseCache(entries={len(self._entries)}, max_entries={self.max_entries}, "
            f"ttl={self.ttl}, hits={self.hits}, misses={self.misses})"
        )
