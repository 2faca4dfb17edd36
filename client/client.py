"""``LiteLLMClient``: the asyncio client for a LiteLLM proxy (any OpenAI-compatible server).

The client says what to ask; its ``Transport`` says how: every call, chat completions, streams
(``streaming.py``), model lists and health checks alike, runs its attempts through
``Transport.open`` (one attempt) and ``Transport.call`` (the one retry loop). The server checks
the Blender panel offers (check the connection, find a server) are client calls too.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from . import defaults
from .cache import ResponseCache
from .completions import call_limits, chat_payload, completion_from, encode
from .config import ClientConfig
from .errors import LiteLLMError
from .stats import ClientStats
from .streaming import ChatStream
from .timeouts import Timeout
from .transport import Transport
from .types import Completion, Health, ServerCheck, Usage
from .validation import schema_errors, summary

__all__ = ["LiteLLMClient"]


class LiteLLMClient:
    """An async client for one LiteLLM proxy. Use it as ``async with LiteLLMClient(config)``.

    Not thread-safe: use it from the event loop it first ran on (the worker thread does).
    """

    def __init__(
        self, config: ClientConfig | None = None, *, cache: ResponseCache | None = None
    ) -> None:
        self.config = config if config is not None else ClientConfig()
        if cache is None and self.config.cache_enabled:
            cache = ResponseCache(self.config.cache_max_entries, self.config.cache_ttl)
        self.cache = cache
        self._transport = Transport(self.config)

    # -- lifecycle ------------------------------------------------------------------------------

    async def __aenter__(self) -> LiteLLMClient:
        self._transport.session()
        return self

    async def __aexit__(self, *_exc_info: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the pool and the request log; safe to call more than once."""
        await self._transport.close()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called: the client sends nothing more."""
        return self._transport.closed

    def __repr__(self) -> str:
        key = "None" if self.config.api_key is None else "'***'"
        return f"LiteLLMClient(base_url={self.config.base_url!r}, api_key={key})"

    @property
    def stats(self) -> ClientStats:
        """Pool reuse, requests, retries, rate-limit waits, cache hits, tokens and cost so far."""
        transport = self._transport
        return transport.stats.snapshot(transport.limiter.waits)

    @property
    def usage(self) -> Usage:
        """Tokens used by every request of this client, added up."""
        return self._transport.stats.usage

    # -- chat -----------------------------------------------------------------------------------

    async def complete(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        kind: str = defaults.DEFAULT_KIND,
        timeout: Timeout | None = None,  # noqa: ASYNC109 - a per-phase profile, not one number
        cache: bool | None = None,
        **params: Any,
    ) -> Completion:
        """One chat completion, whole. ``kind`` picks the timeout profile; ``cache`` forces
        (True) or forbids (False) the response cache, which otherwise serves temperature 0."""
        limits = call_limits(self.config, kind, timeout)
        payload = chat_payload(model, messages, params, stream=False)
        key = self.cache.key_for(payload, params, cache) if self.cache is not None else None
        if key is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self._transport.stats.cache_hits += 1
                return dataclasses.replace(hit, cached=True)
        transport = self._transport
        request_id = transport.new_request_id()
        body = encode(payload)

        async def attempt(number: int) -> Completion:
            reply = await transport.open(
                "POST", defaults.CHAT_PATH, body, limits, kind, request_id, number
            )
            try:
                data = await reply.json("chat completion")
            finally:
                reply.release()  # a body not read to its end closes the connection
            headers = reply.response.headers
            return completion_from(data, headers, reply.server_request_id, transport.errors)

        completion = await transport.call(attempt)
        transport.stats.add_usage(completion.usage, completion.cost)
        if key is not None:
            self.cache.put(key, completion)
        return completion

    def stream(
        self,
        model: str,
        messages: Sequence[Mapping[str, Any]],
        *,
        kind: str = defaults.DEFAULT_KIND,
        timeout: Timeout | None = None,
        cache: bool | None = None,
        **params: Any,
    ) -> ChatStream:
        """A streamed chat completion: ``async with client.stream(...) as s: async for text in s``;
        afterwards ``s.completion`` holds the whole ``Completion`` (usage included)."""
        return ChatStream(
            self._transport,
            self.cache,
            model,
            messages,
            params,
            kind=kind,
            timeout=timeout,
            cache_force=cache,
        )

    # -- the server -----------------------------------------------------------------------------

    async def list_models(self) -> list[str]:
        """The model names the proxy offers to this key, in the server's order."""
        transport = self._transport
        limits = self.config.timeout_for(defaults.UTILITY_KIND)
        request_id = transport.new_request_id()

        async def attempt(number: int) -> Any:
            reply = await transport.open(
                "GET", defaults.MODELS_PATH, None, limits, defaults.UTILITY_KIND, request_id, number
            )
            try:
                return await reply.json("answer")
            finally:
                reply.release()

        data = await transport.call(attempt)
        problems = schema_errors("models", data)
        if problems:
            raise transport.errors.invalid(summary(problems[:1], "the model list is malformed: "))
        return [item["id"] for item in data["data"]]

    async def model_info(self) -> Any:
        """The JSON of LiteLLM's ``GET /model/info``: per model (``data[].model_name``) its
        ``model_info`` with ``max_input_tokens``, ``max_output_tokens`` and
        ``supports_response_schema`` where LiteLLM knows them. A server without it (not a
        LiteLLM proxy) raises ``NotFoundError``."""
        transport = self._transport
        limits = self.config.timeout_for(defaults.UTILITY_KIND)
        request_id = transport.new_request_id()

        async def attempt(number: int) -> Any:
            reply = await transport.open(
                "GET", defaults.MODEL_INFO_PATH, None, limits, defaults.UTILITY_KIND, request_id,
                number,
            )  # fmt: skip
            try:
                return await reply.json("answer")
            finally:
                reply.release()

        return await transport.call(attempt)

    async def health(self) -> Health:
        """Ask the proxy whether it is alive (and ready, where it says). Raises
        ``APIConnectionError`` when nothing answers at all."""
        alive_status, alive_text, latency = await self._probe(defaults.HEALTH_LIVELINESS_PATH)
        ready: bool | None = None
        detail = alive_text
        if 200 <= alive_status < 300:
            ready_status, ready_text, _ = await self._probe(defaults.HEALTH_READINESS_PATH)
            if ready_status != 404:
                ready = 200 <= ready_status < 300
                detail = ready_text or detail
        return Health(
            alive=200 <= alive_status < 300,
            ready=ready,
            latency_ms=latency * 1000.0,
            url=self.config.base_url,
            detail=detail[: defaults.MAX_HEALTH_DETAIL_CHARS],
        )

    async def _probe(self, path: str) -> tuple[int, str, float]:
        """Status, text and seconds of a health endpoint; any status is an answer."""
        transport = self._transport
        limits = self.config.timeout_for(defaults.UTILITY_KIND)
        request_id = transport.new_request_id()

        async def attempt(number: int) -> tuple[int, str, float]:
            started = asyncio.get_running_loop().time()
            reply = await transport.open(
                "GET",
                path,
                None,
                limits,
                defaults.UTILITY_KIND,
                request_id,
                number,
                raise_for_status=False,
            )
            try:
                raw = await reply.read()
            finally:
                reply.release()
            elapsed = asyncio.get_running_loop().time() - started
            return reply.status, raw.decode("utf-8", "replace").strip(), elapsed

        return await transport.call(attempt, policy=transport.single_attempt)

    async def check_connection(self) -> ServerCheck:
        """Health, then the model list, which needs the key and so proves it is accepted."""
        health = await self.health()
        models = await self.list_models()
        return ServerCheck(
            self.config.base_url, health.alive, health.ready, health.latency_ms, tuple(models)
        )

    async def detect_server(self, candidates: Iterable[str]) -> ServerCheck:
        """The first of ``candidates`` (server URLs, tried in order, without repeats) whose
        health check answers alive, asked with this client's settings and no retries; raises
        ``APIConnectionError`` naming every address tried when none does."""
        tried = []
        for url in dict.fromkeys(candidates):
            probe = dataclasses.replace(
                self.config, base_url=url, max_retries=0, cache_enabled=False
            )
            try:
                async with LiteLLMClient(probe) as client:
                    health = await client.health()
            except LiteLLMError:
                health = None
            if health is not None and health.alive:
                return ServerCheck(probe.base_url, True, health.ready, health.latency_ms)
            tried.append(probe.base_url)
        raise self._transport.errors.nothing_answered(tried)
