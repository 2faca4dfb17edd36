"""What a finished job does, by the names its declaration gives (``RequestType.on_done``).

The bridge calls ``finish(job)`` once a job has ended; the request type (or the server query's
action) says which of the actions below run. Each returns a sentence for the job's message, or
"" when all went as expected. Nothing here is a closure: all it needs is in the job (its
``Origin``: scene, question, fresh start).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable

import bpy

from . import job_state, status
from .job_state import Job
from .request_types import REQUEST_TYPES

__all__ = ["QUERY_ACTIONS", "REQUEST_ACTIONS", "finish", "load_conversation"]

log = logging.getLogger(__name__)


def load_conversation(data: str):  # -> client.Conversation (imported lazily)
    from .client import Conversation

    if data:
        try:
            return Conversation.from_json(data)
        except (ValueError, json.JSONDecodeError):
            log.warning("Screenwriter: a stored conversation was unreadable; starting anew")
    return Conversation()


# -- what a finished answer does --------------------------------------------------------------


def remember(job: Job) -> str:
    """Add the question and the answer to the request type's own conversation on the scene."""
    from .client import Conversation
    from .properties import conversation_data, store_conversation

    origin = job.origin
    scene = bpy.data.scenes.get(origin.scene_name) if origin is not None else None
    if scene is None:
        return ""
    settings = scene.screenwriter
    # Read the stored conversation again: another answer of this type may have ended meanwhile.
    stored = (
        Conversation() if origin.fresh else load_conversation(conversation_data(settings, job.kind))
    )
    # As the Text holds it: a StringProperty cannot take a lone surrogate, and the conversation
    # should say what the writer read.
    from .text_normalize import normalize

    answer = normalize(job.completion.text) if job.completion else ""
    stored.add_exchange(origin.asked, answer)
    store_conversation(settings, job.kind, stored.to_json(), len(stored) // 2)
    return ""


def note_grounding(job: Job) -> str:
    """Which scene the request was grounded in and how much of its budget it took."""
    built = getattr(job.origin, "built", None)
    prompt = getattr(getattr(built, "messages", None), "prompt", None)  # a screenplay.Prompt
    if prompt is None:
        return ""
    where = f"Scene {prompt.focus}" if prompt.focus else "The screenplay (no scene heading)"
    return (
        f"{where}, {len(prompt.scenes)} scenes in full: {prompt.tokens:,} of "
        f"{prompt.budget:,} prompt tokens."
    )


def analysis_step(job: Job) -> str:
    """One answer of an analysis: its check leads to a repair, the next part, or the end."""
    from . import analysis_run

    return analysis_run.answered(job)


REQUEST_ACTIONS: dict[str, Callable[[Job], str]] = {
    "remember": remember,
    "note_grounding": note_grounding,
    "analysis_step": analysis_step,
}


# -- what a finished server query does --------------------------------------------------------


def _models_known(models: list[str]) -> None:
    from . import bridge

    bridge.set_known_models(models)


def checked(job: Job) -> str:
    check = job.result
    _models_known(list(check.models))
    status.record_check(check, time.monotonic())
    ready = "" if check.ready is not False else " but reports it is not ready"
    job_state.set_message(
        job,
        f"Connected to {check.url}{ready} in {check.latency_ms:.0f} ms; the key is "
        f"accepted and {len(check.models)} models are available.",
    )
    return ""


def models_listed(job: Job) -> str:
    from .preferences import get_preferences

    models = list(job.result)
    _models_known(models)
    model = get_preferences().model
    if not models:
        message = "The server offers no model to this key."
    elif model in models:
        message = f"{len(models)} models; {model} is one of them."
    else:
        message = f"{len(models)} models, but not {model!r}: pick one in the preferences (Model)."
    job_state.set_message(job, message)
    return ""


def detected(job: Job) -> str:
    from .preferences import get_preferences

    found = job.result
    preferences = get_preferences()
    if preferences.base_url.rstrip("/") != found.url:
        preferences.base_url = found.url
    job_state.set_message(
        job, f"Found a LiteLLM server at {found.url} ({found.latency_ms:.0f} ms)."
    )
    return ""


def model_info_read(job: Job) -> str:
    """The first step of an analysis: the model's limits are known, the analysis is sent."""
    from . import analysis_run

    return analysis_run.info_read(job)


QUERY_ACTIONS: dict[str, Callable[[Job], str]] = {
    "check": checked,
    "list_models": models_listed,
    "detect": detected,
    "model_info": model_info_read,
}


def finish(job: Job) -> None:
    """Run what ``job``'s declaration says a finished job does; update the connection status.

    A failing action never loses what was streamed: it is logged and named in the message.
    """
    now = time.monotonic()
    if job.state == "failed":
        status.record_outcome(job.error, now)
        return
    if job.state != "done":
        return
    if job.is_query:
        actions = [QUERY_ACTIONS[job.kind]] if job.kind in QUERY_ACTIONS else []
    else:
        status.record_outcome(None, now)
        rtype = REQUEST_TYPES.get(job.kind)
        actions = [REQUEST_ACTIONS[name] for name in (rtype.on_done if rtype else ())]
    for action in actions:
        try:
            job_state.add_to_message(job, action(job))
        except Exception as exc:  # a rendering problem must not lose the streamed text
            log.exception("Screenwriter: post-processing failed")
            job_state.add_to_message(job, f"(post-processing failed: {exc})")
