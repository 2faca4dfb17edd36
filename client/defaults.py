"""Every default and fixed constant of the client in one place: URLs, timeouts, retry rules,
limits, schema files, header names.

Change a number here, not in the module that uses it.
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from .timeouts import Timeout

__all__ = [
    "ALLOWED_ROLES",
    "API_KEY_ENV",
    "BASE_URL_ENVS",
    "CHAT_PATH",
    "COST_HEADER",
    "DEFAULT_BASE_URL",
    "DEFAULT_CACHE_MAX_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_INITIAL_BACKOFF",
    "DEFAULT_KIND",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUTS",
    "FINISH_REASONS",
    "HEALTH_LIVELINESS_PATH",
    "HEALTH_READINESS_PATH",
    "JITTER",
    "KEEPALIVE_TIMEOUT",
    "LOGGER_NAME",
    "MAX_ERROR_MESSAGE_CHARS",
    "MAX_HEADER_PAUSE",
    "MODELS_PATH",
    "MODEL_INFO_PATH",
    "REQUEST_ID_HEADERS",
    "RETRYABLE_STATUSES",
    "SCHEMA_DIR",
    "SCHEMA_FILES",
    "TEMPERATURE_RANGE",
    "USER_AGENT",
    "VERSION",
]

# -- where the server is ------------------------------------------------------------------------
DEFAULT_BASE_URL = "http://localhost:4000"
BASE_URL_ENVS = ("LITELLM_BASE_URL", "LITELLM_PROXY_URL")
API_KEY_ENV = "LITELLM_API_KEY"
CHAT_PATH = "/v1/chat/completions"
MODELS_PATH = "/v1/models"
MODEL_INFO_PATH = "/model/info"  # LiteLLM's own: each model's context window and features
HEALTH_LIVELINESS_PATH = "/health/liveliness"
HEALTH_READINESS_PATH = "/health/readiness"

# -- who we are ---------------------------------------------------------------------------------


def _read_version() -> str:
    """The extension version from blender_manifest.toml next to the package, if present."""
    manifest = Path(__file__).resolve().parents[1] / "blender_manifest.toml"
    try:
        match = re.search(r'^version\s*=\s*"([^"]+)"', manifest.read_text("utf-8"), re.M)
    except OSError:
        match = None
    return match.group(1) if match else "0.0.0"


VERSION = _read_version()
USER_AGENT = f"litellm-screenwriter/{VERSION}"
LOGGER_NAME = "litellm_screenwriter.client"

# -- timeouts per request kind (seconds) --------------------------------------------------------
DEFAULT_KIND = "ask"
DEFAULT_TIMEOUTS = MappingProxyType(
    {
        # A whole-script analysis may think for minutes before and while it writes.
        "analysis": Timeout(connect=10.0, first_byte=180.0, idle=90.0, total=900.0),
        "dialogue": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "description": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "suggestions": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "ask": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        # Model lists and health checks: the server answers at once or something is wrong.
        "utility": Timeout(connect=3.0, first_byte=5.0, idle=5.0, total=10.0),
    }
)

# -- retries ------------------------------------------------------------------------------------
DEFAULT_MAX_RETRIES = 2
DEFAULT_INITIAL_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 8.0
DEFAULT_MAX_RETRY_WAIT = 60.0
# 408 timeout, 409 lock conflict, 429 rate limit; every status >= 500 retries too.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# Backoff is multiplied by a random factor in [1 - JITTER, 1].
JITTER = 0.25
# Longest pause taken on our own from x-ratelimit-* headers before sending the next request.
MAX_HEADER_PAUSE = 60.0

# -- pool and limiter ---------------------------------------------------------------------------
DEFAULT_MAX_CONNECTIONS = 10
DEFAULT_MAX_CONCURRENT_REQUESTS = 4
KEEPALIVE_TIMEOUT = 30.0

# -- cache --------------------------------------------------------------------------------------
DEFAULT_CACHE_MAX_ENTRIES = 256
DEFAULT_CACHE_TTL = 600.0

# -- validation ---------------------------------------------------------------------------------
SCHEMA_DIR = Path(__file__).resolve().parent / "schemas"
SCHEMA_FILES = MappingProxyType(
    {
        "request": "chat_request.schema.json",
        "completion": "chat_completion.schema.json",
        "chunk": "chat_chunk.schema.json",
        "models": "models.schema.json",
    }
)
ALLOWED_ROLES = frozenset({"system", "developer", "user", "assistant", "tool", "function"})
FINISH_REASONS = frozenset(
    {"stop", "length", "tool_calls", "content_filter", "function_call", "eos", "error"}
)
TEMPERATURE_RANGE = (0.0, 2.0)
MAX_ERROR_MESSAGE_CHARS = 300

# -- response headers ---------------------------------------------------------------------------
COST_HEADER = "x-litellm-response-cost"
REQUEST_ID_HEADERS = ("x-request-id", "x-litellm-call-id", "request-id")
