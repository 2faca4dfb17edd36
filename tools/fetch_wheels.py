"""Download the bundled runtime wheels for every platform and write them into the manifest.

Blender ships neither aiohttp nor jsonschema, so the extension carries them. The versions and
hashes come from requirements/wheels.lock (one lock, universal). For each Blender platform and
each Python a supported Blender runs (3.11 up to Blender 5.0, 3.13 from 5.1 on) this script gets
the binary wheel of every locked distribution whose marker holds there (``pip download
--only-binary=:all: --require-hashes``), copies them into ./wheels/ and rewrites the
``wheels = [...]`` list of blender_manifest.toml. One zip per platform carries both Pythons'
wheels; Blender's installer keeps those of the Python it runs.

Downloads are cached per Python and platform in $CACHE_DIR/extension-wheels/cp3XX/<platform>.
When the cache already holds exactly one wheel per locked distribution, each matching a hash of
the lock, pip is not run at all: a fresh clone on the same machine builds offline, in well
under a second.

    fetch_wheels.py            fetch (or reuse) and rewrite the manifest when it changed
    fetch_wheels.py --check    exit 1 if the manifest's list differs from what the lock resolves
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from packaging.markers import Marker
from packaging.tags import Tag
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "wheels.lock"
MANIFEST = ROOT / "blender_manifest.toml"
WHEELS = ROOT / "wheels"
CACHE = Path(os.environ.get("CACHE_DIR") or Path.home() / ".cache" / "litellm-screenwriter")

# Blender platform -> pip --platform tags. pip expands macOS versions (11_0 accepts 10_9 too)
# and the legacy manylinux aliases, but not PEP 600 tags: list the glibc levels we accept.
# Blender 4.2+ needs glibc 2.28 on Linux, so manylinux_2_28 wheels are safe there.
PLATFORMS: dict[str, tuple[str, ...]] = {
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
}

# The Pythons of the Blender lines the manifest admits -> a full version for the lock's markers:
# 3.11 in Blender 4.2 LTS to 5.0, 3.13 from Blender 5.1 (5.2 LTS) on.
PYTHONS: dict[str, str] = {"3.11": "3.11.9", "3.13": "3.13.0"}


def python_env(python: str) -> dict[str, str]:
    """The marker environment of Blender's CPython ``python`` ("3.13"), platform aside.

    pip download would evaluate markers for the machine it runs on; this is Blender's instead.
    """
    full = PYTHONS[python]
    return {"python_version": python, "python_full_version": full,
            "implementation_name": "cpython", "platform_python_implementation": "CPython",
            "implementation_version": full, "platform_release": "", "platform_version": "",
            "extra": ""}  # fmt: skip


PLATFORM_ENV = {
    "windows-x64": {"sys_platform": "win32", "platform_system": "Windows",
                    "platform_machine": "AMD64", "os_name": "nt"},
    "macos-arm64": {"sys_platform": "darwin", "platform_system": "Darwin",
                    "platform_machine": "arm64", "os_name": "posix"},
    "macos-x64": {"sys_platform": "darwin", "platform_system": "Darwin",
                  "platform_machine": "x86_64", "os_name": "posix"},
    "linux-x64": {"sys_platform": "linux", "platform_system": "Linux",
                  "platform_machine": "x86_64", "os_name": "posix"},
}  # fmt: skip

_WHEELS_BLOCK = re.compile(r"^wheels = \[\n(?:.*\n)*?\]\n", re.MULTILINE)
_REQUIREMENT = re.compile(
    r"^(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*)==(?P<version>[^\s;]+)\s*"
    r"(?:;\s*(?P<marker>.*?))?\s*(?P<hashes>(?:--hash=sha256:[0-9a-f]{64}\s*)*)$"
)


class FetchError(Exception):
    pass


@dataclass
class Locked:
    """One pinned distribution of the lock: ``name==version ; marker`` and its hashes."""

    name: str
    version: str
    marker: str = ""
    hashes: set[str] = field(default_factory=set)

    def applies(self, platform: str, python: str) -> bool:
        return not self.marker or Marker(self.marker).evaluate(
            {**python_env(python), **PLATFORM_ENV[platform]}
        )

    def requirement_line(self) -> str:
        hashes = " ".join(f"--hash=sha256:{h}" for h in sorted(self.hashes))
        return f"{self.name}=={self.version} {hashes}\n"


def read_lock(path: Path = LOCK) -> list[Locked]:
    """The lock's pins, with continuation lines joined (the format uv and pip-compile write)."""
    text = re.sub(r"\\\n", " ", path.read_text())
    entries = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("#", "-")):
            continue
        match = _REQUIREMENT.match(line)
        if not match:
            raise FetchError(f"{path.name}: cannot read the line {line[:70]!r}")
        hashes = set(re.findall(r"[0-9a-f]{64}", match["hashes"]))
        if not hashes:
            raise FetchError(f"{path.name}: {match['name']} has no --hash (the lock must hash)")
        name = canonicalize_name(match["name"])
        entries.append(Locked(name, match["version"], match["marker"] or "", hashes))
    if not entries:
        raise FetchError(f"{path.name}: no pinned distribution")
    return entries


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _tag_runs_on(tag: Tag, python: str) -> bool:
    major, minor = python.split(".")
    if tag.abi == "abi3":  # the stable ABI: built for cp3N, runs on every 3.M with M >= N
        built = tag.interpreter.removeprefix(f"cp{major}")
        return tag.interpreter.startswith("cp") and built.isdigit() and int(built) <= int(minor)
    interpreters = {f"cp{major}{minor}", f"py{major}", f"py{major}{minor}"}
    return tag.interpreter in interpreters and tag.abi in {f"cp{major}{minor}", "none"}


