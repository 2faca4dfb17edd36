"""The one rule between layers (DESIGN.md): ``client/`` and ``worker.py`` never import ``bpy``,
and ``client/`` never imports the worker. Checked on the source (every import statement, also
inside functions) and by importing the layers in a fresh interpreter that has no ``bpy``."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_FILES = sorted((ROOT / "client").glob("*.py"))


def imported_names(path: Path) -> set[str]:
    """Every module name an import statement in ``path`` names (relative ones with dots)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = "." * node.level + (node.module or "")
            names.add(module)
            if node.level and not node.module:  # from . import worker
                names.update("." * node.level + alias.name for alias in node.names)
    return names


def test_the_client_files_exist():
    assert {p.name for p in CLIENT_FILES} >= {"__init__.py", "client.py", "streaming.py", "sse.py"}


@pytest.mark.parametrize("path", [*CLIENT_FILES, ROOT / "worker.py"], ids=lambda p: p.name)
def test_pure_layers_never_import_bpy(path: Path):
    offending = {n for n in imported_names(path) if n.split(".")[0] in ("bpy", "bpy_extras")}
    offending |= {n for n in imported_names(path) if n.lstrip(".").split(".")[0] == "bpy"}
    assert not offending, f"{path.name} imports {offending}"


@pytest.mark.parametrize("path", CLIENT_FILES, ids=lambda p: p.name)
def test_client_never_imports_upward(path: Path):
    upward = {
        n
        for n in imported_names(path)
        if n.startswith("..") or n.split(".")[0] == "litellm_screenwriter"
    }
    assert not upward, f"{path.name} reaches above client/: {upward}"


def test_worker_reaches_only_the_client():
    relative = {n for n in imported_names(ROOT / "worker.py") if n.startswith(".")}
    assert relative <= {".client"}, relative


def test_layers_import_without_blender_and_the_package_without_aiohttp():
    """In a fresh interpreter: the package imports without pulling aiohttp (Blender start-up
    stays fast), so do the worker and the light client names the main thread uses (a click
    must not freeze Blender for the second aiohttp takes to load); no layer pulls in bpy."""
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "litellm_screenwriter", {str(ROOT / "__init__.py")!r},
    submodule_search_locations=[{str(ROOT)!r}])
pkg = importlib.util.module_from_spec(spec)
sys.modules["litellm_screenwriter"] = pkg
spec.loader.exec_module(pkg)
assert "aiohttp" not in sys.modules, "importing the package imported aiohttp"
import litellm_screenwriter.worker
assert "aiohttp" not in sys.modules, "importing the worker imported aiohttp"
from litellm_screenwriter.client import ClientConfig, Conversation
assert "aiohttp" not in sys.modules, "Conversation/ClientConfig pulled in aiohttp"
assert "jsonschema" not in sys.modules, "Conversation/ClientConfig pulled in jsonschema"
import litellm_screenwriter.client as client
for name in client.__all__:
    getattr(client, name)
assert "aiohttp" in sys.modules
assert "bpy" not in sys.modules, "the client or worker imported bpy"
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
