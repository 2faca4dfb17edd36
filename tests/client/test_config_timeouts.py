"""ClientConfig (URL normalisation, environment fallbacks, the hidden API key, validation),
Timeout, and the defaults they are built from."""

from __future__ import annotations

import dataclasses
import re
from types import MappingProxyType

import pytest

from litellm_screenwriter.client import defaults
from litellm_screenwriter.client.config import ClientConfig, normalize_base_url
from litellm_screenwriter.client.timeouts import Timeout

SECRET = "sk-very-secret-1234"
ENVS = ("LITELLM_BASE_URL", "LITELLM_PROXY_URL", "LITELLM_API_KEY")


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name in ENVS:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


# -- base URL ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://host:4000", "http://host:4000"),
        ("http://host:4000/", "http://host:4000"),
        ("http://host:4000///", "http://host:4000"),
        ("http://host:4000/v1", "http://host:4000"),
        ("http://host:4000/v1/", "http://host:4000"),
        ("  http://host:4000/v1/  ", "http://host:4000"),
        ("host:4000", "http://host:4000"),
        ("localhost:4000/v1", "http://localhost:4000"),
        ("127.0.0.1:4000/", "http://127.0.0.1:4000"),
        ("https://llm.example.com", "https://llm.example.com"),
        ("https://gw.example.com/litellm/v1/", "https://gw.example.com/litellm"),
        ("https://gw.example.com/v1beta", "https://gw.example.com/v1beta"),
    ],
)
def test_normalize_base_url(given: str, expected: str) -> None:
    assert normalize_base_url(given) == expected
    assert normalize_base_url(expected) == expected  # idempotent
    assert ClientConfig(base_url=given).base_url == expected


def test_default_base_url_without_config_or_environment() -> None:
    assert ClientConfig().base_url == defaults.DEFAULT_BASE_URL == "http://localhost:4000"
    assert normalize_base_url(defaults.DEFAULT_BASE_URL) == defaults.DEFAULT_BASE_URL


def test_litellm_base_url_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LITELLM_BASE_URL", "http://10.0.0.5:4000/v1/")
    assert ClientConfig().base_url == "http://10.0.0.5:4000"


def test_litellm_proxy_url_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LITELLM_PROXY_URL", "proxy.local:8000")
    assert ClientConfig().base_url == "http://proxy.local:8000"


