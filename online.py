"""Blender's "Allow Online Access", applied to the LiteLLM server's address.

A LiteLLM proxy on this computer (``localhost``, a loopback address) is always allowed: talking
to it is not online access. Anything else waits for the setting, and every button, the status
check and the operators say so with the same sentence.
"""

from __future__ import annotations

import functools
import ipaddress
import os
from urllib.parse import urlsplit

import bpy

__all__ = ["is_loopback", "online_access_problem", "server_url"]

OFFLINE_MESSAGE = (
    "Online access is off (Preferences > System > Network > Allow Online Access): turn it "
    "on to reach the LiteLLM server, or use one on this computer."
)


def is_loopback(url: str) -> bool:
    host = urlsplit(url if "://" in url else f"http://{url}").hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def online_access_problem(url: str) -> str | None:
    """Why Blender's "Allow Online Access" forbids reaching ``url`` (None when it may go)."""
    if getattr(bpy.app, "online_access", True) or is_loopback(url or "localhost"):
        return None
    return OFFLINE_MESSAGE


def server_url() -> str:
    """The server the preferences point at, as the client will reach it (cheap: poll() and
    every redraw ask)."""
    from .preferences import get_preferences

    configured = get_preferences().base_url.strip()
    env = tuple(os.environ.get(n, "") for n in ("LITELLM_BASE_URL", "LITELLM_PROXY_URL"))
    return _resolved(configured, env)


@functools.lru_cache(maxsize=8)
def _resolved(configured: str, _env: tuple[str, ...]) -> str:
    from .client import ClientConfig

    return ClientConfig(base_url=configured or None).base_url
