"""What the client did, counted: pool reuse, requests, retries, rate-limit waits, tokens, cost.

Connection reuse is read from aiohttp's own tracing signals (``on_connection_create_end``,
``on_connection_reuseconn``), so the numbers come from the pool itself, not from guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import aiohttp

from .types import Usage

__all__ = ["ClientStats", "StatsCounter"]


@dataclass(frozen=True)
class ClientStats:
    """A snapshot of ``LiteLLMClient.stats``."""

    connections_created: int = 0
    connections_reused: int = 0
    requests: int = 0
    retries: int = 0
    rate_limit_waits: int = 0
    cache_hits: int = 0
    usage: Usage = field(default_factory=Usage)
    cost: float = 0.0

    @property
    def reuse_ratio(self) -> float:
        """Share of connection acquisitions served by an already open connection (0 to 1)."""
        acquired = self.connections_created + self.connections_reused
        return self.connections_reused / acquired if acquired else 0.0


class StatsCounter:
    """The live, mutable counters behind ``ClientStats`` (one event loop, so no lock)."""

    __slots__ = (
        "cache_hits",
        "connections_created",
        "connections_reused",
        "cost",
        "rate_limit_waits",
        "requests",
        "retries",
        "usage",
    )

    def __init__(self) -> None:
        self.connections_created = 0
        self.connections_reused = 0
        self.requests = 0
        self.retries = 0
        self.rate_limit_waits = 0
        self.cache_hits = 0
        self.usage = Usage()
        self.cost = 0.0

    def add_usage(self, usage: Usage | None, cost: float | None) -> None:
        if usage is not None:
            self.usage = self.usage + usage
        if cost:
            self.cost += cost

    def snapshot(self, limiter_waits: int = 0) -> ClientStats:
        return ClientStats(
            connections_created=self.connections_created,
            connections_reused=self.connections_reused,
            requests=self.requests,
            retries=self.retries,
            rate_limit_waits=self.rate_limit_waits + limiter_waits,
            cache_hits=self.cache_hits,
            usage=self.usage,
            cost=self.cost,
        )

    def trace_config(self) -> aiohttp.TraceConfig:
        """An aiohttp ``TraceConfig`` that counts new and reused pool connections."""
        trace = aiohttp.TraceConfig()

        async def created(_session: Any, _ctx: SimpleNamespace, _params: Any) -> None:
            self.connections_created += 1

        async def reused(_session: Any, _ctx: SimpleNamespace, _params: Any) -> None:
            self.connections_reused += 1

        trace.on_connection_create_end.append(created)
        trace.on_connection_reuseconn.append(reused)
        trace.freeze()
        return trace
