"""The job state, the connection status and the request-type declarations are plain Python:
no ``bpy`` anywhere in them (checked on every import statement, also inside functions), so
they run and are tested outside Blender."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.layers.test_layers import imported_names

ROOT = Path(__file__).resolve().parents[2]
PURE = ("job_state.py", "status.py", "request_types.py", "prompts.py")


@pytest.mark.parametrize("name", PURE)
def test_never_imports_bpy(name: str) -> None:
    names = imported_names(ROOT / name)
    offending = {n for n in names if n.lstrip(".").split(".")[0] in ("bpy", "bpy_extras")}
    assert not offending, f"{name} imports {offending}"
    # Nor anything of the Blender layer above it.
    blender_side = {".bridge", ".operators", ".panels", ".preferences", ".properties", ".screen"}
    assert not names & blender_side, names & blender_side
