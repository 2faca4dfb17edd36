"""A zip without a Python's wheels is refused by that Blender, exactly as check_build predicts.

Blender 5.1 and later run Python 3.13. The zip of the Python-3.11-only days installed there with
"This Python version (3.13) isn't compatible with (3.11)". Here the built zip, stripped of its
cp313 wheels, goes to tools/check_build.py and to Blender's own installer: in each Blender line,
check_build must refuse it for that Blender's Python exactly when Blender does.
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_build  # noqa: E402


def without_python(source: Path, target: Path, abi: str) -> Path:
    """A copy of the extension zip without the ``abi`` ("cp313") wheels, in files and manifest."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for item in old.infolist():
            if item.filename.startswith("wheels/") and f"-{abi}-" in item.filename:
                continue
            data = old.read(item.filename)
            if item.filename == "blender_manifest.toml":
                text = data.decode()
                text = re.sub(rf'\s*"\./wheels/[^"]*-{abi}-[^"]*",?', "", text)
                data = text.encode()
            new.writestr(item, data)
    return target


@pytest.fixture(scope="module")
def cp311_only_zip(extension_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cp311-only")
    return without_python(extension_zip, folder / extension_zip.name, "cp313")


def test_the_built_zip_passes_and_the_stripped_one_fails_only_for_python_313(
    extension_zip: Path, cp311_only_zip: Path
) -> None:
    assert check_build.check_zip(extension_zip) == []
    errors = check_build.check_zip(cp311_only_zip)
    assert errors, "check_build accepted a zip without Python 3.13 wheels"
    assert all(e.startswith(f"{cp311_only_zip.name}: Python 3.13: ") for e in errors), errors
    assert any("imports 'aiohttp' but no wheel provides it" in e for e in errors), errors


def test_blender_refuses_the_stripped_zip_exactly_when_check_build_does(
    blender_run, cp311_only_zip: Path
) -> None:
    outcome = blender_run("install_outcome", LSW_ZIP=str(cp311_only_zip))
    python = outcome["python_version"]
    predicted = [
        e
        for e in check_build.check_zip(cp311_only_zip)
        if e.startswith(f"{cp311_only_zip.name}: Python {python}: ")
    ]
    if predicted:
        assert not outcome["enabled"], outcome
        assert f"This Python version ({python}) isn't compatible" in outcome["error"], outcome
    else:
        assert outcome["enabled"], outcome
        site = Path(outcome["_user_resources"]) / "extensions" / ".local" / "lib"
        assert Path(outcome["aiohttp_file"]).is_relative_to(site / f"python{python}"), outcome
