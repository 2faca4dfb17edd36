"""The LiteLLM client library: pure asyncio, no ``bpy``; usable in Blender or out of it.

async with LiteLLMClient(ClientConfig(base_url="http://localhost:4000")) as client:
    async with client.stream("gpt-4o-mini", [{"role": "user", "content": "Hi"}]) as s:
        async for text in s:
            print(text, end="")
    print(s.completion.usage)
"""

from __future__ import annotations

from .cache import ResponseCache
from .client import LiteLLMClient
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
from .stats import ClientStats
from .streaming import ChatStream
from .timeouts import Timeout
from .types import Completion, Health, Usage

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
    "Timeout",
    "Usage",
    "normalize_base_url",
]