def test_litellm_base_url_wins_over_proxy_url(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LITELLM_BASE_URL", "http://base:1")
    clean_env.setenv("LITELLM_PROXY_URL", "http://proxy:2")
    assert ClientConfig().base_url == "http://base:1"


def test_a_blank_environment_value_is_skipped(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LITELLM_BASE_URL", "   ")
    clean_env.setenv("LITELLM_PROXY_URL", "http://proxy:2")
    assert ClientConfig().base_url == "http://proxy:2"
    clean_env.setenv("LITELLM_PROXY_URL", "")
    assert ClientConfig().base_url == defaults.DEFAULT_BASE_URL


def test_configured_base_url_wins_over_environment(clean_env: pytest.MonkeyPatch) -> None:
    clean_env.setenv("LITELLM_BASE_URL", "http://env:1")
    assert ClientConfig(base_url="http://mine:2/").base_url == "http://mine:2"


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_a_blank_configured_url_falls_back(clean_env: pytest.MonkeyPatch, blank: str) -> None:
    # Regression: a whitespace-only preference became the URL "http://".
    assert ClientConfig(base_url=blank).base_url == defaults.DEFAULT_BASE_URL
    clean_env.setenv("LITELLM_PROXY_URL", "http://proxy:2")
    assert ClientConfig(base_url=blank).base_url == "http://proxy:2"


# -- API key -------------------------------------------------------------------------------------


def test_api_key_configured_environment_or_none(clean_env: pytest.MonkeyPatch) -> None:
    assert ClientConfig().api_key is None
    assert ClientConfig(api_key=SECRET).api_key == SECRET
    clean_env.setenv("LITELLM_API_KEY", "sk-from-env")
    assert ClientConfig().api_key == "sk-from-env"
    assert ClientConfig(api_key="").api_key == "sk-from-env"
    assert ClientConfig(api_key=SECRET).api_key == SECRET
    clean_env.setenv("LITELLM_API_KEY", "")
    assert ClientConfig().api_key is None


def test_api_key_loses_stray_whitespace(clean_env: pytest.MonkeyPatch) -> None:
    # Regression: a key pasted with a newline went into the Authorization header as is.
    assert ClientConfig(api_key=f"  {SECRET}\n").api_key == SECRET
    assert ClientConfig(api_key="   ").api_key is None
    clean_env.setenv("LITELLM_API_KEY", f"{SECRET}\n")
    assert ClientConfig().api_key == SECRET
    assert ClientConfig(api_key=" \n").api_key == SECRET


def test_api_key_never_shows_in_repr_or_str(clean_env: pytest.MonkeyPatch) -> None:
    config = ClientConfig(base_url="http://h:4000", api_key=SECRET)
    for text in (repr(config), str(config), f"{config}", f"{config!r}", repr([config])):
        assert SECRET not in text
        assert "sk-" not in text
    assert "api_key='***'" in repr(config)
    assert "base_url='http://h:4000'" in repr(config)
    clean_env.setenv("LITELLM_API_KEY", SECRET)
    assert SECRET not in repr(ClientConfig())
    clean_env.delenv("LITELLM_API_KEY")
    assert "api_key=None" in repr(ClientConfig())
    field = next(f for f in dataclasses.fields(ClientConfig) if f.name == "api_key")
    assert field.repr is False


# -- timeouts in the config ----------------------------------------------------------------------


def test_timeouts_merge_with_the_defaults_and_are_read_only() -> None:
    fast = Timeout(connect=1, first_byte=2, idle=3, total=4)
    config = ClientConfig(timeouts={"dialogue": fast, "custom": fast})
    assert config.timeouts["dialogue"] is fast
    assert config.timeouts["custom"] is fast
    assert config.timeouts["analysis"] == defaults.DEFAULT_TIMEOUTS["analysis"]
    assert set(config.timeouts) == set(defaults.DEFAULT_TIMEOUTS) | {"custom"}
    assert isinstance(config.timeouts, MappingProxyType)
    with pytest.raises(TypeError):
        config.timeouts["ask"] = fast  # type: ignore[index]


def test_timeout_for_known_and_unknown_kinds() -> None:
    config = ClientConfig()
    assert config.timeout_for("analysis") == defaults.DEFAULT_TIMEOUTS["analysis"]
    assert config.timeout_for("utility") == defaults.DEFAULT_TIMEOUTS["utility"]
    assert config.timeout_for("no-such-kind") == defaults.DEFAULT_TIMEOUTS["ask"]
    assert config.timeout_for("") == defaults.DEFAULT_TIMEOUTS["ask"]
    slow = Timeout(total=999)
    config = ClientConfig(timeouts={"ask": slow})
    assert config.timeout_for("no-such-kind") is slow


def test_a_timeout_that_is_not_a_timeout_is_refused() -> None:
    with pytest.raises(TypeError, match=r"timeouts\['ask'\] must be a Timeout, not float"):
        ClientConfig(timeouts={"ask": 30.0})  # type: ignore[dict-item]


def test_extra_headers_are_copied_and_read_only() -> None:
    headers = {"X-Team": "writers"}
    config = ClientConfig(extra_headers=headers)
    headers["X-Team"] = "changed"
    assert dict(config.extra_headers) == {"X-Team": "writers"}
    with pytest.raises(TypeError):
        config.extra_headers["X-New"] = "1"  # type: ignore[index]


def test_config_is_frozen_and_replace_keeps_resolved_values(clean_env) -> None:
    config = ClientConfig(base_url="h:1/v1", api_key=SECRET, max_retries=5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        config.base_url = "x"  # type: ignore[misc]
    copy = dataclasses.replace(config, max_retries=1)
    assert (copy.base_url, copy.api_key, copy.max_retries) == ("http://h:1", SECRET, 1)
    assert copy.timeouts == config.timeouts
    assert dataclasses.replace(config) == config


def test_defaults_of_a_fresh_config() -> None:
    config = ClientConfig()
    assert config.max_retries == defaults.DEFAULT_MAX_RETRIES
    assert config.initial_backoff == defaults.DEFAULT_INITIAL_BACKOFF
    assert config.max_backoff == defaults.DEFAULT_MAX_BACKOFF
    assert config.max_retry_wait == defaults.DEFAULT_MAX_RETRY_WAIT
    assert config.verify is True
    assert config.trust_env is True
    assert config.requests_per_minute is None
    assert config.cache_enabled is False
    assert dict(config.extra_headers) == {}


# -- invalid values ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("max_retries", -1, "max_retries"),
        ("max_connections", 0, "max_connections"),
        ("max_concurrent_requests", 0, "max_concurrent_requests"),
        ("requests_per_minute", 0, "requests_per_minute"),
        ("requests_per_minute", -10, "requests_per_minute"),
        ("requests_per_minute", float("nan"), "requests_per_minute"),
        ("requests_per_minute", float("inf"), "requests_per_minute"),
        ("initial_backoff", -0.1, "backoff"),
        ("initial_backoff", float("nan"), "backoff"),
        ("max_backoff", -1, "backoff"),
        ("max_backoff", float("nan"), "backoff"),
        ("max_retry_wait", -5, "retry wait"),
        ("max_retry_wait", float("nan"), "retry wait"),
    ],
)
def test_invalid_values_raise(field: str, value, words: str) -> None:
    # Regressions: NaN waits and an infinite rate used to be accepted (and an infinite rate
    # crashed the limiter later with OverflowError).
    with pytest.raises(ValueError, match=words):
        ClientConfig(**{field: value})


def test_edge_values_that_are_fine() -> None:
    config = ClientConfig(
        max_retries=0,
        initial_backoff=0,
        max_backoff=0,
        max_retry_wait=0,
        max_connections=1,
        max_concurrent_requests=1,
        requests_per_minute=0.5,
    )
    assert config.requests_per_minute == 0.5
    assert ClientConfig(max_retry_wait=float("inf")).max_retry_wait == float("inf")


# -- Timeout -------------------------------------------------------------------------------------


def test_timeout_defaults_and_repr() -> None:
    timeout = Timeout()
    assert (timeout.connect, timeout.first_byte, timeout.idle, timeout.total) == (10, 60, 30, 300)
    assert repr(timeout) == "Timeout(connect=10s, first_byte=60s, idle=30s, total=300s)"
    assert repr(Timeout(connect=0.5, first_byte=None, idle=1.25, total=None)) == (
        "Timeout(connect=0.5s, first_byte=none, idle=1.25s, total=none)"
    )


def test_timeout_none_means_no_limit() -> None:
    timeout = Timeout(None, None, None, None)
    assert (timeout.connect, timeout.first_byte, timeout.idle, timeout.total) == (None,) * 4


@pytest.mark.parametrize("field", ["connect", "first_byte", "idle", "total"])
@pytest.mark.parametrize("value", [0, -1, -0.001, float("nan")])
def test_timeout_rejects_non_positive_values(field: str, value: float) -> None:
    with pytest.raises(ValueError, match=re.escape(f"Timeout.{field} must be a positive")):
        Timeout(**{field: value})


def test_timeout_rejects_non_numbers() -> None:
    with pytest.raises(TypeError):
        Timeout(connect="10")  # type: ignore[arg-type]


def test_timeout_is_a_frozen_value() -> None:
    timeout = Timeout(1, 2, 3, 4)
    assert timeout == Timeout(connect=1, first_byte=2, idle=3, total=4)
    assert timeout != Timeout(1, 2, 3, 5)
    assert hash(timeout) == hash(Timeout(1, 2, 3, 4))
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeout.total = 9  # type: ignore[misc]


# -- defaults ------------------------------------------------------------------------------------


def test_default_timeouts_cover_every_request_kind() -> None:
    kinds = {"analysis", "dialogue", "description", "suggestions", "ask", "utility"}
    assert set(defaults.DEFAULT_TIMEOUTS) == kinds
    assert defaults.DEFAULT_KIND in defaults.DEFAULT_TIMEOUTS
    assert all(isinstance(t, Timeout) for t in defaults.DEFAULT_TIMEOUTS.values())
    analysis, ask, utility = (defaults.DEFAULT_TIMEOUTS[k] for k in ("analysis", "ask", "utility"))
    assert analysis.total > ask.total > utility.total
    assert analysis.first_byte > ask.first_byte > utility.first_byte
    for timeout in defaults.DEFAULT_TIMEOUTS.values():
        assert timeout.idle <= timeout.total
        assert timeout.first_byte <= timeout.total
    with pytest.raises(TypeError):
        defaults.DEFAULT_TIMEOUTS["ask"] = Timeout()  # type: ignore[index]


def test_version_and_user_agent_come_from_the_manifest() -> None:
    manifest = (defaults.SCHEMA_DIR.parents[1] / "blender_manifest.toml").read_text("utf-8")
    version = re.search(r'^version\s*=\s*"([^"]+)"', manifest, re.M)
    assert version is not None
    assert version.group(1) == defaults.VERSION
    assert f"litellm-screenwriter/{version.group(1)}" == defaults.USER_AGENT


def test_constants_are_sane() -> None:
    assert frozenset({408, 409, 429}) == defaults.RETRYABLE_STATUSES
    assert 0 <= defaults.JITTER < 1
    assert defaults.DEFAULT_INITIAL_BACKOFF <= defaults.DEFAULT_MAX_BACKOFF
    assert defaults.DEFAULT_MAX_BACKOFF <= defaults.DEFAULT_MAX_RETRY_WAIT
    assert defaults.BASE_URL_ENVS == ("LITELLM_BASE_URL", "LITELLM_PROXY_URL")
    assert defaults.API_KEY_ENV == "LITELLM_API_KEY"
    assert defaults.CHAT_PATH.startswith("/v1/")
    assert defaults.MODELS_PATH.startswith("/v1/")
    for name in defaults.SCHEMA_FILES.values():
        assert (defaults.SCHEMA_DIR / name).is_file()
    assert defaults.TEMPERATURE_RANGE == (0.0, 2.0)
    assert all(h == h.lower() for h in defaults.REQUEST_ID_HEADERS)
