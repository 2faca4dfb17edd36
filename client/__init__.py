"""The LiteLLM client library: pure asyncio, no ``bpy``; usable in Blender or out of it.

    async with LiteLLMClient(ClientConfig(base_url="http://localhost:4000")) as client:
        async with client.stream("gpt-4o-mini", [{"role": "user", "content": "Hi"}]) as s:
            async for text in s:
                print(text, end="")
        print(s.completion.usage)

The plain-Python names import at once; the three that need aiohttp (``LiteLLMClient``,
``ChatStream``, ``ClientStats``) load on first use (PEP 562), so ``Conversation`` or
``ClientConfig`` can be used on Blender's main thread without importing aiohttp and jsonschema
there (about a second).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .cache import ResponseCache
from .config import ClientConfig, normalize_base_url
from .conversation import Conversation
from .errors import (
    APIConnectionError,
    APIResponseValidationError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    IncompleteStreamError,
    InternalServerError,
    InvalidRequestError,
    LiteLLMError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
)
from .timeouts import Timeout
from .types import Completion, Health, ServerCheck, Usage

if TYPE_CHECKING:
    from .client import LiteLLMClient
    from .stats import ClientStats
    from .streaming import ChatStream

# The names whose modules import aiohttp: loaded when first asked for.
_LAZY = {"LiteLLMClient": "client", "ChatStream": "streaming", "ClientStats": "stats"}

__all__ = [
    "APIConnectionError",
    "APIResponseValidationError",
    "APIStatusError",
    "APITimeoutError",
    "AuthenticationError",
    "BadRequestError",
    "ChatStream",
    "ClientConfig",
    "ClientStats",
    "Completion",
    "Conversation",
    "Health",
    "IncompleteStreamError",
    "InternalServerError",
    "InvalidRequestError",
    "LiteLLMClient",
    "LiteLLMError",
    "NotFoundError",
    "PermissionDeniedError",
    "RateLimitError",
    "ResponseCache",
    "ServerCheck",
    "Timeout",
    "Usage",
    "normalize_base_url",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
