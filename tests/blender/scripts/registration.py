"""Install, what registers, where the bundled wheels import from, disable, enable again.

No network: this is what Blender does with the zip alone.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import sys
import time
from pathlib import Path

import bpy
from harness import (
    MODULE,
    disable,
    enable,
    extension_classes,
    install,
    leftovers,
    package,
    prefs,
    run,
)

# What the extension's wheels bring: the two it imports and what those need.
BUNDLED = ("aiohttp", "jsonschema", "certifi", "yarl", "multidict", "frozenlist", "propcache",
           "aiosignal", "aiohappyeyeballs", "attr", "referencing", "jsonschema_specifications",
           "rpds", "idna", "typing_extensions")  # fmt: skip
# The operators of the design; the test decides which must exist.
OPERATORS = ("analyze_script", "generate_dialogue", "describe_scene", "suggest_ideas", "ask",
             "cancel", "new_conversation", "refresh_models", "test_connection",
             "detect_server", "show_reports", "scene_markers", "insert_answer")  # fmt: skip


def registration(classes: list[type]) -> dict:
    """What Blender has registered for the extension right now."""
    operators = []
    for name in OPERATORS:
        try:
            getattr(bpy.ops.screenwriter, name).get_rna_type()
        except KeyError:
            continue
        operators.append(name)
    preferences = prefs()
    pref_type = type(preferences)
    panels = {
        cls.__name__: {
            "space": cls.bl_space_type,
            "region": cls.bl_region_type,
            "category": getattr(cls, "bl_category", ""),
            "parent": getattr(cls, "bl_parent_id", ""),
        }
        for cls in classes
        if issubclass(cls, bpy.types.Panel) and cls.is_registered
    }
    bridge = package("bridge")
    return {
        "operators": operators,
        "operator_classes": sorted(
            c.__name__ for c in classes if issubclass(c, bpy.types.Operator) and c.is_registered
        ),
        "unregistered_classes": sorted(c.__name__ for c in classes if not c.is_registered),
        "preferences": {
            "type": pref_type.__name__,
            "bl_idname": pref_type.bl_idname,
            "properties": sorted(p.identifier for p in pref_type.bl_rna.properties),
            "api_key_subtype": pref_type.bl_rna.properties["api_key"].subtype,
        },
        "panels": panels,
        "timer": bpy.app.timers.is_registered(bridge.pump),
        "handlers": leftovers(classes)["handlers"],
        "scene_property": hasattr(bpy.types.Scene, "screenwriter"),
    }


def icons_used(folder: Path) -> set[str]:
    """The icon names the extension's code can pass as ``icon=``, read from its source.

    A literal counts, and so does every upper-case string assigned to a name the ``icon=``
    expression reads (``_STATE_ICONS.get(state, "DOT")``, ``icon = {...}.get(...)``). Panels do
    not draw in the bpy module, so this is how an icon a Blender release removed is caught.
    """
    found: set[str] = set()
    for path in folder.rglob("*.py"):
        if "wheels" in path.relative_to(folder).parts:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        assigned: dict[str, list[ast.expr]] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned.setdefault(target.id, []).append(node.value)
        values = [
            kw.value for node in ast.walk(tree) if isinstance(node, ast.Call)
            for kw in node.keywords if kw.arg == "icon"
        ]  # fmt: skip
        names = {n.id for v in values for n in ast.walk(v) if isinstance(n, ast.Name)}
        values += [value for name in names for value in assigned.get(name, [])]
        for value in values:
            for node in ast.walk(value):
                constant = isinstance(node, ast.Constant) and isinstance(node.value, str)
                if constant and re.fullmatch(r"[A-Z][A-Z0-9_]*", node.value):
                    found.add(node.value)
    return found


def main() -> dict:
    result: dict = {
        "findable_before": {n: importlib.util.find_spec(n) is not None for n in BUNDLED},
    }
    result["install_seconds"] = install()
    result["package_name"] = package().__name__
    result["package_file"] = package().__file__
    known = bpy.types.UILayout.bl_rna.functions["label"].parameters["icon"].enum_items.keys()
    used = icons_used(Path(package().__file__).parent)
    result["icons"] = {"used": sorted(used), "unknown": sorted(used - set(known))}
    result["aiohttp_imported_by_enable"] = "aiohttp" in sys.modules
    classes = extension_classes()
    result["classes"] = [c.__name__ for c in classes]
    result["registered"] = registration(classes)

    # The client layer as the extension loads it: aiohttp and jsonschema from its wheels.
    client = importlib.import_module(f"{MODULE}.client")
    result["client_has"] = sorted(
        n for n in ("LiteLLMClient", "ClientConfig") if hasattr(client, n)
    )
    modules = {name: importlib.import_module(name) for name in BUNDLED}
    result["module_files"] = {name: m.__file__ for name, m in modules.items()}
    result["site_packages_on_path"] = [p for p in sys.path if p.endswith("site-packages")]

    disable()
    result["after_disable"] = leftovers(classes)
    result["enabled_after_disable"] = MODULE in bpy.context.preferences.addons

    enable()
    result["reenabled"] = registration(classes)
    disable()
    result["after_second_disable"] = leftovers(classes)

    # register() alone, as Blender start-up pays it (submodules already imported).
    enable()
    pkg = package()
    timings = []
    for _ in range(5):
        pkg.unregister()
        start = time.perf_counter()
        pkg.register()
        timings.append(time.perf_counter() - start)
    result["register_seconds"] = sorted(timings)[len(timings) // 2]
    disable()
    result["final"] = leftovers(classes)
    return result


run(main)
