"""screenplay/ is pure (DESIGN.md): stdlib and jsonschema only, nothing above it, no bpy; and
importing it loads neither jsonschema nor aiohttp (Blender's main thread stays quick)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted((ROOT / "screenplay").rglob("*.py"))
STDLIB = set(sys.stdlib_module_names)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_screenplay_imports_only_stdlib_jsonschema_and_itself(path: Path):
    depth = len(path.relative_to(ROOT / "screenplay").parts) - 1
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                assert node.level <= depth + 1, f"{path.name} reaches above screenplay/"
                continue
            names = [node.module or ""]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            assert top in STDLIB or top == "jsonschema", f"{path.name} imports {name}"


def test_importing_screenplay_loads_no_jsonschema_aiohttp_or_bpy():
    code = f"""
import importlib.util, sys
spec = importlib.util.spec_from_file_location(
    "litellm_screenwriter", {str(ROOT / "__init__.py")!r},
    submodule_search_locations=[{str(ROOT)!r}])
pkg = importlib.util.module_from_spec(spec)
sys.modules["litellm_screenwriter"] = pkg
spec.loader.exec_module(pkg)
from litellm_screenwriter import screenplay
screenplay.build_prompt("dialogue", "INT. A - DAY\\n\\nBOB\\nHi.\\n", line=3)
screenplay.plan_analysis("INT. A - DAY\\n")
for name in ("jsonschema", "aiohttp", "bpy", "litellm_screenwriter.client"):
    assert name not in sys.modules, name
print("ok")
"""
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
