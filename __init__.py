"""LiteLLM Screenwriter: an LLM assistant for screenwriters inside Blender, through a LiteLLM proxy.

Only registration lives here. Submodules are imported inside ``register()`` so that importing
the package (Blender start-up, or tests of the pure layers) never pulls in ``bpy`` or aiohttp.
"""

from __future__ import annotations

__all__ = ["register", "unregister"]

# Registration order; unregister runs in reverse. Each module exposes register()/unregister().
_SUBMODULES = ("preferences", "properties", "operators", "panels", "bridge")


def _modules() -> list:
    import importlib

    return [importlib.import_module(f"{__package__}.{name}") for name in _SUBMODULES]


def register() -> None:
    for module in _modules():
        module.register()


def unregister() -> None:
    for module in reversed(_modules()):
        module.unregister()
