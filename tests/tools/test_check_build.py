"""tools/check_build.py refuses a zip that would raise ModuleNotFoundError, naming the file.

The zips here are small fakes shaped like Blender's ``build --split-platforms`` output: a manifest
with a ``[build.generated]`` table, the extension's .py files and ``wheels/*.whl`` whose METADATA
declares their distribution and Requires-Dist.
"""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_build  # noqa: E402

LINUX = "cp311-cp311-manylinux_2_17_x86_64"
WINDOWS = "cp311-cp311-win_amd64"


def wheel(name: str, version: str, tag: str, module: str, requires: tuple[str, ...] = ()) -> bytes:
    meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    meta += [f"Requires-Dist: {r}\n" for r in requires]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as whl:
        whl.writestr(f"{module}/__init__.py", "")
        whl.writestr(f"{name}-{version}.dist-info/METADATA", "".join(meta))
    return buffer.getvalue()


GOOD_WHEELS = {
    f"aiohttp-3.0-{LINUX}.whl": wheel(
        "aiohttp", "3.0", LINUX, "aiohttp",
        ("yarl>=1", "colorama; sys_platform == 'win32'", "brotli; extra == 'speedups'"),
    ),
    f"yarl-1.0-{LINUX}.whl": wheel("yarl", "1.0", LINUX, "yarl"),
    "jsonschema-4.0-py3-none-any.whl": wheel("jsonschema", "4.0", "py3-none-any", "jsonschema"),
}  # fmt: skip
GOOD_SOURCES = {
    "__init__.py": "import bpy\nfrom . import client\n",
    "client/__init__.py": "import asyncio\nimport aiohttp\nfrom .schemas import load\n",
    "client/validation.py": "def check():\n    import jsonschema\n",
}


def make_zip(
    tmp_path: Path,
    *,
    platform: str = "linux-x64",
    wheels: dict[str, bytes] | None = None,
    sources: dict[str, str] | None = None,
    listed: list[str] | None = None,
    name: str = "ext-linux_x64.zip",
) -> Path:
    wheels = GOOD_WHEELS if wheels is None else wheels
    sources = GOOD_SOURCES if sources is None else sources
    listed = [f"./wheels/{n}" for n in wheels] if listed is None else listed
    entries = ", ".join(f'"{w}"' for w in listed)
    manifest = (
        'schema_version = "1.0.0"\nid = "ext"\n'
        f'wheels = ["./wheels/everything.whl"]\n'
        f'[build.generated]\nplatforms = ["{platform}"]\nwheels = [{entries}]\n'
    )
    path = tmp_path / name
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("blender_manifest.toml", manifest)
        for file, text in sources.items():
            archive.writestr(file, text)
        for file, data in wheels.items():
            archive.writestr(f"wheels/{file}", data)
    return path


@pytest.fixture(autouse=True)
def nothing_declared(monkeypatch: pytest.MonkeyPatch) -> None:
    """Only the fake sources' imports count (not the real requirements/wheels.in)."""
    monkeypatch.setattr(check_build, "_declared", list)


def test_a_complete_zip_passes(tmp_path: Path) -> None:
    assert check_build.check_zip(make_zip(tmp_path)) == []


def test_a_missing_wheel_for_an_import_names_the_zip_the_file_and_the_module(
    tmp_path: Path,
) -> None:
    wheels = {k: v for k, v in GOOD_WHEELS.items() if not k.startswith("jsonschema")}
    errors = check_build.check_zip(make_zip(tmp_path, wheels=wheels))
    assert errors == [
        "ext-linux_x64.zip: client/validation.py imports 'jsonschema' but no wheel provides it"
    ]


def test_a_missing_dependency_of_a_bundled_wheel_is_named(tmp_path: Path) -> None:
    wheels = {k: v for k, v in GOOD_WHEELS.items() if not k.startswith("yarl")}
    errors = check_build.check_zip(make_zip(tmp_path, wheels=wheels))
    assert errors == [
        f"ext-linux_x64.zip: no wheel for 'yarl' (required by aiohttp-3.0-{LINUX}.whl)"
    ]


