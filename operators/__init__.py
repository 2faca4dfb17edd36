"""Operators under ``screenwriter.*``: the buttons of the panel, each a small module."""

from __future__ import annotations

import bpy

from . import insert, jobs, markers, requests, server

__all__ = ["classes", "register", "unregister"]

classes = (*requests.classes, *jobs.classes, *server.classes, *insert.classes, *markers.classes)

register, unregister = bpy.utils.register_classes_factory(classes)
