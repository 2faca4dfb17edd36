"""Every public name of the library layers has its own docstring: the API reference that
``make docs`` generates (pdoc) is made from them, so a missing one is a hole in the docs."""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LIBRARY_MODULES = [
    name
    for name in ("client", "worker", "screenplay")
    if (ROOT / name).is_dir() or (ROOT / f"{name}.py").is_file()
]


def _own_doc(obj: object) -> str:
    """The docstring written for ``obj`` itself: not inherited, not a dataclass's generated one."""
    doc = obj.__dict__.get("__doc__") if isinstance(obj, type) else getattr(obj, "__doc__", None)
    doc = (doc or "").strip()
    if (
        isinstance(obj, type)
        and dataclasses.is_dataclass(obj)
        and doc.startswith(obj.__name__ + "(")
    ):
        return ""  # dataclasses write "Name(field: type, ...)" when the class has no docstring
    return doc


def _public_names() -> list[tuple[str, str]]:
    found = []
    for module_name in LIBRARY_MODULES:
        module = importlib.import_module(f"litellm_screenwriter.{module_name}")
        assert (module.__doc__ or "").strip(), f"{module_name} has no module docstring"
        names = getattr(module, "__all__", None)
        assert names, f"litellm_screenwriter.{module_name} has no __all__"
        found += [(module_name, name) for name in names]
    return found


def _members(cls: type) -> list[str]:
    """Public methods and properties the class defines itself (inherited ones are documented
    where they are defined)."""
    members = []
    for name, value in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(value, (staticmethod, classmethod)):
            value = value.__func__
        if inspect.isfunction(value) or isinstance(value, property):
            members.append(name)
    return members


PUBLIC = _public_names()


def test_the_library_modules_are_found():
    assert {"client", "worker"} <= set(LIBRARY_MODULES)
    assert len(PUBLIC) >= 25


@pytest.mark.parametrize(("module_name", "name"), PUBLIC, ids=lambda v: v)
def test_public_name_has_a_docstring(module_name: str, name: str):
    module = importlib.import_module(f"litellm_screenwriter.{module_name}")
    obj = getattr(module, name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # a constant: documented in the module docstring or beside it
    assert _own_doc(obj), f"litellm_screenwriter.{module_name}.{name} has no docstring"
    if inspect.isclass(obj):
        # An override may inherit the docstring of what it overrides (pdoc shows that one).
        missing = [m for m in _members(obj) if not inspect.getdoc(vars(obj)[m])]
        assert not missing, f"{module_name}.{name}: no docstring on {', '.join(missing)}"