def test_a_dependency_whose_marker_holds_on_the_platform_is_required(tmp_path: Path) -> None:
    win_wheels = {
        f"aiohttp-3.0-{WINDOWS}.whl": GOOD_WHEELS[f"aiohttp-3.0-{LINUX}.whl"],
        f"yarl-1.0-{WINDOWS}.whl": GOOD_WHEELS[f"yarl-1.0-{LINUX}.whl"],
        "jsonschema-4.0-py3-none-any.whl": GOOD_WHEELS["jsonschema-4.0-py3-none-any.whl"],
    }
    path = make_zip(tmp_path, platform="windows-x64", wheels=win_wheels, name="w.zip")
    assert check_build.check_zip(path) == [
        f"w.zip: no wheel for 'colorama' (required by aiohttp-3.0-{WINDOWS}.whl)"
    ]


def test_a_wheel_listed_by_the_zips_manifest_but_absent_is_named(tmp_path: Path) -> None:
    listed = [f"./wheels/{n}" for n in GOOD_WHEELS] + ["./wheels/ghost-1.0-py3-none-any.whl"]
    errors = check_build.check_zip(make_zip(tmp_path, listed=listed))
    assert errors == [
        "ext-linux_x64.zip: its manifest lists ./wheels/ghost-1.0-py3-none-any.whl "
        "but the zip lacks it"
    ]


def test_a_wheel_of_another_platform_is_named(tmp_path: Path) -> None:
    wheels = {**GOOD_WHEELS, f"yarl-1.0-{WINDOWS}.whl": GOOD_WHEELS[f"yarl-1.0-{LINUX}.whl"]}
    errors = check_build.check_zip(make_zip(tmp_path, wheels=wheels))
    assert errors == [f"ext-linux_x64.zip: wheel yarl-1.0-{WINDOWS}.whl is not for linux-x64"]


def test_a_declared_runtime_dependency_is_required_even_if_never_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from packaging.requirements import Requirement

    monkeypatch.setattr(check_build, "_declared", lambda: [Requirement("certifi")])
    errors = check_build.check_zip(make_zip(tmp_path))
    assert errors == [
        "ext-linux_x64.zip: no wheel for 'certifi' (declared in requirements/wheels.in)"
    ]


def test_a_multi_platform_zip_is_refused(tmp_path: Path) -> None:
    path = make_zip(tmp_path, platform="any")
    assert check_build.check_zip(path) == [
        "ext-linux_x64.zip: not a single-platform build (platforms=['any'])"
    ]


def test_the_manifest_check_names_a_listed_wheel_that_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "wheels").mkdir()
    (tmp_path / "wheels" / "here-1.0-py3-none-any.whl").write_bytes(b"")
    manifest = tmp_path / "blender_manifest.toml"
    manifest.write_text(
        'wheels = ["./wheels/here-1.0-py3-none-any.whl", "./wheels/gone-1.0-py3-none-any.whl"]\n'
    )
    assert check_build.check_manifest(manifest) == [
        "blender_manifest.toml: listed wheel ./wheels/gone-1.0-py3-none-any.whl does not exist "
        "(run: make wheels)"
    ]


def test_the_cli_exits_non_zero_and_prints_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wheels = {k: v for k, v in GOOD_WHEELS.items() if not k.startswith("aiohttp")}
    path = make_zip(tmp_path, wheels=wheels)
    assert check_build.main(["dist", str(path)]) == 1
    out = capsys.readouterr().out
    assert "check_build: ext-linux_x64.zip: client/__init__.py imports 'aiohttp'" in out
    assert check_build.main(["dist", str(make_zip(tmp_path, name="ok.zip"))]) == 0
