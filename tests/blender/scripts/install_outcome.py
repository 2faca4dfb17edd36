"""Install the zip in $LSW_ZIP and report what Blender made of it, a refusal included.

Unlike ``harness.install``, a refused install is an outcome here, not a failure: the test
compares it with what tools/check_build.py says about the same zip.
"""

from __future__ import annotations

import importlib
import os

import bpy
from harness import MODULE, REPO, disable, run


def main() -> dict:
    import addon_utils  # importable only once bpy is

    outcome: dict = {"error": None, "aiohttp_file": None}
    try:
        result = bpy.ops.extensions.package_install_files(
            filepath=os.environ["LSW_ZIP"], repo=REPO, enable_on_install=True
        )
        outcome["result"] = sorted(result)
    except RuntimeError as exc:  # how the operator reports an incompatible extension
        outcome["result"] = None
        outcome["error"] = str(exc)
    loaded_default, loaded_state = addon_utils.check(MODULE)
    outcome["enabled"] = bool(loaded_default and loaded_state)
    if outcome["enabled"]:
        importlib.import_module(f"{MODULE}.client")
        outcome["aiohttp_file"] = importlib.import_module("aiohttp").__file__
        disable()
    return outcome


run(main)
