"""Analyze Script in Blender: the whole screenplay, checked against the analysis schema, kept
on the scene and shown as a readable breakdown.

One run is a short chain of worker jobs, each started on the main thread when the one before
is done (``results.py`` calls ``info_read`` and ``answered``, the actions the declarations
name: ``Query("model_info")`` and the analysis type's ``"analysis_step"``):

1. ``Query("model_info")``: what LiteLLM says the model accepts (context window, answer
   length, whether it takes ``response_format: json_schema``; documented defaults when it does
   not say, or the Analysis Context preference);
2. one request per part of ``screenplay.plan_analysis`` (one part when the script fits the
   model, else parts of whole scenes), in order; the limits are read and the plan is made on
   the worker thread (``Request.prepare`` of the first part) and each answer is validated
   there (``Request.check``), so neither the parse of a long script nor ``jsonschema`` runs
   on Blender's main thread (which imports ``screenplay/`` only once the worker has);
3. an answer that does not match the schema gets one repair request carrying the errors; one
   still invalid ends the run, its raw answer kept in the text and the errors in the message;
4. the valid parts are merged, stored on the scene (``scene.screenwriter.analysis``, saved in
   the .blend) and rendered into "Screenwriter Analysis".

Cancel, a failed request, or the scene being gone (another file opened) ends the chain: no
later step starts. The analysis is never added to a conversation, so it is never sent along
with another request (the result on the scene is what stays).
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import bpy

from . import bridge, job_state, text_io

if TYPE_CHECKING:
    from .client import Completion
    from .screenplay import AnalysisCheck, AnalysisPlan, ModelLimits
    from .worker import Request

__all__ = ["AnalysisRun", "answered", "info_read", "running", "start"]

TITLE = "Analyze Script"

_runs: list[AnalysisRun] = []
_by_job: dict[str, AnalysisRun] = {}  # the job each run waits for


@dataclass
class AnalysisRun:
    """One Analyze Script click, from the model's limits to the stored result."""

    scene_name: str
    scene_uid: int | None
    output_text: str
    script: str
    model: str
    params: dict[str, Any]
    context_tokens: int = 0  # the preference: 0 means "as LiteLLM says"
    templates_dir: str | None = None
    typical_tokens: int = 900  # of an answer, for the progress bar of the first part
    model_info: Any = None  # the JSON of /model/info (None: the server did not say)
    # made on the worker thread, read on the main thread once the first part's job is done
    limits: ModelLimits | None = None
    plan: AnalysisPlan | None = None
    info_job: job_state.Job | None = None
    index: int = 0  # the part being asked for
    repaired: bool = False  # whether this part had its one repair
    repairs: int = 0
    parts: list[dict[str, Any]] = field(default_factory=list)
    job: job_state.Job | None = None  # the job running now (or the last one)

    @property
    def active(self) -> bool:
        return self.job is not None and self.job.active

    # -- the chain (main thread) ----------------------------------------------------------------

    def start(self) -> job_state.Job:
        from .worker import Query

        self.job = self.info_job = bridge.submit_query(
            Query("model_info"), title=f"{TITLE}: model limits"
        )
        _by_job[self.job.job_id] = self
        return self.job

    def _scene(self) -> bpy.types.Scene | None:
        """The run's scene, unless it is gone (or another file's scene took its name)."""
        scene = bpy.data.scenes.get(self.scene_name)
        if scene is None or getattr(scene, "session_uid", None) != self.scene_uid:
            return None
        return scene

    def _info_read(self, job: job_state.Job) -> str:
        self.model_info = job.result
        if job.result:
            job_state.set_message(job, "Read the model's limits from LiteLLM.")
        else:
            job_state.set_message(job, "No model info from the server: the defaults apply.")
        if self._scene() is None:
            return "The scene is gone: the analysis was not sent."
        self._submit(self._first_request())
        return ""

    def _answered(self, job: job_state.Job) -> str:
        from .screenplay import repair_messages

        assert self.plan is not None
        count = len(self.plan.chunks)
        if self.info_job is not None:  # the first answer: the plan and the limits are known
            job_state.set_message(self.info_job, self._describe_limits())
            self.info_job = None
            if count > 1:
                job.title = f"{TITLE} (part 1 of {count})"
        part = f" part {self.index + 1} of {count}" if count > 1 else ""
        check: AnalysisCheck | None = job.result
        if self._scene() is None:
            return "The scene is gone (another file was opened): nothing was stored."
        if check is None or not check.ok:
            errors = check.errors if check is not None else ("the answer was not checked",)
            if self.repaired:
                shown = "; ".join(errors[:3]) + ("; …" if len(errors) > 3 else "")
                return (
                    f"The analysis{part} still does not match the schema after one repair "
                    f"({shown}). The raw answer is kept in '{job.text_name}'; nothing was "
                    "stored."
                )
            self.repaired = True
            self.repairs += 1
            answer = job.completion.text if job.completion is not None else ""
            chunk = self.plan.chunks[self.index]
            self._submit(self._request(repair_messages(chunk.messages, answer, errors)))
            return (
                f"The analysis{part} did not match the schema ({len(errors)} "
                f"problem{'s' if len(errors) != 1 else ''}): asking once more with them listed."
            )
        self.parts.append(check.data)
        self.index += 1
        self.repaired = False
        if self.index < count:
            self._submit(self._request(self.plan.chunks[self.index].messages))
            return f"Part {self.index} of {count} checked; asking for the next."
        return self._finish(job)

    def _finish(self, job: job_state.Job) -> str:
        from .screenplay import format_duration, merge_analyses, parse, render_analysis

        assert self.plan is not None
        merged = merge_analyses(self.parts)
        scene = self._scene()
        assert scene is not None
        scene.screenwriter.analysis = json.dumps(merged, ensure_ascii=False)
        screenplay = parse(self.script)  # the worker's parse of this text: cached
        text = bpy.data.texts.get(job.text_name) or bpy.data.texts.new(job.text_name)
        text_io.replace(text, render_analysis(merged, screenplay))
        requests = len(self.plan.chunks) + self.repairs
        repaired = f", {self.repairs} repaired" if self.repairs else ""
        return " ".join(
            [
                f"{len(screenplay.scenes)} scenes analysed (about "
                f"{format_duration(screenplay.seconds)}) in {requests} "
                f"request{'s' if requests != 1 else ''}{repaired}; checked against the schema "
                "and stored with the scene.",
                *self.plan.notes,
            ]
        )

    def _describe_limits(self) -> str:
        limits = self.limits
        assert limits is not None
        source = "from LiteLLM's model info" if limits.known else "the default for unknown models"
        if self.context_tokens:
            source = "from the preferences"
        mode = "JSON schema" if limits.supports_json_schema is not False else "JSON mode"
        return f"{self.model}: context {limits.max_input_tokens:,} tokens ({source}); {mode}."

    def _first_request(self) -> Request:
        from .worker import Request

        return Request(
            self.model,
            (),
            params=self.params,
            kind="analysis",
            prepare=self._plan_first,
            check=functools.partial(self._check, 0),
        )

    def _request(self, messages: list[dict[str, str]]) -> Request:
        from .worker import Request

        assert self.plan is not None
        chunk = self.plan.chunks[self.index]
        return Request(
            self.model,
            messages,
            params={**self.params, **chunk.params},
            kind="analysis",
            check=functools.partial(self._check, self.index),
        )

    def _submit(self, request: Request) -> None:
        if self.plan is None:  # the first part: planned on the worker
            title, typical = TITLE, self.typical_tokens
        else:
            from .screenplay.analysis import ANSWER_TOKENS_FIXED, ANSWER_TOKENS_PER_SCENE

            count = len(self.plan.chunks)
            title = TITLE if count == 1 else f"{TITLE} (part {self.index + 1} of {count})"
            scenes = len(self.plan.chunks[self.index].scenes)
            typical = ANSWER_TOKENS_FIXED + ANSWER_TOKENS_PER_SCENE * scenes
        if self.repaired:
            title += " (repair)"
        self.job = bridge.submit(
            request,
            title=title,
            text_name=self.output_text,
            origin=job_state.Origin(self.scene_name, ""),
            typical_tokens=typical,
        )
        _by_job[self.job.job_id] = self

    # -- on the worker thread -------------------------------------------------------------------

    def _plan_first(self, request: Request) -> Request:
        """``Request.prepare`` of the first part: plan the whole analysis, send part one."""
        from .screenplay import model_limits, plan_analysis

        limits = model_limits(self.model_info, self.model)
        if self.context_tokens:
            limits = dataclasses.replace(limits, max_input_tokens=self.context_tokens, known=True)
        self.limits = limits
        self.plan = plan_analysis(self.script, limits=limits, templates_dir=self.templates_dir)
        chunk = self.plan.chunks[0]
        return dataclasses.replace(
            request,
            messages=chunk.messages,
            params={**request.params, **chunk.params},
            prepare=None,
        )

    def _check(self, index: int, completion: Completion) -> AnalysisCheck:
        """``Request.check``: the answer to part ``index`` against the schema."""
        assert self.plan is not None
        return self.plan.chunks[index].check(completion.text)


