"""Build one extension zip per platform with Blender's own tool, and refuse a broken one.

Steps: download the locked wheels into the manifest (fetch_wheels), check every listed wheel
exists, ``blender_ext.py validate``, ``blender_ext.py build --split-platforms`` into dist/, then
check each zip carries the wheels its imports need (check_build). Any failure exits non-zero.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"


def blender_ext() -> Path:
    """Blender's extension CLI, as shipped inside the bpy wheel of the Blender venv."""
    venv = Path(os.environ.get("BLENDER_VENV", ROOT / ".venv" / "blender"))
    pattern = "lib/python3.11/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"
    found = sorted(venv.glob(pattern))
    if not found:
        sys.exit(f"build: blender_ext.py not found under {venv} (run: make venv-blender)")
    return found[-1]


def run(*args: str | Path) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT)
    if result.returncode:
        sys.exit(f"build: failed: {' '.join(str(a) for a in args)}")


def main() -> None:
    py = sys.executable
    run(py, ROOT / "tools" / "fetch_wheels.py")
    run(py, ROOT / "tools" / "check_build.py", "manifest")
    tool = blender_ext()
    run(py, tool, "validate", ROOT)
    shutil.rmtree(DIST, ignore_errors=True)
    DIST.mkdir()
    run(py, tool, "build", "--source-dir", ROOT, "--output-dir", DIST, "--split-platforms")
    zips = sorted(DIST.glob("*.zip"))
    if len(zips) != 4:
        sys.exit(f"build: expected 4 platform zips in dist/, found {[z.name for z in zips]}")
    run(py, ROOT / "tools" / "check_build.py", "dist", *zips)


if __name__ == "__main__":
    main()
