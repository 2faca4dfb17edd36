"""The request buttons, made from the request-type declarations (``request_types.py``).

Each operator greys itself out with the reason (``poll()`` with ``poll_message_set``) when it
cannot work: no screenplay, no model, online access off for a server elsewhere, or an answer
still streaming into its output. ``execute()`` checks the same again, and what ``poll()`` cannot
see (the ``source`` and ``prompt`` properties a script passes), because scripts call operators
directly. It returns at once; the answer streams into the type's own Text datablock.
"""

from __future__ import annotations

import bpy
from bpy.props import BoolProperty, StringProperty

from .. import analysis_run, bridge, job_state, screen
from ..grounding import DeferredMessages, request_input, screenplay_text, templates_folder
from ..preferences import get_preferences
from ..properties import conversation_data, scene_settings
from ..request_types import REQUEST_TYPES, RequestType

__all__ = ["classes", "find_source_text", "from_a_panel", "refusal"]


def find_source_text(context: bpy.types.Context, name: str) -> bpy.types.Text | None:
    """The named text, else the one open in this Text Editor, else the scene's screenplay."""
    if name:
        return bpy.data.texts.get(name)
    space = context.space_data
    text = space.text if space is not None and space.type == "TEXT_EDITOR" else None
    if text is not None and not text.name.startswith("Screenwriter"):
        return text
    settings = scene_settings(context)
    if settings.source:
        return bpy.data.texts.get(settings.source)
    return None


def from_a_panel(context: bpy.types.Context) -> bool:
    """The call comes from an editor our panel lives in (a button), not from a script."""
    area = context.area
    return area is not None and area.type in screen.PANEL_SPACES


def refusal(
    rtype: RequestType, context: bpy.types.Context, source: str = "", prompt: str = ""
) -> str | None:
    """Why a ``rtype`` request cannot be sent now (None when it can): the sentence both the
    greyed-out button's tooltip and the operator's refusal say."""
    if context.scene is None:
        return "No scene to keep the conversation in."
    if find_source_text(context, source) is None:
        if source:
            return (
                f"No text named '{source}': open your screenplay in the Text Editor, or pick "
                "it in the Screenwriter panel."
            )
        return (
            "No screenplay found: open your screenplay in the Text Editor, or pick it in the "
            "Screenwriter panel."
        )
    if rtype.needs_prompt and not (prompt or scene_settings(context).prompt).strip():
        return "Type your question in the Prompt field first."
    return _context_free_refusal(rtype, context)