# -- what results.py and the operator call ------------------------------------------------------


def info_read(job: job_state.Job) -> str:
    """A ``model_info`` query is done: its run sends the analysis (or says why not)."""
    run = _by_job.pop(job.job_id, None)
    return run._info_read(job) if run is not None else ""


def answered(job: job_state.Job) -> str:
    """An analysis request is done: the run checks what came back and goes on."""
    run = _by_job.pop(job.job_id, None)
    return run._answered(job) if run is not None else ""


def running(output_text: str) -> bool:
    """Whether an analysis into ``output_text`` is under way (any of its steps)."""
    return any(run.active and run.output_text == output_text for run in _runs)


def start(
    scene: bpy.types.Scene,
    script: str,
    *,
    output_text: str,
    model: str,
    params: dict[str, Any],
    context_tokens: int = 0,
    templates_dir: str | None = None,
    typical_tokens: int = 900,
) -> AnalysisRun:
    """Begin analysing ``script`` (the screenplay as read on the main thread)."""
    _runs[:] = [run for run in _runs if run.active]  # ended runs (also failed, cancelled) go
    for job_id in [j for j, run in _by_job.items() if not run.active]:
        del _by_job[job_id]
    run = AnalysisRun(
        scene_name=scene.name,
        scene_uid=getattr(scene, "session_uid", None),
        output_text=output_text,
        script=script,
        model=model,
        params=dict(params),
        context_tokens=context_tokens,
        templates_dir=templates_dir,
        typical_tokens=typical_tokens,
    )
    _runs.append(run)
    run.start()
    return run
