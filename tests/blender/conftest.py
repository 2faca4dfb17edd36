"""Real-Blender test layer: build (or reuse) the linux-x64 zip, run scripts in the bpy module.

Every script runs in a subprocess of the Blender venv's Python (``.venv/blender``, bpy 4.5 LTS;
``$BLENDER_PYTHON`` picks another, e.g. ``.venv/blender52/bin/python`` for bpy 5.2 LTS) with a
fresh ``BLENDER_USER_RESOURCES``. That venv has no aiohttp: whatever the extension imports must
come from the wheels it bundles. Each script prints one ``RESULT {json}`` line and leaves
through ``os._exit``; a script that hangs is killed after ``SCRIPT_TIMEOUT`` seconds.

One pytest run tests one Blender (``make test`` runs pytest once per Blender line): the module
fixtures of the tests (mock servers, gate folders) hold one run's state, so two Blenders in one
session would share them. Every test that runs Blender carries the line in its id
(``test_registers_the_operators[blender-5.2]``), so a failure names the Blender it failed in.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).parent
SCRIPTS = HERE / "scripts"
DIST = ROOT / "dist"
SCRIPT_TIMEOUT = 120.0


def _not_shipped() -> set[str]:
    """Top-level names the manifest's ``paths_exclude_pattern`` keeps out of the zip."""
    manifest = tomllib.loads((ROOT / "blender_manifest.toml").read_text())
    patterns = manifest.get("build", {}).get("paths_exclude_pattern", [])
    return {p.strip("/") for p in patterns if p.startswith("/") and not set(p) & set("*?[")}


def _configured_python() -> Path:
    configured = os.environ.get("BLENDER_PYTHON")
    python = Path(configured) if configured else ROOT / ".venv" / "blender" / "bin" / "python"
    return python if python.is_absolute() else ROOT / python


def _series_of(python: Path) -> str | None:
    """The Blender series ("4.5", "5.2") whose bpy module that Python's venv holds."""
    venv = python.parent.parent
    found = sorted(venv.glob("lib/python3.*/site-packages/bpy/[0-9]*.[0-9]*"))
    return found[-1].name if found else None


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Name the Blender in the id of every test that runs one (one value: one Blender a run)."""
    if "blender_python" in metafunc.fixturenames:
        python = _configured_python()
        series = _series_of(python)
        label = f"blender-{series}" if series else f"{python.parent.parent.name}-missing"
        metafunc.parametrize("blender_python", [python], ids=[label], indirect=True,
                             scope="session")  # fmt: skip


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.path)).is_relative_to(HERE):
            item.add_marker(pytest.mark.blender)
            # Room for a first build (downloads on a cold cache) plus a Blender subprocess.
            item.add_marker(pytest.mark.timeout(600))


@pytest.fixture(scope="session")
def blender_python(request: pytest.FixtureRequest) -> Path:
    """The Python of the Blender venv under test ($BLENDER_PYTHON, default .venv/blender)."""
    python: Path = request.param
    venv = python.parent.parent
    if not python.exists():
        pytest.fail(f"{python} missing: run `make venv-{venv.name}` (make test does it)")
    return python


@pytest.fixture(scope="session")
def blender_series(blender_python: Path) -> str:
    """The Blender series ("4.5", "5.2") whose bpy module that Python's venv holds."""
    series = _series_of(blender_python)
    assert series, f"no bpy module in {blender_python.parent.parent}"
    return series


def shipped_files() -> dict[str, Path]:
    """The checkout's files that end up in the zip, by their path inside it (wheels aside)."""
    skip = _not_shipped() | {"wheels"}
    found: dict[str, Path] = {}
    for folder, dirs, files in os.walk(ROOT):
        here = Path(folder)
        top = here == ROOT
        dirs[:] = [
            d for d in dirs
            if not d.startswith(".") and d != "__pycache__" and not (top and d in skip)
        ]  # fmt: skip
        for name in files:
            if name.startswith(".") or name.endswith((".zip", ".pyc")) or (top and name in skip):
                continue
            path = here / name
            found[path.relative_to(ROOT).as_posix()] = path
    return found


