"""tools/check_build.py refuses a zip that would raise ModuleNotFoundError, naming the file.

The zips here are small fakes shaped like Blender's ``build --split-platforms`` output: a manifest
with a ``[build.generated]`` table, the extension's .py files and ``wheels/*.whl`` whose METADATA
declares their distribution and Requires-Dist. A complete one carries the binary wheels for both
Pythons a supported Blender runs (3.11 up to 5.0, 3.13 from 5.1 on).
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
LINUX_313 = "cp313-cp313-manylinux_2_17_x86_64"
WINDOWS = "cp311-cp311-win_amd64"


def wheel(name: str, version: str, tag: str, module: str, requires: tuple[str, ...] = ()) -> bytes:
    meta = [f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"]
    meta += [f"Requires-Dist: {r}\n" for r in requires]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as whl:
        whl.writestr(f"{module}/__init__.py", "")
        whl.writestr(f"{name}-{version}.dist-info/METADATA", "".join(meta))
    return buffer.getvalue()


AIOHTTP_REQUIRES = (
    "yarl>=1",
    "colorama; sys_platform == 'win32'",
    "brotli; extra == 'speedups'",
    "typing-extensions; python_version < '3.13'",
)
GOOD_WHEELS = {
    f"aiohttp-3.0-{LINUX}.whl": wheel("aiohttp", "3.0", LINUX, "aiohttp", AIOHTTP_REQUIRES),
    f"aiohttp-3.0-{LINUX_313}.whl": wheel("aiohttp", "3.0", LINUX_313, "aiohttp",
                                          AIOHTTP_REQUIRES),
    f"yarl-1.0-{LINUX}.whl": wheel("yarl", "1.0", LINUX, "yarl"),
    f"yarl-1.0-{LINUX_313}.whl": wheel("yarl", "1.0", LINUX_313, "yarl"),
    "jsonschema-4.0-py3-none-any.whl": wheel("jsonschema", "4.0", "py3-none-any", "jsonschema"),
    "typing_extensions-4.0-py3-none-any.whl": wheel(
        "typing-extensions", "4.0", "py3-none-any", "typing_extensions"
    ),
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


def without(*prefixes: str) -> dict[str, bytes]:
    return {k: v for k, v in GOOD_WHEELS.items() if not k.startswith(prefixes)}


def test_a_missing_wheel_for_an_import_names_the_zip_the_python_the_file_and_the_module(
    tmp_path: Path,
) -> None:
    errors = check_build.check_zip(make_zip(tmp_path, wheels=without("jsonschema")))
    assert errors == [
        f"ext-linux_x64.zip: Python {python}: client/validation.py imports 'jsonschema' "
        "but no wheel provides it"
        for python in ("3.11", "3.13")
    ]


def test_a_zip_with_only_python_311_binary_wheels_fails_for_python_313(tmp_path: Path) -> None:
    """The zip Blender 5.2 refused ("This Python version (3.13) isn't compatible")."""
    errors = check_build.check_zip(make_zip(tmp_path, wheels=without(*(
        f"{dist}-{version}-cp313" for dist, version in (("aiohttp", "3.0"), ("yarl", "1.0"))
    ))))  # fmt: skip
    assert errors == [
        "ext-linux_x64.zip: Python 3.13: client/__init__.py imports 'aiohttp' "
        "but no wheel provides it"
    ]


def test_a_missing_dependency_of_a_bundled_wheel_is_named_with_its_python(
    tmp_path: Path,
) -> None:
    errors = check_build.check_zip(make_zip(tmp_path, wheels=without(f"yarl-1.0-{LINUX_313}")))
    assert errors == [
        "ext-linux_x64.zip: Python 3.13: no wheel for 'yarl' "
        f"(required by aiohttp-3.0-{LINUX_313}.whl)"
    ]


def test_a_dependency_is_required_only_by_the_python_its_marker_holds_for(
    tmp_path: Path,
) -> None:
    errors = check_build.check_zip(make_zip(tmp_path, wheels=without("typing_extensions")))
    assert errors == [
        "ext-linux_x64.zip: Python 3.11: no wheel for 'typing-extensions' "
        f"(required by aiohttp-3.0-{LINUX}.whl)"
    ]


def test_a_stable_abi_wheel_serves_every_python_from_its_own_on(tmp_path: Path) -> None:
    abi3 = "cp38-abi3-manylinux_2_17_x86_64"
    wheels = {**without("yarl"), f"yarl-1.0-{abi3}.whl": GOOD_WHEELS[f"yarl-1.0-{LINUX}.whl"]}
    assert check_build.check_zip(make_zip(tmp_path, wheels=wheels)) == []


def test_a_wheel_for_no_supported_python_is_named(tmp_path: Path) -> None:
    stray = "yarl-1.0-cp312-cp312-manylinux_2_17_x86_64.whl"
    wheels = {**GOOD_WHEELS, stray: GOOD_WHEELS[f"yarl-1.0-{LINUX}.whl"]}
    errors = check_build.check_zip(make_zip(tmp_path, wheels=wheels))
    assert errors == [f"ext-linux_x64.zip: wheel {stray} is for none of Python 3.11, 3.13"]


def test_a_dependency_whose_marker_holds_on_the_platform_is_required(tmp_path: Path) -> None:
    win_wheels = {
        name.replace("manylinux_2_17_x86_64", "win_amd64"): data
        for name, data in GOOD_WHEELS.items()
    }
    path = make_zip(tmp_path, platform="windows-x64", wheels=win_wheels, name="w.zip")
    assert check_build.check_zip(path) == [
        f"w.zip: Python {python}: no wheel for 'colorama' "
        f"(required by aiohttp-3.0-cp{python.replace('.', '')}-cp{python.replace('.', '')}"
        "-win_amd64.whl)"
        for python in ("3.11", "3.13")
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
        f"ext-linux_x64.zip: Python {python}: no wheel for 'certifi' "
        "(declared in requirements/wheels.in)"
        for python in ("3.11", "3.13")
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
    path = make_zip(tmp_path, wheels=without(f"aiohttp-3.0-{LINUX_313}"))
    assert check_build.main(["dist", str(path)]) == 1
    out = capsys.readouterr().out
    expected = "check_build: ext-linux_x64.zip: Python 3.13: client/__init__.py imports 'aiohttp'"
    assert expected in out
    assert check_build.main(["dist", str(make_zip(tmp_path, name="ok.zip"))]) == 0
