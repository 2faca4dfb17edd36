"""The prompt templates: one text file per request type in ``templates/``, which a writer can
override by putting a file of the same name in their own folder.

A template is plain text with ``$name`` placeholders (``string.Template``; ``$$`` is a dollar
sign). Placeholders a template does not use are ignored, and an unknown one stays as written,
so an edited template never breaks a request. The placeholders each request fills in:

- every type: ``$scene_label`` (``12. INT. LAMP ROOM - NIGHT``), ``$scene_number``,
  ``$cursor_line``, ``$question`` (the writer's prompt, empty when none), ``$title``;
- analysis: ``$part_note``, ``$scene_numbers``, ``$schema_note``.

``system.txt`` is the system prompt every type shares. The Blender side passes
``<Blender user config>/litellm_screenwriter/templates`` as the override folder; the command
line takes ``--templates DIR``.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path

__all__ = ["BUILTIN_DIR", "TEMPLATE_NAMES", "load_template", "render_template"]

BUILTIN_DIR = Path(__file__).resolve().parent / "templates"
TEMPLATE_NAMES = ("system", "analysis", "dialogue", "description", "suggestions", "ask")


def load_template(name: str, user_dir: str | Path | None = None) -> str:
    """The text of template ``name``: ``<user_dir>/<name>.txt`` when that file exists and is
    readable UTF-8, else the built-in one."""
    if name not in TEMPLATE_NAMES:
        raise ValueError(f"no template {name!r} (templates: {', '.join(TEMPLATE_NAMES)})")
    if user_dir:
        try:
            return (Path(user_dir) / f"{name}.txt").read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            pass
    return (BUILTIN_DIR / f"{name}.txt").read_text("utf-8")


def render_template(
    name: str, values: Mapping[str, object], user_dir: str | Path | None = None
) -> str:
    """Template ``name`` with its placeholders filled from ``values``; blank lines left by
    empty values at the end are dropped."""
    text = string.Template(load_template(name, user_dir)).safe_substitute(
        {key: str(value) for key, value in values.items()}
    )
    return text.strip()