def _linux_zip() -> Path | None:
    zips = sorted(DIST.glob("litellm_screenwriter-*-linux_x64.zip"))
    return zips[-1] if zips else None


def _stale(built: Path) -> bool:
    """A file was added, removed or changed since the zip was built."""
    files = shipped_files()
    with zipfile.ZipFile(built) as archive:
        inside = {n for n in archive.namelist() if not n.endswith("/") and "wheels/" not in n}
    newest = max(p.stat().st_mtime for p in files.values())
    return inside != set(files) or built.stat().st_mtime < newest


@pytest.fixture(scope="session")
def extension_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The linux-x64 zip, built by tools/build.py (Blender's own tool) when missing or stale.

    The zip is copied into the session's temp dir, so a concurrent rebuild of dist/ cannot
    change it under a running test.
    """
    built = _linux_zip()
    if built is None or _stale(built):
        proc = subprocess.run(
            [sys.executable, str(ROOT / "tools" / "build.py")],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        assert proc.returncode == 0, f"tools/build.py failed:\n{proc.stdout}\n{proc.stderr}"
        built = _linux_zip()
    # Not re-checked for staleness: others may edit the checkout while a build runs.
    assert built is not None, "tools/build.py produced no linux-x64 zip"
    copy = tmp_path_factory.mktemp("dist") / built.name
    shutil.copy2(built, copy)
    return copy


class BlenderRun:
    """Runs one script of scripts/ in real Blender with its own user resources folder."""

    def __init__(self, python: Path, zip_path: Path, tmp_path: Path) -> None:
        self.python, self.zip_path, self.tmp_path = python, zip_path, tmp_path

    def __call__(
        self, script: str, *args: str, timeout: float = SCRIPT_TIMEOUT, **env: str
    ) -> dict:
        """Run scripts/<script>.py; return its RESULT dict, failing with its output otherwise."""
        user = self.tmp_path / f"user-{script}"
        user.mkdir(exist_ok=True)
        # Blender's session temp folder (blender_*) goes here, not into the machine's /tmp:
        # checked below to be gone after a clean exit, and inside pytest's own tmp otherwise.
        temp = self.tmp_path / f"tmp-{script}"
        temp.mkdir(exist_ok=True)
        full_env = {
            **os.environ,
            "TMPDIR": str(temp),
            "BLENDER_USER_RESOURCES": str(user),
            "LSW_ZIP": str(self.zip_path),
            "PYTHONPATH": str(SCRIPTS),
            "PYTHONNOUSERSITE": "1",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        for name in ("VIRTUAL_ENV", "PYTHONHOME", "LITELLM_BASE_URL", "LITELLM_API_KEY"):
            full_env.pop(name, None)
        try:
            proc = subprocess.run(
                [str(self.python), str(SCRIPTS / f"{script}.py"), *args],
                env=full_env,
                cwd=self.tmp_path,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired as exc:
            pytest.fail(
                f"{script} hung for {timeout} s and was killed:\n{exc.stdout}\n{exc.stderr}"
            )
        output = f"--- stdout\n{proc.stdout[-8000:]}\n--- stderr\n{proc.stderr[-8000:]}"
        lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
        assert lines, f"{script} printed no RESULT (exit {proc.returncode})\n{output}"
        result = json.loads(lines[-1].removeprefix("RESULT "))
        assert proc.returncode == 0, f"{script} failed (exit {proc.returncode})\n{output}"
        left = sorted(path.name for path in temp.glob("blender_*"))
        assert not left, f"{script} left Blender's session temp folder behind: {left}\n{output}"
        result["_user_resources"] = str(user)
        result["_output"] = output
        return result


@pytest.fixture(scope="module")
def blender_run(
    blender_python: Path, extension_zip: Path, tmp_path_factory: pytest.TempPathFactory
) -> BlenderRun:
    return BlenderRun(blender_python, extension_zip, tmp_path_factory.mktemp("blender"))
