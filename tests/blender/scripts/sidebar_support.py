"""A stand-in for ``UILayout`` that refuses anything real Blender's RNA does not have.

Panels draw into a ``Recorder`` instead of a real layout (the bpy module draws nothing). Every
call is checked against ``bpy.types.UILayout``'s RNA functions (the method, its keywords, enum
values such as icons and progress types); every property drawn must exist on the data's RNA;
every operator must be registered, and every property set on its button must exist in the
operator's RNA. A mismatch raises, so the scenario fails.
"""

from __future__ import annotations

from contextlib import contextmanager

import bpy

UI = bpy.types.UILayout.bl_rna
CONTAINERS = ("row", "column", "box", "split", "column_flow", "grid_flow")


class RNAMismatch(AssertionError):
    pass


def _operator_rna(idname: str):
    module, name = idname.split(".")
    try:
        return getattr(getattr(bpy.ops, module), name).get_rna_type()
    except (AttributeError, KeyError) as exc:
        raise RNAMismatch(f"no operator {idname}") from exc


def _check_enum(function: str, parameter, value) -> None:
    if parameter.type != "ENUM" or value in ("", None):
        return
    allowed = {item.identifier for item in parameter.enum_items}
    if value not in allowed:
        raise RNAMismatch(
            f"UILayout.{function}: {parameter.identifier}={value!r} is not one of its values"
        )


def _check_property(owner, name: str, where: str) -> None:
    rna = getattr(owner, "bl_rna", None)
    if rna is None or name not in rna.properties:
        raise RNAMismatch(f"{where}: {type(owner).__name__} has no property {name!r}")


class OperatorButton:
    """What ``layout.operator`` returns: setting a property checks it against the operator."""

    def __init__(self, idname: str, record: dict) -> None:
        object.__setattr__(self, "_rna", _operator_rna(idname))
        object.__setattr__(self, "_record", record)

    def __setattr__(self, name: str, value) -> None:
        if name not in self._rna.properties:
            raise RNAMismatch(f"operator {self._record['idname']} has no property {name!r}")
        self._record.setdefault("props", {})[name] = value


class Recorder:
    """Records what a panel draws, checking each call against real Blender's RNA."""

    def __init__(self, calls: list[dict] | None = None, depth: int = 0) -> None:
        object.__setattr__(self, "calls", [] if calls is None else calls)
        object.__setattr__(self, "depth", depth)

    def __setattr__(self, name: str, value) -> None:  # layout.enabled, layout.alert, …
        if name not in UI.properties:
            raise RNAMismatch(f"UILayout has no property {name!r}")
        self.calls.append({"call": f"set {name}", "value": value, "depth": self.depth})

    def __getattr__(self, name: str):
        function = UI.functions.get(name)
        if function is None:
            raise RNAMismatch(f"UILayout has no function {name!r}")
        parameters = [p for p in function.parameters if not p.is_output]

        def call(*args, **kwargs):
            if len(args) > len(parameters):
                raise RNAMismatch(f"UILayout.{name}: too many positional arguments")
            given = dict(zip((p.identifier for p in parameters), args, strict=False))
            for key, value in kwargs.items():
                if key in given:
                    raise RNAMismatch(f"UILayout.{name}: {key} given twice")
                given[key] = value
            by_name = {p.identifier: p for p in parameters}
            for key, value in given.items():
                if key not in by_name:
                    raise RNAMismatch(f"UILayout.{name} has no parameter {key!r}")
                _check_enum(name, by_name[key], value)
            missing = [
                p.identifier for p in parameters if p.is_required and p.identifier not in given
            ]
            if missing:
                raise RNAMismatch(f"UILayout.{name}: missing {missing}")
            record = {"call": name, "depth": self.depth}
            for key in ("text", "icon", "factor", "type", "property", "operator"):
                if key in given and not hasattr(given[key], "bl_rna"):
                    record[key] = given[key]
            if name in ("prop", "prop_search", "prop_enum", "props_enum", "prop_menu_enum"):
                _check_property(given["data"], given["property"], f"UILayout.{name}")
            if name == "prop_search":
                _check_property(given["search_data"], given["search_property"], "prop_search")
            if name == "progress" and not 0.0 <= given.get("factor", 0.0) <= 1.0:
                raise RNAMismatch(f"progress factor {given['factor']} is outside 0..1")
            self.calls.append(record)
            if name in CONTAINERS:
                return Recorder(self.calls, self.depth + 1)
            if name == "operator":
                record["idname"] = given["operator"]
                return OperatorButton(given["operator"], record)
            return None

        return call


class NullLayout:
    """A layout that accepts everything and checks nothing: to time the draw code alone."""

    def __getattr__(self, _name: str):
        return self._call

    def __setattr__(self, _name: str, _value) -> None:
        pass

    def _call(self, *_args, **_kwargs):
        return self


class FakePanel:
    """What a panel's ``draw(self, context)`` reads of ``self``: its layout."""

    def __init__(self, layout: Recorder) -> None:
        self.layout = layout


def editor_areas() -> dict[str, tuple]:
    """One area of each editor our panel lives in, with its sidebar open: space → (window,
    area, sidebar region). The background window's first three areas are turned into them."""
    window = bpy.context.window_manager.windows[0]
    areas = list(window.screen.areas)
    found = {}
    for area, space in zip(areas, ("TEXT_EDITOR", "VIEW_3D", "SEQUENCE_EDITOR"), strict=False):
        area.type = space
        area.spaces.active.show_region_ui = True
        region = next(r for r in area.regions if r.type == "UI")
        found[space] = (window, area, region)
    return found


@contextmanager
def in_editor(place: tuple):
    window, area, region = place
    with bpy.context.temp_override(window=window, area=area, region=region):
        yield bpy.context


def draw(panel_class: type, place: tuple) -> list[dict]:
    """Draw one panel class into a recorder, in the context of ``place``'s sidebar."""
    recorder = Recorder()
    with in_editor(place) as context:
        panel_class.draw(FakePanel(recorder), context)
    return recorder.calls


def draw_seconds(panel_classes: list[type], place: tuple, rounds: int = 200) -> float:
    """Seconds one redraw of these panels takes in their own code (a layout that checks
    nothing stands in, so the recorder's checks are not counted)."""
    import time

    panel = FakePanel(NullLayout())
    with in_editor(place) as context:
        start = time.perf_counter()
        for _ in range(rounds):
            for cls in panel_classes:
                cls.draw(panel, context)
        return (time.perf_counter() - start) / rounds


def poll_message(operator: str, place: tuple | None, **props) -> dict:
    """Whether ``screenwriter.<operator>`` can run where the panel is, and what it says if not.

    Blender puts a failed poll()'s message into the RuntimeError a call raises.
    """
    op = getattr(bpy.ops.screenwriter, operator)
    ctx = in_editor(place) if place is not None else _no_override()
    with ctx:
        if op.poll():
            return {"ok": True, "message": ""}
        try:
            op(**props)
        except RuntimeError as exc:
            return {"ok": False, "message": str(exc)}
    return {"ok": False, "message": "(poll failed, yet the call raised nothing)"}


@contextmanager
def _no_override():
    yield bpy.context
