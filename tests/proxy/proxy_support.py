"""The real LiteLLM proxy of the integration tests (and the latency report): its models,
starting it, and what it is connected to.

``tools/litellm_proxy.py`` starts it (the demo uses the same launcher) from its own venv, on
127.0.0.1, with an environment that keeps it offline; ``litellm_config.yaml`` gives every
model a ``mock_response``, so no provider is ever called.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import time
from pathlib import Path
from typing import Any

# Re-exported (``as``) for the tests that start or inspect the proxy themselves.
from tools.litellm_proxy import HOST as HOST
from tools.litellm_proxy import ProxyProcess as ProxyProcess
from tools.litellm_proxy import ProxyStartError as ProxyStartError
from tools.litellm_proxy import http_json as http_json
from tools.litellm_proxy import proxy_env as proxy_env
from tools.litellm_proxy import start_proxy as launch_proxy

PROXY_DIR = Path(__file__).resolve().parent
CONFIG_PATH = PROXY_DIR / "litellm_config.yaml"
MASTER_KEY = "sk-test-master-key"  # a test value from litellm_config.yaml, not a secret

# -- the models of litellm_config.yaml ---------------------------------------------------------
TEXT_MODEL = "screenwriter-text"
ANALYSIS_MODEL = "screenwriter-analysis"
RATE_LIMITED_MODEL = "screenwriter-rate-limited"
BROKEN_MODEL = "screenwriter-broken"
SLOW_MODEL = "screenwriter-slow"
RPM_MODEL = "screenwriter-rpm"
PROXY_MODELS = (
    TEXT_MODEL,
    ANALYSIS_MODEL,
    RATE_LIMITED_MODEL,
    BROKEN_MODEL,
    SLOW_MODEL,
    RPM_MODEL,
)

TEXT_REPLY = "INT. WRITERS' ROOM - NIGHT. The coffee is cold, but the scene is finally working."
SLOW_REPLY = "Eventually, the slow model speaks."
SLOW_DELAY = 10.0  # mock_delay of SLOW_MODEL, seconds
RPM_REPLY = "FADE IN: one request a minute."
RPM_WAIT = 60.0  # what LiteLLM asks a client to wait past RPM_MODEL's limit, seconds
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
    """The test proxy (``litellm_config.yaml``), alive and warmed up by one completion."""
    return launch_proxy(CONFIG_PATH, workdir, warm_up=_warm_up, attempts=attempts)


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
