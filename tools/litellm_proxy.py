"""Start a real LiteLLM proxy on 127.0.0.1 from ``.venv/proxy``, for the demo (and anyone).

The models in the configs given here use ``mock_response``: no provider key, no internet.
The model cost map is read from the installed package (``LITELLM_LOCAL_MODEL_COST_MAP``) and
telemetry is off, so the proxy sends nothing beyond this machine.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

__all__ = ["ProxyProcess", "free_port"]

ROOT = Path(__file__).resolve().parents[1]
PROXY_BIN = ROOT / ".venv" / "proxy" / "bin" / "litellm"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class ProxyProcess:
    """``with ProxyProcess(config) as proxy: ... proxy.url ...``; stopped on exit."""

    def __init__(self, config: Path, *, startup_timeout: float = 120.0) -> None:
        self.config = config
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen | None = None
        self.log = Path(os.environ.get("TMPDIR", "/tmp")) / f"litellm-proxy-{self.port}.log"

    def __enter__(self) -> ProxyProcess:
        if not PROXY_BIN.exists():
            raise SystemExit(f"{PROXY_BIN} is missing: run `make venv-proxy`")
        env = {
            **os.environ,
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            "LITELLM_TELEMETRY": "False",
            "NO_PROXY": "127.0.0.1,localhost",
        }
        command = [str(PROXY_BIN), "--config", str(self.config), "--host", "127.0.0.1"]
        command += ["--port", str(self.port), "--num_workers", "1"]
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        started = time.monotonic()
        while time.monotonic() - started < self.startup_timeout:
            if self.process.poll() is not None:
                raise SystemExit(f"the LiteLLM proxy exited:\n{self.log.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(self.url + "/health/liveliness", timeout=1) as answer:
                    if answer.status == 200:
                        self.startup_seconds = time.monotonic() - started
                        return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.25)
        self.__exit__()
        raise SystemExit(f"the LiteLLM proxy did not start:\n{self.log.read_text()[-3000:]}")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