class _RequestOperator(bpy.types.Operator):
    bl_options = {"REGISTER"}
    request_kind = "ask"

    source: StringProperty(
        name="Screenplay",
        description="Name of the Text datablock holding the screenplay (empty: the active one)",
        options={"SKIP_SAVE"},
    )
    prompt: StringProperty(
        name="Prompt", description="Extra instructions or the question", options={"SKIP_SAVE"}
    )
    new_conversation: BoolProperty(
        name="New Conversation",
        description="Start a fresh conversation instead of continuing the current one",
        options={"SKIP_SAVE"},
    )

    @classmethod
    def poll(cls, context: bpy.types.Context) -> bool:
        rtype = REQUEST_TYPES[cls.request_kind]
        if not from_a_panel(context):
            # A script: the screenplay and the prompt may come as properties poll() cannot
            # see, so only what does not depend on them is judged here.
            problem = _context_free_refusal(rtype, context)
        else:
            problem = refusal(rtype, context)
        if problem:
            cls.poll_message_set(problem)
            return False
        return True

    @classmethod
    def description(cls, _context: bpy.types.Context, _props: object) -> str:
        return REQUEST_TYPES[cls.request_kind].description

    def execute(self, context: bpy.types.Context) -> set[str]:
        from ..worker import Request

        rtype = REQUEST_TYPES[self.request_kind]
        problem = refusal(rtype, context, self.source, self.prompt)
        if problem:
            self.report({"ERROR"}, problem)
            return {"CANCELLED"}
        settings = scene_settings(context)
        prefs = get_preferences(context)
        source = find_source_text(context, self.source)
        if not settings.source:
            # The answer may take the screenplay's place in the only Text Editor: the panel's
            # Screenplay field keeps it found for the next request and for Insert Answer.
            settings.source = source.name
        prompt = (self.prompt or (settings.prompt if rtype.needs_prompt else "")).strip()
        model = prefs.model.strip()

        if rtype.flow == "analysis":  # the whole script, checked: see analysis_run
            analysis_run.start(
                context.scene,
                screenplay_text(source),
                output_text=rtype.output_text,
                model=model,
                params=rtype.params(prefs.temperature),
                context_tokens=prefs.analysis_context_tokens,
                templates_dir=templates_folder(),
                typical_tokens=rtype.typical_tokens,
            )
            show_text(context, rtype.output_text, source.name)
            self.report({"INFO"}, f"{rtype.label}: asking {model} about '{source.name}'…")
            return {"FINISHED"}

        from ..results import load_conversation

        fresh = self.new_conversation or not settings.continue_conversation
        conversation = load_conversation("" if fresh else conversation_data(settings, rtype.kind))
        # This type's turns so far; a grounded type keeps the newest that fit a third of its
        # budget.
        history = [m for m in conversation.messages_for_request() if m["role"] != "system"]
        # Read here (the text, the cursor, the budget); built on the worker thread, as the
        # parse of a long script would hold up Blender's main thread.
        deferred = DeferredMessages(
            rtype, request_input(source, rtype.kind, prefs, history, prompt)
        )
        request = Request(
            model,
            (),
            stream=True,
            params=rtype.params(prefs.temperature),
            kind=rtype.kind,
            prepare=deferred.prepare,
        )
        bridge.submit(
            request,
            title=rtype.label,
            text_name=rtype.output_text,
            header=f"## {prompt}\n\n" if rtype.append else "",
            append=rtype.append,
            origin=job_state.Origin(context.scene.name, "", fresh, built=deferred),
            typical_tokens=rtype.typical_tokens,
        )
        show_text(context, rtype.output_text, source.name)
        self.report({"INFO"}, f"{rtype.label}: asking {model}…")
        return {"FINISHED"}


def _busy(rtype: RequestType) -> bool:
    """An answer streams into the type's output, or an analysis into it is between steps."""
    output = rtype.output_text
    return job_state.busy_output(output) is not None or analysis_run.running(output)


def _context_free_refusal(rtype: RequestType, context: bpy.types.Context) -> str | None:
    """The refusals that hold whatever properties a script passes."""
    from ..online import online_access_problem, server_url

    if not get_preferences(context).model.strip():
        return "No model: pick one in the Screenwriter preferences (Refresh Models lists them)."
    problem = online_access_problem(server_url())
    if problem:
        return problem
    if _busy(rtype):
        return (
            f"An answer is still streaming into '{rtype.output_text}': wait for it, or cancel "
            "it first."
        )
    return None


def show_text(context: bpy.types.Context, text_name: str, source_name: str) -> None:
    """Show the answer in a Text Editor: one already on it, else one not showing the script."""
    editors = [
        area
        for window in context.window_manager.windows
        for area in window.screen.areas
        if area.type == "TEXT_EDITOR"
    ]
    if any(a.spaces.active.text and a.spaces.active.text.name == text_name for a in editors):
        return
    others = [
        a
        for a in editors
        if not (a.spaces.active.text and a.spaces.active.text.name == source_name)
    ]
    target = (others or editors or [None])[0]
    if target is not None:
        target.spaces.active.text = bpy.data.texts[text_name]


def _make(rtype: RequestType) -> type:
    return type(
        f"SCREENWRITER_OT_{rtype.operator}",
        (_RequestOperator,),
        {"bl_idname": rtype.idname, "bl_label": rtype.label, "request_kind": rtype.kind},
    )


classes = tuple(_make(rtype) for rtype in REQUEST_TYPES.values())
