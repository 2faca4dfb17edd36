"""``ClientConfig``: everything a ``LiteLLMClient`` needs to know, as one frozen value.

Unset fields fall back to the environment (``LITELLM_BASE_URL``/``LITELLM_PROXY_URL``,
``LITELLM_API_KEY``) and then to the defaults in ``defaults.py``; the API key never shows in
``repr()``.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import defaults
from .timeouts import Timeout

__all__ = ["ClientConfig", "normalize_base_url"]


def normalize_base_url(url: str) -> str:
    """``http://host:4000``, ``http://host:4000/`` and ``http://host:4000/v1/`` all become
    ``http://host:4000``: the client adds ``/v1/...`` itself."""
    url = url.strip().rstrip("/")
    if url.endswith("/v1"):
        url = url[: -len("/v1")].rstrip("/")
    if "://" not in url:
        url = "http://" + url
    return url


def _resolve_base_url(configured: str | None) -> str:
    if configured and configured.strip():  # a blank preference falls back, not "http://"
        return normalize_base_url(configured)
    for name in defaults.BASE_URL_ENVS:
        value = os.environ.get(name, "").strip()
        if value:
            return normalize_base_url(value)
    return defaults.DEFAULT_BASE_URL


def _resolve_api_key(configured: str | None) -> str | None:
    # A key pasted with a stray space or newline would break the Authorization header.
    if configured and configured.strip():
        return configured.strip()
    return os.environ.get(defaults.API_KEY_ENV, "").strip() or None


@dataclass(frozen=True)
class ClientConfig:
    """How to reach a LiteLLM proxy and how to behave towards it.

    ``base_url`` and ``api_key`` are resolved once, when the config is built: read them back
    to see what will be used. ``timeouts`` maps a request kind to its ``Timeout``; kinds left
    out keep their defaults.
    """

    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeouts: Mapping[str, Timeout] = field(default_factory=lambda: defaults.DEFAULT_TIMEOUTS)
    max_retries: int = defaults.DEFAULT_MAX_RETRIES
    initial_backoff: float = defaults.DEFAULT_INITIAL_BACKOFF
    max_backoff: float = defaults.DEFAULT_MAX_BACKOFF
    max_retry_wait: float = defaults.DEFAULT_MAX_RETRY_WAIT
    verify: bool = True
    ca_file: str | None = None
    extra_headers: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    trust_env: bool = True
    max_connections: int = defaults.DEFAULT_MAX_CONNECTIONS
    max_concurrent_requests: int = defaults.DEFAULT_MAX_CONCURRENT_REQUESTS
    requests_per_minute: float | None = None
    log_file: str | None = None
    cache_enabled: bool = False
    cache_max_entries: int = defaults.DEFAULT_CACHE_MAX_ENTRIES
    cache_ttl: float = defaults.DEFAULT_CACHE_TTL

    def __post_init__(self) -> None:
        set_ = object.__setattr__  # frozen: resolve fields in place once
        set_(self, "base_url", _resolve_base_url(self.base_url))
        set_(self, "api_key", _resolve_api_key(self.api_key))
        merged = dict(defaults.DEFAULT_TIMEOUTS)
        for kind, value in dict(self.timeouts).items():
            if not isinstance(value, Timeout):
                raise TypeError(f"timeouts[{kind!r}] must be a Timeout, not {type(value).__name__}")
            merged[kind] = value
        set_(self, "timeouts", MappingProxyType(merged))
        set_(self, "extra_headers", MappingProxyType(dict(self.extra_headers)))
        if self.max_retries < 0:
            raise ValueError("max_retries must be 0 or more")
        if self.max_connections < 1 or self.max_concurrent_requests < 1:
            raise ValueError("max_connections and max_concurrent_requests must be at least 1")
        rpm = self.requests_per_minute
        if rpm is not None and not 0 < rpm < math.inf:
            raise ValueError("requests_per_minute must be a positive number or None")
        # ``not x >= 0`` (rather than ``x < 0``) refuses NaN too, which every comparison passes.
        if not (self.initial_backoff >= 0 and self.max_backoff >= 0 and self.max_retry_wait >= 0):
            raise ValueError("backoff and retry wait limits must not be negative")

    def timeout_for(self, kind: str) -> Timeout:
        """The timeout profile of a request kind; an unknown kind gets the ``"ask"`` profile."""
        return self.timeouts.get(kind) or self.timeouts[defaults.DEFAULT_KIND]

    def __repr__(self) -> str:
        key = "None" if self.api_key is None else "'***'"
        return (
            f"ClientConfig(base_url={self.base_url!r}, api_key={key}, "
            f"max_retries={self.max_retries}, verify={self.verify}, ca_file={self.ca_file!r}, "
            f"trust_env={self.trust_env}, max_connections={self.max_connections}, "
            f"max_concurrent_requests={self.max_concurrent_requests}, "
            f"requests_per_minute={self.requests_per_minute}, log_file={self.log_file!r}, "
            f"cache_enabled={self.cache_enabled})"
        )
