"""The proxy stays on this machine: it listens on 127.0.0.1 only, holds no connection to any
other address, and never tried to fetch the remote model cost map."""

from __future__ import annotations

import sys

import pytest
from proxy_support import (
    MASTER_KEY,
    TEXT_MODEL,
    ProxyProcess,
    http_json,
    is_loopback_or_unset,
    process_sockets,
    proxy_env,
    user,
)

pytestmark = pytest.mark.proxy

needs_proc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")


def test_the_proxy_environment_keeps_it_offline(tmp_path) -> None:
    env = proxy_env(tmp_path)

    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True"
    assert env["LITELLM_TELEMETRY_DISABLED"] == "true"
    assert env["HTTPS_PROXY"].startswith("http://127.0.0.1:")
    assert not any(name.startswith(("OPENAI_", "DATABASE_")) for name in env)


@needs_proc
def test_the_proxy_listens_on_loopback_only(litellm_proxy: ProxyProcess) -> None:
    sockets = process_sockets(litellm_proxy.pid)
    listening = [s for s in sockets if s["listening"]]

    assert listening, sockets
    assert all(s["local"][0].startswith("127.") for s in listening), listening
    assert any(s["local"][1] == litellm_proxy.port for s in listening), listening


@needs_proc
def test_the_proxy_holds_no_connection_beyond_loopback(litellm_proxy: ProxyProcess) -> None:
    status, _ = http_json(
        litellm_proxy.url + "/v1/chat/completions",
        {"model": TEXT_MODEL, "messages": user()},
        key=MASTER_KEY,
    )
    sockets = process_sockets(litellm_proxy.pid)
    outside = [s for s in sockets if not is_loopback_or_unset(s["remote"][0])]

    assert status == 200
    assert outside == [], outside


def test_the_proxy_never_tried_to_reach_the_internet(litellm_proxy: ProxyProcess) -> None:
    output = litellm_proxy.output(limit=10_000_000)

    assert "Proxy initialized with Config" in output  # it is the proxy's log we are reading
    assert "raw.githubusercontent.com" not in output  # the remote model cost map
    assert "ConnectError" not in output
    assert "Connection refused" not in output  # the closed port behind HTTP(S)_PROXY
