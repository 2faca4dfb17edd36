"""Every default and fixed constant of the client in one place: URLs, timeouts, retry rules,
limits, schema files, header names, conversation budgets.

Change a number here, not in the module that uses it. What stays with its module is a format's
or a parser's own rule, not a setting: the SSE byte order mark (``sse.py``), the OpenAI error
types and codes and the status each stands for (``error_bodies.py``), the request fields the
quick check knows (``quick_checks.py``).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import MappingProxyType

from .timeouts import Timeout

__all__ = [
    "ACCEPT",
    "ALLOWED_ROLES",
    "API_KEY_ENV",
    "BASE_URL_ENVS",
    "CACHE_IGNORED_PARAMS",
    "CHARS_PER_TOKEN",
    "CHAT_PATH",
    "CONTENT_TYPE",
    "CONVERSATION_FORMAT_VERSION",
    "COST_HEADER",
    "DEADLINE_SLACK",
    "DEFAULT_BASE_URL",
    "DEFAULT_CACHE_MAX_ENTRIES",
    "DEFAULT_CACHE_TTL",
    "DEFAULT_INITIAL_BACKOFF",
    "DEFAULT_KIND",
    "DEFAULT_MAX_BACKOFF",
    "DEFAULT_MAX_CONCURRENT_REQUESTS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_CONTEXT_TOKENS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_TIMEOUTS",
    "DRAIN_TIMEOUT",
    "EVENT_STREAM",
    "FINISH_REASONS",
    "HEALTH_LIVELINESS_PATH",
    "HEALTH_READINESS_PATH",
    "HISTORY_ROLES",
    "JITTER",
    "KEEPALIVE_TIMEOUT",
    "LOGGER_NAME",
    "MAX_ERROR_BODY_BYTES",
    "MAX_ERROR_MESSAGE_CHARS",
    "MAX_HEADER_PAUSE",
    "MAX_HEALTH_DETAIL_CHARS",
    "MAX_TIMEOUT_PROFILES",
    "MESSAGE_OVERHEAD_TOKENS",
    "MODELS_PATH",
    "MODEL_INFO_PATH",
    "RATE_LIMIT_REMAINING_HEADERS",
    "REQUEST_ID_HEADERS",
    "RETRYABLE_FAILURES",
    "RETRYABLE_STATUSES",
    "SCHEMA_DIR",
    "SCHEMA_FILES",
    "STATUS_REASONS",
    "TEMPERATURE_RANGE",
    "UNLIMITED_KINDS",
    "USER_AGENT",
    "UTILITY_KIND",
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

ACCEPT = "application/json, text/event-stream"
CONTENT_TYPE = "application/json"
EVENT_STREAM = "text/event-stream"

# -- timeouts per request kind (seconds) --------------------------------------------------------
DEFAULT_KIND = "ask"
UTILITY_KIND = "utility"
DEFAULT_TIMEOUTS = MappingProxyType(
    {
        # A whole-script analysis may think for minutes before and while it writes.
        "analysis": Timeout(connect=10.0, first_byte=180.0, idle=90.0, total=900.0),
        "dialogue": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "description": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "suggestions": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        "ask": Timeout(connect=10.0, first_byte=60.0, idle=30.0, total=300.0),
        # Model lists and health checks: the server answers at once or something is wrong.
        UTILITY_KIND: Timeout(connect=3.0, first_byte=5.0, idle=5.0, total=10.0),
    }
)
# Request kinds that never wait for the client-side limiter: a model list or a health check
# answers at once even while every slot is held by a long answer (it is not a model call).
UNLIMITED_KINDS = frozenset({UTILITY_KIND})
# After [DONE], how long to wait for the end of the body (the chunked terminator) so the
# connection can go back to the pool.
DRAIN_TIMEOUT = 0.25
# A deadline this close to now counts as passed when the shared timer fires.
DEADLINE_SLACK = 0.001

# -- retries ------------------------------------------------------------------------------------
DEFAULT_MAX_RETRIES = 2
DEFAULT_INITIAL_BACKOFF = 0.5
DEFAULT_MAX_BACKOFF = 8.0
DEFAULT_MAX_RETRY_WAIT = 60.0
# 408 timeout, 409 lock conflict, 429 rate limit; every status >= 500 retries too.
RETRYABLE_STATUSES = frozenset({408, 409, 429})
# Failures without a status that retry: a connection that failed or dropped, a time limit, a
# stream that ended cleanly before its finish (all before any text reached the caller). Not
# "tls": a refused certificate or a failed handshake fails the same way next time.
RETRYABLE_FAILURES = frozenset({"connection", "timeout", "incomplete_stream"})
# Backoff is multiplied by a random factor in [1 - JITTER, 1].
JITTER = 0.25
# Longest pause taken on our own from x-ratelimit-* headers before sending the next request.
MAX_HEADER_PAUSE = 60.0
# The headers that say a budget is spent, by the window whose reset header ends the pause.
RATE_LIMIT_REMAINING_HEADERS = MappingProxyType(
    {"requests": "x-ratelimit-remaining-requests", "tokens": "x-ratelimit-remaining-tokens"}
)

# -- pool and limiter ---------------------------------------------------------------------------
DEFAULT_MAX_CONNECTIONS = 10
DEFAULT_MAX_CONCURRENT_REQUESTS = 4
KEEPALIVE_TIMEOUT = 30.0
# Timeout profiles whose attempt figures a client keeps (per profile object): a caller passing
# a new Timeout on every call empties the table when it is full instead of growing it.
MAX_TIMEOUT_PROFILES = 64

# -- cache --------------------------------------------------------------------------------------
DEFAULT_CACHE_MAX_ENTRIES = 256
DEFAULT_CACHE_TTL = 600.0
# Request fields that change how an answer is delivered, traced or billed, never what it says:
# the cache key leaves them out.
CACHE_IGNORED_PARAMS = frozenset(
    {
        "stream",
        "stream_options",
        "user",
        "metadata",
        "timeout",
        "request_timeout",
        "extra_headers",
        "kind",
    }
)

# -- conversations ------------------------------------------------------------------------------
CHARS_PER_TOKEN = 4  # the local token estimate: about four characters a token
MESSAGE_OVERHEAD_TOKENS = 4  # role, separators and framing a chat template adds per message
DEFAULT_MAX_CONTEXT_TOKENS = 8000
CONVERSATION_FORMAT_VERSION = 1  # of the saved JSON
HISTORY_ROLES = frozenset({"user", "assistant"})

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

# -- errors -------------------------------------------------------------------------------------
MAX_ERROR_MESSAGE_CHARS = 300
MAX_ERROR_BODY_BYTES = 64 * 1024  # of an error response, read for its message
MAX_HEALTH_DETAIL_CHARS = 200
STATUS_REASONS = MappingProxyType(
    {
        400: "Bad Request",
        401: "Unauthorized",
        403: "Forbidden",
        404: "Not Found",
        408: "Request Timeout",
        409: "Conflict",
        413: "Payload Too Large",
        422: "Unprocessable Entity",
        429: "Too Many Requests",
        500: "Internal Server Error",
        502: "Bad Gateway",
        503: "Service Unavailable",
        504: "Gateway Timeout",
    }
)

# -- response headers ---------------------------------------------------------------------------
COST_HEADER = "x-litellm-response-cost"
REQUEST_ID_HEADERS = ("x-request-id", "x-litellm-call-id", "request-id")
