"""``python -m litellm_screenwriter analyze|dialogue|describe|ideas|ask FILE.fountain``: the
request types of the Blender panel for writers who work in Highland, Beat or Fade In.

Built from the same two layers as the extension (``screenplay/`` and ``client/``, no Blender):
the request is grounded in the scene at ``--line`` (default: the last scene) within the type's
token budget, and the answer streams to stdout. ``analyze`` checks the answer against the
analysis schema (one repair request when it does not match) and prints the breakdown, or the
JSON with ``--json``; progress and notes go to stderr. Exit status: 0 done, 1 the request
failed, 2 the analysis stayed invalid (its raw answer is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from pathlib import Path
from typing import Any, TextIO

from . import screenplay as sp
from .client import ClientConfig, LiteLLMClient, LiteLLMError

__all__ = ["main"]

MODEL_ENV = "LITELLM_MODEL"
DEFAULT_MODEL = "gpt-4o-mini"  # the extension's preference default
MODEL_INFO_PATH = "/model/info"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m litellm_screenwriter",
        description="Ask a LiteLLM proxy about a Fountain screenplay, grounded in its scenes.",
    )
    parser.add_argument("verb", choices=sorted(sp.VERBS), help="the request type")
    parser.add_argument("file", type=Path, help="the screenplay, a Fountain text file")
    parser.add_argument(
        "--line", type=int, help="1-based line of the cursor (default: the last scene)"
    )
    parser.add_argument("--prompt", default="", help="the question (ask) or an extra wish")
    parser.add_argument(
        "--base-url", help="the LiteLLM proxy (default: $LITELLM_BASE_URL, then localhost:4000)"
    )
    parser.add_argument("--api-key", help="a LiteLLM key (default: $LITELLM_API_KEY)")
    parser.add_argument(
        "--model", default=os.environ.get(MODEL_ENV) or DEFAULT_MODEL, help="a model name"
    )
    parser.add_argument("--budget", type=int, help="prompt-token budget (default: the type's)")
    parser.add_argument("--templates", type=Path, help="a folder of templates overriding ours")
    parser.add_argument(
        "--context-tokens",
        type=int,
        help="the model's context for analyze (default: /model/info, else "
        f"{sp.analysis.DEFAULT_MAX_INPUT_TOKENS})",
    )
    parser.add_argument("--json", action="store_true", help="analyze: print the JSON")
    parser.add_argument("--temperature", type=float, help="sampling temperature")
    return parser


async def _model_limits(client: LiteLLMClient, config: ClientConfig, model: str) -> Any:
    """``GET /model/info`` of the proxy (None when it does not answer with JSON)."""
    import aiohttp

    headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
    timeout = aiohttp.ClientTimeout(total=config.timeout_for("utility").total)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout, trust_env=config.trust_env) as session,
            session.get(config.base_url + MODEL_INFO_PATH, headers=headers) as response,
        ):
            if response.status != 200:
                return None
            return await response.json(content_type=None)
    except (aiohttp.ClientError, TimeoutError, ValueError):
        return None


async def _stream(
    client: LiteLLMClient, model: str, messages: list, kind: str, params: dict, out: TextIO
) -> str:
    parts = []
    async with client.stream(model, messages, kind=kind, **params) as stream:
        async for text in stream:
            parts.append(text)
            out.write(text)
            out.flush()
    return "".join(parts)


async def _analyze(
    args: argparse.Namespace, client: LiteLLMClient, config: ClientConfig, text: str, params: dict
) -> int:
    screenplay = sp.parse(text)
    if args.context_tokens:
        limits = sp.ModelLimits(max_input_tokens=args.context_tokens)
    else:
        limits = sp.model_limits(await _model_limits(client, config, args.model), args.model)
    plan = sp.plan_analysis(screenplay, limits=limits, templates_dir=args.templates)
    where = "from /model/info" if limits.known else "the default for unknown models"
    _note(
        f"{len(screenplay.scenes)} scenes, about {sp.format_duration(screenplay.seconds)}; "
        f"context {limits.max_input_tokens:,} tokens ({where}); "
        f"{len(plan.chunks)} request(s), {plan.tokens:,} prompt tokens; "
        f"{'json_schema' if plan.structured else 'JSON mode'}"
    )
    for note in plan.notes:
        _note(note)
    results = []
    for chunk in plan.chunks:
        _note(
            f"part {chunk.index + 1}/{chunk.count}: scenes {chunk.scenes[:1]}…{chunk.scenes[-1:]}"
        )
        completion = await client.complete(
            args.model, chunk.messages, kind="analysis", **params, **chunk.params
        )
        check = chunk.check(completion.text)
        if not check.ok:
            _note(f"the answer does not match the schema ({len(check.errors)} errors): repairing")
            messages = sp.repair_messages(chunk.messages, completion.text, check.errors)
            completion = await client.complete(
                args.model, messages, kind="analysis", **params, **chunk.params
            )
            check = chunk.check(completion.text)
        if not check.ok:
            _note("the analysis is still invalid after one repair; its raw answer follows:")
            for error in check.errors:
                _note(f"  - {error}")
            sys.stdout.write(completion.text + "\n")
            return 2
        results.append(check.data)
    merged = sp.merge_analyses(results)
    if args.json:
        sys.stdout.write(json.dumps(merged, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(sp.render_analysis(merged, screenplay))
    return 0


def _note(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


async def _run(args: argparse.Namespace) -> int:
    request = sp.kind_of(args.verb)
    try:
        text = args.file.read_text("utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        _note(f"cannot read {args.file}: {error}")
        return 1
    if request.needs_prompt and not args.prompt.strip():
        _note(f"{args.verb} needs a question: --prompt 'What does Maren want?'")
        return 1
    config = ClientConfig(base_url=args.base_url, api_key=args.api_key)
    params = {} if args.temperature is None else {"temperature": args.temperature}
    async with LiteLLMClient(config) as client:
        try:
            if request.structured:
                return await _analyze(args, client, config, text, params)
            prompt = sp.build_prompt(
                request.kind, text, line=args.line, question=args.prompt, budget=args.budget,
                templates_dir=args.templates,
            )  # fmt: skip
            scene = f"scene {prompt.focus}" if prompt.focus else "no scene"
            _note(f"{request.label}: {scene}, {prompt.tokens:,} prompt tokens of {prompt.budget:,}")
            for note in prompt.omitted:
                _note(f"left out: {note}")
            await _stream(client, args.model, prompt.messages, request.kind, params, sys.stdout)
            sys.stdout.write("\n")
            return 0
        except LiteLLMError as error:
            _note(str(error))
            return 1


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status."""
    args = _parser().parse_args(argv)
    return asyncio.run(_run(args))


if __name__ == "__main__":
    sys.exit(main())
