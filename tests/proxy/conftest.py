"""Fixtures for the real-LiteLLM-proxy layer: one proxy for the whole session, and clients.

The proxy starts once (``litellm_proxy``, session scope) on a free port of 127.0.0.1 and is
terminated when the session ends; a failed start fails every proxy test with its output.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import pytest
from proxy_support import (
    MASTER_KEY,
    REPORT,
    ProxyProcess,
    ProxyStartError,
    start_proxy,
)

from litellm_screenwriter.client import ClientConfig, LiteLLMClient


@pytest.fixture(scope="session")
def litellm_proxy(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ProxyProcess]:
    """A real LiteLLM proxy with the mock models of litellm_config.yaml, alive and warmed up."""
    workdir = tmp_path_factory.mktemp("litellm-proxy")
    try:
        proxy = start_proxy(workdir)
    except ProxyStartError as error:
        pytest.fail(f"could not start the LiteLLM proxy: {error}", pytrace=False)
    REPORT["proxy_startup_s"] = proxy.startup_seconds
    REPORT["proxy_first_completion_s"] = proxy.warmup_seconds
    try:
        yield proxy
    finally:
        proxy.stop()


@pytest.fixture
def proxy_config(litellm_proxy: ProxyProcess) -> Callable[..., ClientConfig]:
    """Build a ClientConfig for the proxy: the master key, no proxies from the environment, no
    retries and tiny backoffs unless a test asks otherwise."""

    def make(**overrides: Any) -> ClientConfig:
        options: dict[str, Any] = {
            "base_url": litellm_proxy.url,
            "api_key": MASTER_KEY,
            "trust_env": False,
            "max_retries": 0,
            "initial_backoff": 0.01,
            "max_backoff": 0.05,
        }
        options.update(overrides)
        return ClientConfig(**options)

    return make


@pytest.fixture
async def client(proxy_config: Callable[..., ClientConfig]) -> AsyncIterator[LiteLLMClient]:
    """A client of the proxy with the master key and no retries."""
    async with LiteLLMClient(proxy_config()) as proxy_client:
        yield proxy_client


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Print the proxy's start-up time and the latency figures, with or without ``-s``."""
    if not REPORT:
        return
    terminalreporter.section("LiteLLM proxy")
    if "proxy_startup_s" in REPORT:
        terminalreporter.write_line(
            f"start-up to /health/liveliness: {REPORT['proxy_startup_s']:.1f} s; "
            f"first completion: {REPORT['proxy_first_completion_s'] * 1000:.0f} ms"
        )
    for line in REPORT.get("latency_lines", ()):
        terminalreporter.write_line(line)
