"""Make the repository root importable as the package ``litellm_screenwriter``.

The repository *is* the extension (Blender loads it as ``bl_ext.<repo>.litellm_screenwriter``),
so tests alias the checkout, whatever its folder is called, to the pinned package name.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

from hypothesis import settings

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # so ``tests.support`` imports however pytest was started
    sys.path.insert(0, str(ROOT))

pytest_plugins = ["tests.support.fixtures"]

# Property tests explore new examples on every local run; in CI they replay a fixed set, so a
# submission cannot fail on a draw (what a local run finds is turned into a plain test).
settings.register_profile("ci", derandomize=True, deadline=None, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def _alias_package() -> None:
    if "litellm_screenwriter" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "litellm_screenwriter", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["litellm_screenwriter"] = module
    spec.loader.exec_module(module)


_alias_package()
