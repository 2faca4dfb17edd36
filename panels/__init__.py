"""Panels of the "Screenwriter" sidebar tab."""

from __future__ import annotations

import bpy

from . import sidebar

__all__ = ["classes", "register", "unregister"]

classes = (*sidebar.classes,)

register, unregister = bpy.utils.register_classes_factory(classes)
