"""Install, what registers, where the bundled wheels import from, disable, enable again.

No network: this is what Blender does with the zip alone.
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
import time

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
             "detect_server", "show_reports")  # fmt: skip


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


def main() -> dict:
    result: dict = {
        "findable_before": {n: importlib.util.find_spec(n) is not None for n in BUNDLED},
    }
    result["install_seconds"] = install()
    result["package_name"] = package().__name__
    result["package_file"] = package().__file__
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
