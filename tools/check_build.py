"""Fail the build when an extension zip could raise ModuleNotFoundError after install.

Two checks, each naming the file at fault:
- ``manifest``: every wheel the manifest lists exists on disk.
- ``dist``: for each platform zip, every wheel its manifest lists is inside it; for each Python
  a supported Blender runs (fetch_wheels.PYTHONS: 3.11 and 3.13), the third-party modules the
  extension's own code imports, what requirements/wheels.in declares, and every dependency of
  theirs (Requires-Dist, markers evaluated for that platform and Python) are provided by a wheel
  inside that zip that this Python can load (as Blender's installer picks them, by tag); and no
  wheel in it belongs to another platform or to none of those Pythons.
"""

from __future__ import annotations

import ast
import io
import re
import sys
import tomllib
import zipfile
from email.parser import Parser
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fetch_wheels import PLATFORM_ENV, PYTHONS, python_env, runs_on  # one table for both tools

ROOT = Path(__file__).resolve().parents[1]

# Modules that Blender itself provides to add-ons.
BLENDER_MODULES = {
    "bpy", "bpy_extras", "bpy_types", "_bpy", "mathutils", "bmesh", "bgl", "blf", "gpu",
    "gpu_extras", "aud", "idprop", "imbuf", "freestyle", "bl_math", "bl_ui", "bl_operators",
    "addon_utils", "rna_prop_ui", "bl_app_template_utils", "bl_keymap_utils",
}  # fmt: skip

PLATFORM_TAG = {
    "windows-x64": re.compile(r"win_amd64"),
    "macos-arm64": re.compile(r"macosx_\d+_\d+_(arm64|universal2)"),
    "macos-x64": re.compile(r"macosx_\d+_\d+_(x86_64|universal2|intel)"),
    "linux-x64": re.compile(r"(manylinux|musllinux)\w*_x86_64|linux_x86_64"),
}


class Wheel:
    """What a wheel inside a zip provides (distribution, top-level modules) and requires."""

    def __init__(self, name: str, data: bytes) -> None:
        self.filename = name.rsplit("/", 1)[-1]
        with zipfile.ZipFile(io.BytesIO(data)) as wheel:
            names = wheel.namelist()
            meta_path = next(n for n in names if n.endswith(".dist-info/METADATA"))
            meta = Parser().parsestr(wheel.read(meta_path).decode())
        self.dist = canonicalize_name(meta["Name"])
        self.requires = [Requirement(r) for r in meta.get_all("Requires-Dist") or []]
        self.modules = {n.split("/")[0].removesuffix(".py") for n in names if ".dist-info" not in n}
        self.platform_tag = self.filename.removesuffix(".whl").split("-")[-1]


def imported_modules(sources: dict[str, str]) -> dict[str, str]:
    """Third-party top-level modules imported by the extension's code -> first file importing."""
    found: dict[str, str] = {}
    for path, text in sorted(sources.items()):
        for node in ast.walk(ast.parse(text, path)):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top in sys.stdlib_module_names or top in BLENDER_MODULES or top == "__future__":
                    continue
                found.setdefault(top, path)
    return found


def check_zip(path: Path) -> list[str]:
    """Every reason this platform zip could fail to import in a supported Blender, or []."""
    errors: list[str] = []
    with zipfile.ZipFile(path) as archive:
        manifest = tomllib.loads(archive.read("blender_manifest.toml").decode())
        generated = manifest.get("build", {}).get("generated", {})
        platforms = generated.get("platforms") or []
        if len(platforms) != 1 or platforms[0] not in PLATFORM_ENV:
            return [f"{path.name}: not a single-platform build (platforms={platforms})"]
        platform = platforms[0]
        names = set(archive.namelist())
        wheels = [Wheel(n, archive.read(n)) for n in sorted(names) if n.endswith(".whl")]
        # Blender installs the list the build generated for this platform, if there is one.
        for entry in generated.get("wheels", manifest.get("wheels", [])):
            if entry.removeprefix("./") not in names:
                errors.append(f"{path.name}: its manifest lists {entry} but the zip lacks it")
        sources = {
            n: archive.read(n).decode()
            for n in archive.namelist()
            if n.endswith(".py") and not n.startswith("wheels/")
        }
    for wheel in wheels:
        if wheel.platform_tag != "any" and not PLATFORM_TAG[platform].search(wheel.platform_tag):
            errors.append(f"{path.name}: wheel {wheel.filename} is not for {platform}")
        if not any(runs_on(wheel.filename, python) for python in PYTHONS):
            errors.append(
                f"{path.name}: wheel {wheel.filename} is for none of Python {', '.join(PYTHONS)}"
            )
    imports = imported_modules(sources)
    for python in PYTHONS:
        loadable = [w for w in wheels if runs_on(w.filename, python)]
        env = {**python_env(python), **PLATFORM_ENV[platform]}
        errors += [
            f"{path.name}: Python {python}: {problem}"
            for problem in _missing(loadable, imports, env)
        ]
    return errors


def _missing(wheels: list[Wheel], imports: dict[str, str], env: dict[str, str]) -> list[str]:
    """What the imports and the declared requirements need that ``wheels`` do not provide."""
    problems: list[str] = []
    by_dist = {w.dist: w for w in wheels}
    by_module = {m: w for w in wheels for m in w.modules}
    # Roots: what the code imports, plus what requirements/wheels.in declares (lazy imports too).
    todo = [(canonicalize_name(r.name), "declared in requirements/wheels.in") for r in _declared()]
    for module, importer in imports.items():
        if module not in by_module:
            problems.append(f"{importer} imports '{module}' but no wheel provides it")
        else:
            todo.append((by_module[module].dist, f"imported by {importer}"))
    seen: set[str] = set()
    while todo:
        dist, why = todo.pop()
        if dist in seen:
            continue
        seen.add(dist)
        wheel = by_dist.get(dist)
        if wheel is None:
            problems.append(f"no wheel for '{dist}' ({why})")
            continue
        for req in wheel.requires:
            if req.marker is None or Marker(str(req.marker)).evaluate(env):
                todo.append((canonicalize_name(req.name), f"required by {wheel.filename}"))
    return problems


def _declared() -> list[Requirement]:
    lines = (ROOT / "requirements" / "wheels.in").read_text().splitlines()
    return [Requirement(line) for line in (x.split("#")[0].strip() for x in lines) if line]


def check_manifest(manifest_path: Path) -> list[str]:
    manifest = tomllib.loads(manifest_path.read_text())
    return [
        f"{manifest_path.name}: listed wheel {entry} does not exist (run: make wheels)"
        for entry in manifest.get("wheels", [])
        if not (manifest_path.parent / entry).is_file()
    ]


def main(argv: list[str]) -> int:
    if argv[:1] == ["manifest"]:
        errors = check_manifest(ROOT / "blender_manifest.toml")
    elif argv[:1] == ["dist"] and len(argv) > 1:
        zips = [Path(p) for p in argv[1:]]
        errors = [e for z in zips for e in check_zip(z)]
        if not errors:
            pythons = ", ".join(PYTHONS)
            print(f"check_build: {len(zips)} zips carry every wheel their imports need, "
                  f"for Python {pythons}")  # fmt: skip
    else:
        print("usage: check_build.py manifest | dist ZIP...")
        return 2
    for error in errors:
        print(f"check_build: {error}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
