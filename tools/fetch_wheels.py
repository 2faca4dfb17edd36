"""Download the bundled runtime wheels for every platform and write them into the manifest.

Blender ships neither aiohttp nor jsonschema, so the extension carries them. The versions and
hashes come from requirements/wheels.lock (one lock, universal); this script downloads the
CPython 3.11 binary wheel of each for each platform, copies them into ./wheels/ and rewrites the
``wheels = [...]`` list of blender_manifest.toml. Downloads are cached outside git.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "wheels.lock"
MANIFEST = ROOT / "blender_manifest.toml"
WHEELS = ROOT / "wheels"
CACHE = Path(os.environ.get("CACHE_DIR", Path.home() / ".cache" / "litellm-screenwriter"))

# Blender platform -> pip --platform tags, newest first (pip does not expand manylinux tags).
PLATFORMS: dict[str, tuple[str, ...]] = {
    "windows-x64": ("win_amd64",),
    "macos-arm64": ("macosx_11_0_arm64",),
    "macos-x64": ("macosx_11_0_x86_64",),
    "linux-x64": ("manylinux_2_28_x86_64", "manylinux_2_17_x86_64", "manylinux2014_x86_64"),
}

_WHEELS_BLOCK = re.compile(r"^wheels = \[\n(?:.*\n)*?\]\n", re.MULTILINE)


def download(platform: str, tags: tuple[str, ...]) -> list[Path]:
    """Fetch every locked distribution as a wheel for one platform (hash-checked by pip)."""
    target = CACHE / "extension-wheels" / platform
    target.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--quiet", "--disable-pip-version-check"]
    cmd += ["--only-binary=:all:", "--no-deps", "--require-hashes", "-r", str(LOCK)]
    cmd += ["--python-version", "3.11", "--implementation", "cp", "--abi", "cp311"]
    cmd += ["-d", str(target)]
    for tag in tags:
        cmd += ["--platform", tag]
    subprocess.run(cmd, check=True)
    return sorted(target.glob("*.whl"))


def locked_names() -> set[str]:
    names = set()
    for line in LOCK.read_text().splitlines():
        if match := re.match(r"^([A-Za-z0-9_.-]+)==", line):
            names.add(_normalize(match.group(1)))
    return names


def _normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def main() -> int:
    wanted = locked_names()
    chosen: set[str] = set()
    for platform, tags in PLATFORMS.items():
        files = download(platform, tags)
        # The cache may hold older versions from an earlier lock: keep only locked ones.
        lock_text = LOCK.read_text()
        files = [f for f in files if _locked_file(f.name, lock_text)]
        missing = wanted - {_normalize(f.name.split("-")[0]) for f in files}
        if missing:
            print(f"fetch_wheels: no {platform} wheel for: {', '.join(sorted(missing))}")
            return 1
        chosen.update(f.name for f in files)
        WHEELS.mkdir(exist_ok=True)
        for f in files:
            if not (WHEELS / f.name).exists():
                shutil.copy2(f, WHEELS / f.name)
    for stale in WHEELS.glob("*.whl"):
        if stale.name not in chosen:
            stale.unlink()
    entries = "".join(f'  "./wheels/{name}",\n' for name in sorted(chosen))
    text = MANIFEST.read_text()
    new_text, count = _WHEELS_BLOCK.subn(lambda _m: f"wheels = [\n{entries}]\n", text)
    if count != 1:
        print(f"fetch_wheels: {MANIFEST.name} has no 'wheels = [' block to rewrite")
        return 1
    if new_text != text:
        MANIFEST.write_text(new_text)
        print(f"fetch_wheels: wrote {len(chosen)} wheels into {MANIFEST.name}")
    return 0


def _locked_file(filename: str, lock_text: str) -> bool:
    name, version = filename.split("-")[:2]
    pattern = rf"^{re.sub(r'[-_.]+', '[-_.]', name)}=={re.escape(version)}\b"
    return re.search(pattern, lock_text, re.MULTILINE | re.IGNORECASE) is not None


if __name__ == "__main__":
    sys.exit(main())
