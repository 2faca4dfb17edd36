"""What the client did, counted: pool reuse, requests, retries, rate-limit waits, tokens, cost.

Connection reuse is counted inside aiohttp's connector, where the pool decides between an open
connection and a new one, so the numbers come from the pool itself, not from guesses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
        "completion_tokens",
        "connections_created",
        "cost",
        "handed_out",
        "prompt_tokens",
        "rate_limit_waits",
        "requests",
        "retries",
        "total_tokens",
    )

    def __init__(self) -> None:
        self.connections_created = 0
        self.handed_out = 0  # connections the pool gave to requests, new or reused
        self.requests = 0
        self.retries = 0
        self.rate_limit_waits = 0
        self.cache_hits = 0
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.total_tokens = 0
        self.cost = 0.0

    def add_usage(self, usage: Usage | None, cost: float | None) -> None:
        if usage is not None:  # plain ints: no new Usage per request
            self.prompt_tokens += usage.prompt_tokens
            self.completion_tokens += usage.completion_tokens
            self.total_tokens += usage.total_tokens
        if cost:
            self.cost += cost

    @property
    def usage(self) -> Usage:
        return Usage(self.prompt_tokens, self.completion_tokens, self.total_tokens)

    def snapshot(self, limiter_waits: int = 0) -> ClientStats:
        return ClientStats(
            connections_created=self.connections_created,
            connections_reused=self.handed_out - self.connections_created,
            requests=self.requests,
            retries=self.retries,
            rate_limit_waits=self.rate_limit_waits + limiter_waits,
            cache_hits=self.cache_hits,
            usage=self.usage,
            cost=self.cost,
        )

    def connector(self, **options: Any) -> aiohttp.TCPConnector:
        """A pooled ``TCPConnector`` that counts the connections it opens and hands out."""
        return _CountingConnector(self, **options)


class _CountingConnector(aiohttp.TCPConnector):
    """Counts pool use at the two places aiohttp decides it: handing out a connection
    (``connect``) and opening a new one (``_create_connection``); reused = handed out - opened.

    aiohttp's tracing signals report the same, but any ``TraceConfig`` makes every request
    send six signals, which cost about a fifth of a loopback request's CPU time.
    """

    def __init__(self, counter: StatsCounter, **options: Any) -> None:
        super().__init__(**options)
        self._counter = counter

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:  # noqa: ASYNC109
        connection = await super().connect(req, traces, timeout)
        self._counter.handed_out += 1
        return connection

    async def _create_connection(self, req: Any, traces: Any, timeout: Any) -> Any:  # noqa: ASYNC109
        protocol = await super()._create_connection(req, traces, timeout)
        self._counter.connections_created += 1
        return protocol
