"""Start a real LiteLLM proxy on 127.0.0.1 from ``.venv/proxy``: for the demo and the tests.

Its models use ``mock_response``, so no provider is called, and its environment forbids every
way out: the local model cost map, telemetry vetoed, no database, and HTTP(S) proxies pointing
at a closed local port, so a library that tried to reach the internet would fail instead of
leaking. The proxy runs in its own process group; ``stop()`` ends it and its children.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "HOST",
    "LITELLM_EXE",
    "ProxyProcess",
    "ProxyStartError",
    "free_port",
    "http_json",
    "proxy_env",
    "start_proxy",
]

ROOT = Path(__file__).resolve().parents[1]
LITELLM_EXE = ROOT / ".venv" / "proxy" / "bin" / "litellm"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 90.0  # seconds until GET /health/liveliness must answer 200


class ProxyStartError(RuntimeError):
    """The proxy did not come up; the message carries the tail of its output."""


# -- the environment ---------------------------------------------------------------------------

# Variables of the test run that must not reach the proxy: its own settings, provider keys,
# a database, and proxies (replaced by a closed local port below).
_DROP_PREFIXES = (
    "LITELLM_",
    "OPENAI_",
    "ANTHROPIC_",
    "AZURE_",
    "AWS_",
    "GEMINI_",
    "VERTEX",
    "GOOGLE_",
    "HF_",
    "HUGGING",
    "REDIS_",
    "DATABASE_",
    "DIRECT_URL",
    "OTEL_",
    "LANGFUSE_",
    "DATADOG_",
    "DD_",
    "SENTRY_",
    "PROMETHEUS_",
)
_PROXY_VARS = {"http_proxy", "https_proxy", "all_proxy", "no_proxy", "ftp_proxy"}
_CLOSED_PORT = f"http://{HOST}:9"  # discard port: nothing listens, so any request fails at once


def proxy_env(home: Path) -> dict[str, str]:
    """The proxy's environment: this process's, minus what could change its behaviour or let it
    reach beyond 127.0.0.1, plus the switches that keep it offline."""
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.upper().startswith(_DROP_PREFIXES) and name.lower() not in _PROXY_VARS
    }
    env.update(
        {
            # No remote price list: the cost map packaged with litellm.
            "LITELLM_LOCAL_MODEL_COST_MAP": "True",
            # LiteLLM's usage/stability telemetry: vetoed whatever a stored setting says.
            "LITELLM_TELEMETRY_DISABLED": "true",
            "LITELLM_DISABLE_BUG_REPORT_LINK": "true",
            "DISABLE_ADMIN_UI": "true",
            "NO_DOCS": "true",
            "OTEL_SDK_DISABLED": "true",
            "HF_HUB_OFFLINE": "1",
            "HF_HUB_DISABLE_TELEMETRY": "1",
            "TRANSFORMERS_OFFLINE": "1",
            "DO_NOT_TRACK": "1",
            "SCARF_NO_ANALYTICS": "true",
            # Belt and braces: whatever honours proxy variables cannot get out either.
            "HTTP_PROXY": _CLOSED_PORT,
            "HTTPS_PROXY": _CLOSED_PORT,
            "ALL_PROXY": _CLOSED_PORT,
            "http_proxy": _CLOSED_PORT,
            "https_proxy": _CLOSED_PORT,
            "all_proxy": _CLOSED_PORT,
            "NO_PROXY": f"{HOST},localhost",
            "no_proxy": f"{HOST},localhost",
            # Files the proxy may write (caches, ~/.litellm) stay in the test's temp folder.
            "HOME": str(home),
            "XDG_CACHE_HOME": str(home / ".cache"),
            # Stop within 2 s at the end of the session, even with a slow-model request in
            # flight (uvicorn would otherwise wait for its mock_delay).
            "GRACEFUL_SHUTDOWN_TIMEOUT": "2",
            "PYTHONUNBUFFERED": "1",
            "PYTHONDONTWRITEBYTECODE": "1",
        }
    )
    return env


def free_port() -> int:
    """A port of 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# -- the process -------------------------------------------------------------------------------