def runs_on(wheel_filename: str, python: str) -> bool:
    """Whether CPython ``python`` ("3.13") can import the wheel (platform tags aside)."""
    _name, _version, _build, tags = parse_wheel_filename(wheel_filename)
    return any(_tag_runs_on(tag, python) for tag in tags)


def cached_wheels(wanted: list[Locked], folder: Path, python: str) -> dict[str, Path] | None:
    """One verified wheel per wanted distribution for ``python`` from ``folder``, else None.

    A file counts when its name and version match the pin, its tags fit that Python and its
    sha256 is one of the lock's hashes for that pin; two candidates for one pin (an ambiguous
    cache) also mean "ask pip".
    """
    candidates: dict[tuple[str, Version], list[Path]] = {}
    for path in folder.glob("*.whl"):
        try:
            name, version, _build, _tags = parse_wheel_filename(path.name)
        except ValueError:
            continue
        if runs_on(path.name, python):
            candidates.setdefault((name, version), []).append(path)
    found: dict[str, Path] = {}
    for pin in wanted:
        files = [f for f in candidates.get((pin.name, Version(pin.version)), []) if f.is_file()]
        verified = [f for f in files if _sha256(f) in pin.hashes]
        if len(verified) != 1:
            return None
        found[pin.name] = verified[0]
    return found


def download(platform: str, python: str, wanted: list[Locked]) -> dict[str, Path]:
    """The wheels for one platform and Python: from the cache when complete, else from pip."""
    abi = "cp" + python.replace(".", "")
    target = CACHE / "extension-wheels" / abi / platform
    target.mkdir(parents=True, exist_ok=True)
    if (found := cached_wheels(wanted, target, python)) is not None:
        return found
    where = f"{platform}, CPython {python}"
    with tempfile.TemporaryDirectory() as tmp:
        requirements = Path(tmp) / f"{platform}-{abi}.txt"
        requirements.write_text("".join(pin.requirement_line() for pin in wanted))
        cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
        cmd += ["--only-binary=:all:", "--no-deps", "--require-hashes", "-r", str(requirements)]
        cmd += ["--python-version", python, "--implementation", "cp", "--abi", abi]
        cmd += ["-d", str(target)]
        for tag in PLATFORMS[platform]:
            cmd += ["--platform", tag]
        print(f"fetch_wheels: downloading {len(wanted)} wheels for {where} into {target}")
        if subprocess.run(cmd).returncode:
            raise FetchError(f"pip could not download the {where} wheels of {LOCK.name}")
    found = cached_wheels(wanted, target, python)
    if found is None:
        # pip succeeded, so each pin has a verified file; more than one means a stale duplicate.
        raise FetchError(f"{target} holds several {where} wheels for one pin: delete that folder")
    return found


def resolve() -> dict[tuple[str, str], dict[str, Path]]:
    """(platform, python) -> {distribution: cached wheel file} for every platform and Python."""
    lock = read_lock()
    return {
        (platform, python): download(
            platform, python, [pin for pin in lock if pin.applies(platform, python)]
        )
        for platform in PLATFORMS
        for python in PYTHONS
    }


def manifest_block(filenames: set[str]) -> str:
    entries = "".join(f'  "./wheels/{name}",\n' for name in sorted(filenames))
    return f"wheels = [\n{entries}]\n"


def rewrite_manifest(text: str, filenames: set[str]) -> str:
    new_text, count = _WHEELS_BLOCK.subn(lambda _m: manifest_block(filenames), text)
    if count != 1:
        raise FetchError(f"{MANIFEST.name} needs exactly one 'wheels = [' block to rewrite")
    return new_text


def sync_wheels_dir(files: dict[str, Path]) -> None:
    """Make ./wheels/ hold exactly ``files`` (name -> cached path), copying what differs."""
    WHEELS.mkdir(exist_ok=True)
    for name, source in files.items():
        dest = WHEELS / name
        if not dest.is_file() or dest.stat().st_size != source.stat().st_size:
            shutil.copy2(source, dest)
    for stale in WHEELS.glob("*.whl"):
        if stale.name not in files:
            stale.unlink()


def main(argv: list[str]) -> int:
    check_only = argv[:1] == ["--check"]
    try:
        per_target = resolve()
        files = {p.name: p for found in per_target.values() for p in found.values()}
        text = MANIFEST.read_text()
        new_text = rewrite_manifest(text, set(files))
    except FetchError as exc:
        print(f"fetch_wheels: {exc}")
        return 1
    if check_only:
        if new_text != text:
            print(f"fetch_wheels: {MANIFEST.name} wheels differ from {LOCK.name}: make wheels")
            return 1
        return 0
    sync_wheels_dir(files)
    if new_text != text:
        MANIFEST.write_text(new_text)
        print(f"fetch_wheels: wrote {len(files)} wheels into {MANIFEST.name} (commit it)")
    counts = ", ".join(f"{p} {py}: {len(found)}" for (p, py), found in per_target.items())
    print(f"fetch_wheels: {len(files)} wheels in wheels/ ({counts})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
