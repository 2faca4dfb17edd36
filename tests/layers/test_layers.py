"""The one rule between layers (DESIGN.md): ``client/`` and ``worker/`` never import ``bpy``,
``client/`` never imports the worker, and the worker reaches only the client. Checked on the
source (every import statement, also inside functions) and by importing the layers in a fresh
interpreter that has no ``bpy``; and ``client/`` has no import cycle."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT_FILES = sorted((ROOT / "client").glob("*.py"))
WORKER_FILES = sorted((ROOT / "worker").glob("*.py"))


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
    assert {p.name for p in CLIENT_FILES} >= {
        "__init__.py",
        "client.py",
        "transport.py",
        "streaming.py",
        "sse.py",
    }


def test_the_worker_is_a_package():
    assert not (ROOT / "worker.py").exists()
    assert {p.name for p in WORKER_FILES} >= {"__init__.py", "messages.py", "thread.py"}


@pytest.mark.parametrize(
    "path", [*CLIENT_FILES, *WORKER_FILES], ids=lambda p: f"{p.parent.name}/{p.name}"
)
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


@pytest.mark.parametrize("path", WORKER_FILES, ids=lambda p: p.name)
def test_worker_reaches_only_the_client(path: Path):
    names = imported_names(path)
    upward = {n for n in names if n.startswith("..")}
    assert all(n == "..client" or n.startswith("..client.") for n in upward), upward
    assert not {n for n in names if n.split(".")[0] == "litellm_screenwriter"}


def _client_imports(path: Path) -> set[str]:
    """The sibling modules of ``client/`` that ``path`` imports."""
    out = set()
    for name in imported_names(path):
        if name.startswith(".") and not name.startswith(".."):
            module = name[1:].split(".")[0]
            if module:
                out.add(module)
    return out


def test_the_client_has_no_import_cycle():
    graph = {p.stem: _client_imports(p) - {p.stem} for p in CLIENT_FILES if p.stem != "__init__"}
    graph = {name: {m for m in deps if m in graph} for name, deps in graph.items()}
    done: set[str] = set()

    def visit(name: str, path: tuple[str, ...]) -> None:
        assert name not in path, f"import cycle: {' -> '.join((*path, name))}"
        if name in done:
            return
        for dep in sorted(graph[name]):
            visit(dep, (*path, name))
        done.add(name)

    for name in sorted(graph):
        visit(name, ())


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


def test_the_stream_uses_only_the_transports_public_interface():
    """ChatStream gets what it needs through the Transport and the Reply it opens, never
    through their private members (nor the client's: it does not even import the client)."""
    path = ROOT / "client" / "streaming.py"
    tree = ast.parse(path.read_text("utf-8"))
    reached = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_"):
            owner = node.value
            if isinstance(owner, ast.Attribute) and owner.attr in ("_transport", "_reply"):
                reached.add(f"{owner.attr}.{node.attr}")
            elif isinstance(owner, ast.Name) and owner.id in ("transport", "reply"):
                reached.add(f"{owner.id}.{node.attr}")
    assert not reached, f"streaming.py reaches private members: {sorted(reached)}"
    assert ".client" not in imported_names(path)