_NO_PROXY_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def http_json(url: str, body: Any = None, *, key: str | None = None, timeout: float = 5.0):
    """(status, decoded JSON or text) of one request, straight to 127.0.0.1 (no proxies)."""
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="GET" if body is None else "POST")
    request.add_header("Content-Type", "application/json")
    if key:
        request.add_header("Authorization", f"Bearer {key}")
    try:
        with _NO_PROXY_OPENER.open(request, timeout=timeout) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, raw.decode("utf-8", "replace")


@dataclass
class ProxyProcess:
    """A running LiteLLM proxy: where it listens, its process, and its output file."""

    url: str
    port: int
    process: subprocess.Popen
    log_path: Path
    startup_seconds: float = 0.0
    warmup_seconds: float = 0.0
    figures: dict[str, float] = field(default_factory=dict)

    @property
    def pid(self) -> int:
        return self.process.pid

    def output(self, limit: int = 8000) -> str:
        """The last ``limit`` characters of what the proxy printed."""
        try:
            text = self.log_path.read_text("utf-8", "replace")
        except OSError as error:
            return f"(no output: {error})"
        return text if len(text) <= limit else "…" + text[-limit:]

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the proxy's process group, SIGKILL it after ``grace`` seconds."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def _launch(config: Path, workdir: Path, port: int) -> ProxyProcess:
    log_path = workdir / f"litellm-proxy-{port}.log"
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    command = [
        str(LITELLM_EXE),
        "--config",
        str(config),
        "--host",
        HOST,
        "--port",
        str(port),
        "--num_workers",
        "1",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            cwd=workdir,
            env=proxy_env(home),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, so stop() ends it and its children
        )
    return ProxyProcess(f"http://{HOST}:{port}", port, process, log_path)


def _wait_alive(proxy: ProxyProcess, deadline: float) -> None:
    url = proxy.url + "/health/liveliness"
    while True:
        code = proxy.process.poll()
        if code is not None:
            raise ProxyStartError(
                f"the LiteLLM proxy exited with status {code} before it answered {url}.\n"
                f"--- proxy output ({proxy.log_path}) ---\n{proxy.output()}"
            )
        try:
            status, _ = http_json(url, timeout=2.0)
            if status == 200:
                return
        except OSError:
            pass  # not listening yet
        if time.monotonic() > deadline:
            proxy.stop()
            raise ProxyStartError(
                f"the LiteLLM proxy did not answer {url} within {STARTUP_TIMEOUT:g} s.\n"
                f"--- proxy output ({proxy.log_path}) ---\n{proxy.output()}"
            )
        time.sleep(0.2)


def start_proxy(
    config: Path,
    workdir: Path,
    *,
    warm_up: Callable[[ProxyProcess], None] | None = None,
    attempts: int = 2,
    port: int | None = None,
) -> ProxyProcess:
    """Start the proxy with ``config`` on a free port of 127.0.0.1 (files in ``workdir``) and
    return once it is alive and, when ``warm_up`` is given, once that has run.

    ``port`` asks for that port instead (a proxy restarted where its clients expect it): one
    attempt, since another port would not do.

    Raises ``ProxyStartError`` (with the proxy's output) when it cannot be started.
    """
    if not LITELLM_EXE.exists():
        raise ProxyStartError(
            f"{LITELLM_EXE} is missing: build the proxy venv with `make venv-proxy` "
            "(from requirements/proxy.lock)"
        )
    last: ProxyStartError | None = None
    for _ in range(1 if port is not None else attempts):
        started = time.monotonic()
        proxy = _launch(config, workdir, port if port is not None else free_port())
        atexit.register(proxy.stop)  # a safety net should the caller die without stopping it
        try:
            _wait_alive(proxy, started + STARTUP_TIMEOUT)
            proxy.startup_seconds = time.monotonic() - started
            if warm_up is not None:
                warm_up(proxy)
        except ProxyStartError as error:
            proxy.stop()
            last = error
            if port is None and "address already in use" in str(error).lower():
                continue  # lost the race for the port: try another one
            raise
        except BaseException:  # a timeout or ^C while waiting: leave nothing running
            proxy.stop()
            raise
        return proxy
    assert last is not None
    raise last
