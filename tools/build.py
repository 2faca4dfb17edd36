"""Build one extension zip per platform with Blender's own tool, and refuse a broken one.

Steps: make sure the locked wheels are in ./wheels/ and listed by the manifest (fetch_wheels:
from the cache, downloading only what is missing), check every listed wheel exists,
``blender_ext.py validate``, ``blender_ext.py build --split-platforms`` into a staging folder,
validate each zip, check each carries the wheels its imports need for every supported Python
(check_build), then move the zips into dist/. Any failure exits non-zero and leaves dist/ as it
was.

Blender's tool comes from the bpy wheel of a Blender venv and runs under that venv's Python, as
it would inside Blender: the build venv ($BLENDER_VENV, default .venv/blender, 4.5 LTS) builds
and validates; the newest Blender's (.venv/blender52, 5.2 LTS on Python 3.13) validates the
manifest and every zip again, as the installer of a Blender 5.x would. Concurrent builds (two
test sessions in one checkout) wait for each other instead of mixing their output.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
LOCK_FILE = ROOT / ".cache" / "build.lock"
PLATFORM_COUNT = 4  # windows-x64, macos-arm64, macos-x64, linux-x64 (blender_manifest.toml)
NEWEST_VENV = ROOT / ".venv" / "blender52"


def blender_venv() -> Path:
    return Path(os.environ.get("BLENDER_VENV") or ROOT / ".venv" / "blender")


def blender_ext(venv: Path) -> Path:
    """Blender's extension CLI, as shipped inside the bpy wheel of the Blender venv."""
    pattern = "lib/python3.*/site-packages/bpy/*/scripts/addons_core/bl_pkg/cli/blender_ext.py"
    found = sorted(venv.glob(pattern))
    if not found:
        sys.exit(f"build: blender_ext.py not found under {venv} (run: make venv-{venv.name})")
    return found[-1]


def run(*args: str | Path) -> None:
    result = subprocess.run([str(a) for a in args], cwd=ROOT)
    if result.returncode:
        sys.exit(f"build: failed (exit {result.returncode}): {' '.join(str(a) for a in args)}")


def build() -> list[Path]:
    tools = ROOT / "tools"
    run(sys.executable, tools / "fetch_wheels.py")
    run(sys.executable, tools / "check_build.py", "manifest")
    venv = blender_venv()
    tool, blender_python = blender_ext(venv), venv / "bin" / "python"
    validators = [(blender_python, tool)]
    if NEWEST_VENV.resolve() != venv.resolve():
        validators.append((NEWEST_VENV / "bin" / "python", blender_ext(NEWEST_VENV)))
    for python, validator in validators:
        run(python, validator, "validate", ROOT)
    DIST.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".staging-", dir=DIST) as tmp:
        staging = Path(tmp)
        run(blender_python, tool, "build", "--source-dir", ROOT, "--output-dir", staging,
            "--split-platforms")  # fmt: skip
        zips = sorted(staging.glob("*.zip"))
        if len(zips) != PLATFORM_COUNT:
            names = [z.name for z in zips]
            sys.exit(f"build: expected {PLATFORM_COUNT} platform zips, got {names}")
        for zip_path in zips:
            for python, validator in validators:
                run(python, validator, "validate", zip_path)
        run(sys.executable, tools / "check_build.py", "dist", *zips)
        for old in DIST.glob("*.zip"):
            old.unlink()
        for zip_path in zips:
            os.replace(zip_path, DIST / zip_path.name)
    return sorted(DIST.glob("*.zip"))


def main() -> None:
    start = time.perf_counter()
    LOCK_FILE.parent.mkdir(exist_ok=True)
    with LOCK_FILE.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        zips = build()
    for zip_path in zips:
        print(f"build: dist/{zip_path.name} {zip_path.stat().st_size / 1e6:.2f} MB")
    print(f"build: {len(zips)} zips in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
