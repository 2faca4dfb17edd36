"""tools/fetch_wheels.py: the lock it reads, the cache it trusts, the manifest it writes.

No network here: downloads happen in ``make wheels``; these tests use the files in the checkout
and fake wheels in a temporary cache.
"""

from __future__ import annotations

import hashlib
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.utils import canonicalize_name, parse_wheel_filename

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

import check_build  # noqa: E402
import fetch_wheels  # noqa: E402


def test_the_lock_pins_and_hashes_every_runtime_dependency() -> None:
    pins = {pin.name: pin for pin in fetch_wheels.read_lock()}
    declared = {canonicalize_name(r.name) for r in check_build._declared()}
    assert declared == {"aiohttp", "jsonschema", "certifi"}
    assert declared <= set(pins)
    for pin in pins.values():
        assert pin.hashes, pin.name
        assert all(len(h) == 64 for h in pin.hashes), pin.name


def test_markers_are_evaluated_for_blenders_python_on_each_platform(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    lock.write_text(
        "colorama==0.4.6 ; sys_platform == 'win32' \\\n    --hash=sha256:" + "a" * 64 + "\n"
        "    # via click\n"
        "tomli==2.0 ; python_full_version < '3.11' \\\n    --hash=sha256:" + "b" * 64 + "\n"
        "typing-extensions==4.0 ; python_full_version < '3.13' \\\n"
        "    --hash=sha256:" + "c" * 64 + "\n"
    )
    colorama, tomli, typing_extensions = fetch_wheels.read_lock(lock)
    assert (colorama.name, colorama.version, colorama.hashes) == ("colorama", "0.4.6", {"a" * 64})
    for python in ("3.11", "3.13"):
        assert [p for p in fetch_wheels.PLATFORMS if colorama.applies(p, python)] == ["windows-x64"]
        assert not any(tomli.applies(p, python) for p in fetch_wheels.PLATFORMS)
    assert all(typing_extensions.applies(p, "3.11") for p in fetch_wheels.PLATFORMS)
    assert not any(typing_extensions.applies(p, "3.13") for p in fetch_wheels.PLATFORMS)


def test_every_python_of_a_supported_blender_gets_wheels() -> None:
    # Blender 4.2 LTS to 5.0 run Python 3.11; 5.1 and later (5.2 LTS) Python 3.13.
    assert list(fetch_wheels.PYTHONS) == ["3.11", "3.13"]


@pytest.mark.parametrize(
    ("filename", "pythons"),
    [
        ("aiohttp-3.0-cp311-cp311-win_amd64.whl", {"3.11"}),
        ("aiohttp-3.0-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", {"3.13"}),
        ("idna-3.0-py3-none-any.whl", {"3.11", "3.13"}),
        ("x-1.0-cp38-abi3-win_amd64.whl", {"3.11", "3.13"}),
        ("x-1.0-cp312-abi3-win_amd64.whl", {"3.13"}),
        ("x-1.0-cp313-cp313t-win_amd64.whl", set()),  # free-threaded: not Blender's Python
        ("x-1.0-cp312-cp312-win_amd64.whl", set()),
    ],
)
def test_which_python_can_load_a_wheel_is_read_from_its_tags(
    filename: str, pythons: set[str]
) -> None:
    assert {py for py in ("3.11", "3.13") if fetch_wheels.runs_on(filename, py)} == pythons


def test_a_pin_without_hash_is_refused(tmp_path: Path) -> None:
    lock = tmp_path / "x.lock"
    lock.write_text("aiohttp==3.14.5\n")
    with pytest.raises(fetch_wheels.FetchError, match="aiohttp has no --hash"):
        fetch_wheels.read_lock(lock)


def test_the_manifest_lists_each_locked_wheel_once_per_platform_and_python() -> None:
    """The committed manifest matches the lock: every pin for every platform and Python."""
    listed = tomllib.loads((ROOT / "blender_manifest.toml").read_text())["wheels"]
    files = [entry.removeprefix("./wheels/") for entry in listed]
    assert listed == [f"./wheels/{f}" for f in sorted(files)]
    lock = fetch_wheels.read_lock()
    for platform, pattern in check_build.PLATFORM_TAG.items():
        for python in fetch_wheels.PYTHONS:
            pins = {(pin.name, pin.version) for pin in lock if pin.applies(platform, python)}
            found = []
            for filename in files:
                name, version, _build, tags = parse_wheel_filename(filename)
                platforms = {t.platform for t in tags}
                on_platform = platforms == {"any"} or any(pattern.search(p) for p in platforms)
                if on_platform and fetch_wheels.runs_on(filename, python):
                    found.append((name, str(version)))
            # A pure wheel whose marker excludes this Python may still be listed (for the
            # other); every binary wheel that loads here must be a pin of this Python.
            assert pins <= set(found), (platform, python)
            assert len(found) == len(set(found)), (platform, python)
            with_markers = {(p.name, p.version) for p in lock if p.marker}
            assert set(found) - pins <= with_markers, (platform, python)
    assert len(set(files)) == len(files)


def _pin(tmp_path: Path, filename: str, content: bytes) -> fetch_wheels.Locked:
    (tmp_path / filename).write_bytes(content)
    name, version, _b, _t = parse_wheel_filename(filename)
    return fetch_wheels.Locked(name, str(version), "", {hashlib.sha256(content).hexdigest()})


def test_the_cache_is_used_when_it_holds_one_verified_wheel_per_pin(tmp_path: Path) -> None:
    yarl = _pin(tmp_path, "yarl-1.0-cp311-cp311-win_amd64.whl", b"yarl")
    idna = _pin(tmp_path, "idna-3.0-py3-none-any.whl", b"idna")
    found = fetch_wheels.cached_wheels([yarl, idna], tmp_path, "3.11")
    assert found == {
        "yarl": tmp_path / "yarl-1.0-cp311-cp311-win_amd64.whl",
        "idna": tmp_path / "idna-3.0-py3-none-any.whl",
    }


def test_a_tampered_or_missing_cached_wheel_sends_us_to_pip(tmp_path: Path) -> None:
    yarl = _pin(tmp_path, "yarl-1.0-cp311-cp311-win_amd64.whl", b"yarl")
    (tmp_path / "yarl-1.0-cp311-cp311-win_amd64.whl").write_bytes(b"evil")
    assert fetch_wheels.cached_wheels([yarl], tmp_path, "3.11") is None
    gone = fetch_wheels.Locked("idna", "3.0", "", {"0" * 64})
    assert fetch_wheels.cached_wheels([gone], tmp_path, "3.11") is None


def test_only_wheels_the_python_can_load_count(tmp_path: Path) -> None:
    old = _pin(tmp_path, "yarl-1.0-cp311-cp311-win_amd64.whl", b"311")
    new = _pin(tmp_path, "yarl-1.0-cp313-cp313-win_amd64.whl", b"313")
    pin = fetch_wheels.Locked("yarl", "1.0", "", old.hashes | new.hashes)
    assert fetch_wheels.cached_wheels([pin], tmp_path, "3.13") == {
        "yarl": tmp_path / "yarl-1.0-cp313-cp313-win_amd64.whl"
    }
    (tmp_path / "yarl-1.0-cp313-cp313-win_amd64.whl").unlink()
    assert fetch_wheels.cached_wheels([pin], tmp_path, "3.13") is None


def test_two_verified_candidates_for_one_pin_send_us_to_pip(tmp_path: Path) -> None:
    a = _pin(tmp_path, "yarl-1.0-cp311-cp311-manylinux2014_x86_64.whl", b"a")
    b = _pin(tmp_path, "yarl-1.0-cp311-cp311-manylinux_2_28_x86_64.whl", b"b")
    both = fetch_wheels.Locked("yarl", "1.0", "", a.hashes | b.hashes)
    assert fetch_wheels.cached_wheels([both], tmp_path, "3.11") is None


def test_rewriting_the_manifest_touches_only_the_wheels_block() -> None:
    text = (ROOT / "blender_manifest.toml").read_text()
    new = fetch_wheels.rewrite_manifest(text, {"b-1-py3-none-any.whl", "a-1-py3-none-any.whl"})
    data = tomllib.loads(new)
    assert data["wheels"] == ["./wheels/a-1-py3-none-any.whl", "./wheels/b-1-py3-none-any.whl"]
    old = tomllib.loads(text)
    assert {k: v for k, v in data.items() if k != "wheels"} == {
        k: v for k, v in old.items() if k != "wheels"
    }
    current = {entry.removeprefix("./wheels/") for entry in old["wheels"]}
    assert fetch_wheels.rewrite_manifest(text, current) == text
