"""The real LiteLLM proxy restarted between two requests from real Blender: the next succeeds.

The proxy (tests/proxy/litellm_config.yaml, mock_response models, started from .venv/proxy by
tools/litellm_proxy.py) answers a first request; then, while the Blender script waits, it is
stopped and started again on the same port. The next request, with Retries 0, must succeed on
a fresh connection although the first one's pooled connection died with the old process.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.proxy.proxy_support import CONFIG_PATH, MASTER_KEY, TEXT_REPLY, ProxyProcess
from tests.proxy.proxy_support import start_proxy as start_test_proxy
from tools.litellm_proxy import start_proxy

pytestmark = pytest.mark.proxy


def restart_on_same_port(proxy: ProxyProcess, workdir: Path) -> ProxyProcess:
    """Stop ``proxy`` and start it again, same config and port; return once it is alive."""
    proxy.stop()
    return start_proxy(CONFIG_PATH, workdir, port=proxy.port)


class Restarter(threading.Thread):
    """Restarts the proxy when the Blender script asks (``restart.sent``), then says so."""

    def __init__(self, proxy: ProxyProcess, workdir: Path, gates: Path) -> None:
        super().__init__(name="proxy-restarter", daemon=True)
        self.proxy, self.workdir, self.gates = proxy, workdir, gates
        self.error: BaseException | None = None
        self.stop_asked = threading.Event()

    def run(self) -> None:
        try:
            while not (self.gates / "restart.sent").exists():
                if self.stop_asked.wait(0.05):
                    return
            self.proxy = restart_on_same_port(self.proxy, self.workdir)
        except BaseException as error:  # reported by the fixture
            self.error = error
        finally:
            (self.gates / "restart.go").touch()


@pytest.fixture(scope="module")
def restarted(blender_run, tmp_path_factory: pytest.TempPathFactory) -> dict:
    workdir = tmp_path_factory.mktemp("litellm-proxy")
    gates = tmp_path_factory.mktemp("gates")
    proxy = start_test_proxy(workdir)
    restarter = Restarter(proxy, workdir, gates)
    restarter.start()
    try:
        report = blender_run(
            "proxy_restart",
            LSW_SERVER_URL=proxy.url,
            LSW_API_KEY=MASTER_KEY,
            LSW_GATES=str(gates),
            timeout=400.0,
        )
    finally:
        restarter.stop_asked.set()
        restarter.join(timeout=120.0)
        restarter.proxy.stop()
    assert restarter.error is None, f"the proxy could not be restarted: {restarter.error}"
    report["ports"] = [proxy.port, restarter.proxy.port]
    report["restarted_pid_differs"] = restarter.proxy.pid != proxy.pid
    print(f"proxy restart took {report['restart_seconds']:.1f} s (seen from Blender)")
    return report


def test_the_proxy_was_restarted_on_the_same_port(restarted: dict) -> None:
    assert restarted["restarted_pid_differs"]
    assert restarted["ports"][0] == restarted["ports"][1]


def test_the_first_request_is_answered_by_the_proxy(restarted: dict) -> None:
    before = restarted["before"]
    assert before["state"] == "done", before
    assert before["text"] == TEXT_REPLY


def test_the_request_after_the_restart_succeeds_without_a_retry(restarted: dict) -> None:
    after = restarted["after"]
    assert after["state"] == "done", after
    assert after["text"] == TEXT_REPLY
    again = restarted["again"]
    assert again["state"] == "done", again
    assert again["text"].endswith(TEXT_REPLY)
    assert restarted["threads"] == 1
    assert restarted["log_errors"] == []
