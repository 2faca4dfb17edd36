"""Start and inspect a real LiteLLM proxy for the integration tests (and the latency report).

The proxy runs from its own venv (``.venv/proxy``, built from ``requirements/proxy.lock``) as a
subprocess on 127.0.0.1 with ``litellm_config.yaml``: every model answers from
``mock_response``, so no provider is ever called. Its environment forbids every way out: the
local model cost map, telemetry vetoed, no database, and HTTP(S) proxies pointing at a closed
local port, so a library that tried to reach the internet would fail instead of leaking.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PROXY_DIR = Path(__file__).resolve().parent
CONFIG_PATH = PROXY_DIR / "litellm_config.yaml"
LITELLM_EXE = ROOT / ".venv" / "proxy" / "bin" / "litellm"

HOST = "127.0.0.1"
MASTER_KEY = "sk-test-master-key"  # a test value from litellm_config.yaml, not a secret
STARTUP_TIMEOUT = 90.0  # seconds until GET /health/liveliness must answer 200

# -- the models of litellm_config.yaml ---------------------------------------------------------
TEXT_MODEL = "screenwriter-text"
ANALYSIS_MODEL = "screenwriter-analysis"
RATE_LIMITED_MODEL = "screenwriter-rate-limited"
BROKEN_MODEL = "screenwriter-broken"
SLOW_MODEL = "screenwriter-slow"
PROXY_MODELS = (TEXT_MODEL, ANALYSIS_MODEL, RATE_LIMITED_MODEL, BROKEN_MODEL, SLOW_MODEL)

TEXT_REPLY = "INT. WRITERS' ROOM - NIGHT. The coffee is cold, but the scene is finally working."
SLOW_REPLY = "Eventually, the slow model speaks."
SLOW_DELAY = 10.0  # mock_delay of SLOW_MODEL, seconds
# The custom price of TEXT_MODEL (USD per token), so the proxy reports a non-zero cost.
TEXT_INPUT_COST = 0.000001
TEXT_OUTPUT_COST = 0.000002

# Figures gathered during the session, printed in pytest's terminal summary by conftest.py.
REPORT: dict[str, Any] = {}


def user(text: str = "Give me the next line of the scene.") -> list[dict[str, str]]:
    return [{"role": "user", "content": text}]


def text_cost(prompt_tokens: int, completion_tokens: int) -> float:
    """What the proxy should charge for TEXT_MODEL with these token counts."""
    return prompt_tokens * TEXT_INPUT_COST + completion_tokens * TEXT_OUTPUT_COST


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


def _launch(workdir: Path, port: int) -> ProxyProcess:
    log_path = workdir / f"litellm-proxy-{port}.log"
    home = workdir / "home"
    home.mkdir(exist_ok=True)
    command = [
        str(LITELLM_EXE),
        "--config",
        str(CONFIG_PATH),
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


def _warm_up(proxy: ProxyProcess) -> None:
    """One completion, so the first test does not pay for the proxy's lazy imports."""
    started = time.monotonic()
    try:
        status, body = http_json(
            proxy.url + "/v1/chat/completions",
            {"model": TEXT_MODEL, "messages": user("warm up")},
            key=MASTER_KEY,
            timeout=30.0,
        )
    except OSError as error:
        status, body = None, error
    proxy.warmup_seconds = time.monotonic() - started
    if status != 200:
        raise ProxyStartError(
            f"the LiteLLM proxy is alive but its first completion failed ({status}: {body}).\n"
            f"--- proxy output ({proxy.log_path}) ---\n{proxy.output()}"
        )


def start_proxy(workdir: Path, *, attempts: int = 2) -> ProxyProcess:
    """Start the proxy on a free port of 127.0.0.1 and return once it is alive and has served
    one completion.

    Raises ``ProxyStartError`` (with the proxy's output) when it cannot be started.
    """
    if not LITELLM_EXE.exists():
        raise ProxyStartError(
            f"{LITELLM_EXE} is missing: build the proxy venv with `make venv-proxy` "
            "(from requirements/proxy.lock)"
        )
    last: ProxyStartError | None = None
    for _ in range(attempts):
        port = free_port()
        started = time.monotonic()
        proxy = _launch(workdir, port)
        atexit.register(proxy.stop)  # a safety net should the session die without teardown
        try:
            _wait_alive(proxy, started + STARTUP_TIMEOUT)
            proxy.startup_seconds = time.monotonic() - started
            _warm_up(proxy)
        except ProxyStartError as error:
            proxy.stop()
            last = error
            if "address already in use" in str(error).lower():
                continue  # lost the race for the port: try another one
            raise
        except BaseException:  # a test timeout or ^C while waiting: leave nothing running
            proxy.stop()
            raise
        return proxy
    assert last is not None
    raise last


# -- what the process is connected to (Linux /proc) --------------------------------------------


def _decode_address(hex_address: str) -> tuple[str, int]:
    host_hex, port_hex = hex_address.split(":")
    port = int(port_hex, 16)
    raw = bytes.fromhex(host_hex)
    if len(raw) == 4:
        return socket.inet_ntop(socket.AF_INET, raw[::-1]), port
    # IPv6: four 32-bit words, each in host (little-endian) order.
    words = b"".join(raw[i : i + 4][::-1] for i in range(0, 16, 4))
    return socket.inet_ntop(socket.AF_INET6, words), port


def process_sockets(pid: int) -> list[dict[str, Any]]:
    """The TCP and UDP sockets a process holds: protocol, local and remote address, state.

    Reads ``/proc/<pid>/fd`` for socket inodes and ``/proc/<pid>/net/{tcp,tcp6,udp,udp6}``
    for their addresses. Raises ``OSError`` where there is no /proc.
    """
    inodes = set()
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            match = re.fullmatch(r"socket:\[(\d+)\]", os.readlink(entry))
            if match:
                inodes.add(match.group(1))
    found = []
    for proto in ("tcp", "tcp6", "udp", "udp6"):
        table = Path(f"/proc/{pid}/net/{proto}")
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            columns = line.split()
            if len(columns) < 10 or columns[9] not in inodes:
                continue
            found.append(
                {
                    "proto": proto,
                    "local": _decode_address(columns[1]),
                    "remote": _decode_address(columns[2]),
                    "listening": proto.startswith("tcp") and columns[3] == "0A",
                }
            )
    return found


def is_loopback_or_unset(host: str) -> bool:
    return (
        host.startswith("127.")
        or host in ("::1", "0.0.0.0", "::")
        or host.startswith("::ffff:127.")
    )
