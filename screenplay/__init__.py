"""The screenwriting domain in plain Python (no ``bpy``, no network): the parsed screenplay,
scene-aware prompts within a token budget, the script analysis and running-time estimates.

For the Blender operators, each step is one call:

    screenplay = parse(text.as_string())                      # cached per text content
    scene = screenplay.scene_at(text.current_line_index + 1)  # None before the first heading
    prompt = build_prompt("dialogue", text.as_string(), line=text.current_line_index + 1,
                          history=turns, budget=prefs.dialogue_budget, templates_dir=folder)
    Request(model, prompt.messages, kind=prompt.kind)         # prompt.omitted: tell the writer
    plan = plan_analysis(text.as_string(), limits=model_limits(info_json, model))
    for scene in screenplay.scenes:                            # markers
        frame = frame_start + round(scene.start_seconds * fps / fps_base)

Nothing here imports ``bpy``, ``worker`` or ``client``; ``jsonschema`` loads only when an
analysis answer is checked.
"""

from __future__ import annotations

from .analysis import (
    AnalysisCheck,
    AnalysisChunk,
    AnalysisPlan,
    ModelLimits,
    check_answer,
    merge_analyses,
    model_limits,
    plan_analysis,
    render_analysis,
    repair_messages,
    response_format,
    schema_for,
    validate_analysis,
)
from .context import Prompt, build_prompt, format_duration, outline
from .fountain import Element, Kind
from .kinds import KINDS, VERBS, RequestKind, kind_of
from .model import Scene, Screenplay, parse
from .tokens import message_tokens, text_tokens

__all__ = [
    "KINDS",
    "VERBS",
    "AnalysisCheck",
    "AnalysisChunk",
    "AnalysisPlan",
    "Element",
    "Kind",
    "ModelLimits",
    "Prompt",
    "RequestKind",
    "Scene",
    "Screenplay",
    "build_prompt",
    "check_answer",
    "format_duration",
    "kind_of",
    "merge_analyses",
    "message_tokens",
    "model_limits",
    "outline",
    "parse",
    "plan_analysis",
    "render_analysis",
    "repair_messages",
    "response_format",
    "schema_for",
    "text_tokens",
    "validate_analysis",
]
