"""The screenplay layer's figures for ``make bench``: parse time of a 150,000-character
screenplay (target <= 50 ms), a cached parse, building each request's prompt, and the prompt
tokens of each request type on the 120-page sample, before (the last 120,000 characters, as
prompts.py sends) and after (grounded, budgeted). Prints one ``BENCH {json}`` line.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 15
TARGET_CHARS = 150_000


def _package() -> None:
    spec = importlib.util.spec_from_file_location(
        "litellm_screenwriter", ROOT / "__init__.py", submodule_search_locations=[str(ROOT)]
    )
    module = importlib.util.module_from_spec(spec)
    sys.modules["litellm_screenwriter"] = module
    spec.loader.exec_module(module)


def _ms(samples: list[float]) -> dict[str, float]:
    return {"median_ms": statistics.median(samples) * 1000, "max_ms": max(samples) * 1000}


def main() -> None:
    _package()
    from litellm_screenwriter import prompts as old
    from litellm_screenwriter import screenplay as sp
    from litellm_screenwriter.screenplay.samples import feature_screenplay

    scenes = 190
    while len(feature_screenplay(scenes)) < TARGET_CHARS:
        scenes += 1
    big = feature_screenplay(scenes)
    cold = []
    for repeat in range(REPEATS):
        text = big + f"\n[[bench run {repeat}]]\n"  # new content: the cache cannot answer
        started = time.perf_counter()
        sp.parse(text)
        cold.append(time.perf_counter() - started)
    cached = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        sp.parse(text)
        cached.append(time.perf_counter() - started)

    feature = feature_screenplay()
    screenplay = sp.parse(feature)
    line = screenplay.scenes[95].line + 3  # the middle of the script
    tokens = {}
    build = {}
    for kind in ("dialogue", "description", "suggestions", "ask"):
        question = "Why does Maren stay?" if kind == "ask" else ""
        before = sp.message_tokens(old.build_messages(old.REQUEST_TYPES[kind], feature, question))
        times = []
        for _ in range(REPEATS):
            started = time.perf_counter()
            prompt = sp.build_prompt(kind, feature, line=line, question=question)
            times.append(time.perf_counter() - started)
        tokens[kind] = {"before": before, "after": prompt.tokens, "budget": prompt.budget}
        build[kind] = _ms(times)
    before = sp.message_tokens(old.build_messages(old.REQUEST_TYPES["analysis"], feature))
    for name, limits in (
        ("default context (32,768)", sp.ModelLimits()),
        ("128k context", sp.ModelLimits(128_000, 16_384, True, True)),
    ):
        plan = sp.plan_analysis(feature, limits=limits)
        tokens[f"analysis, {name}"] = {
            "before": before,
            "after": plan.tokens,
            "requests": len(plan.chunks),
            "scenes_sent": sum(len(c.scenes) for c in plan.chunks),
        }
    result = {
        "parse_chars": len(big),
        "parse_scenes": scenes,
        "parse": _ms(cold),
        "parse_cached": _ms(cached),
        "feature_chars": len(feature),
        "feature_pages": round(screenplay.seconds / 60, 1),
        "feature_scenes": len(screenplay.scenes),
        "build_prompt": build,
        "prompt_tokens": tokens,
    }
    print("BENCH " + json.dumps(result))


def table_lines(result: dict) -> list[str]:
    """The screenplay figures as Markdown rows (bench/run.py prints them)."""
    parse = result["parse"]
    lines = [
        "",
        "| screenplay | figure | target |",
        "|---|---:|---|",
        f"| parse {result['parse_chars']:,} characters ({result['parse_scenes']} scenes), ms "
        f"| {parse['median_ms']:.1f} (max {parse['max_ms']:.1f}) | <= 50 ms: "
        f"{'met' if parse['max_ms'] <= 50 else 'MISSED'} |",
        f"| parse again (cached), µs | {result['parse_cached']['median_ms'] * 1000:.1f} | "
        "reported |",
    ]
    for kind, figures in result["build_prompt"].items():
        lines.append(f"| build the {kind} prompt, ms | {figures['median_ms']:.1f} | reported |")
    lines += [
        "",
        f"| prompt tokens on the {result['feature_pages']:.0f}-page sample "
        f"({result['feature_scenes']} scenes) | before | after | target |",
        "|---|---:|---:|---|",
    ]
    for kind, figures in result["prompt_tokens"].items():
        if kind.startswith("analysis"):
            target = (
                f"whole script: {figures['scenes_sent']} of {result['feature_scenes']} scenes "
                f"in {figures['requests']} request(s)"
            )
        else:
            ok = figures["after"] <= 6000
            target = f"<= 6,000: {'met' if ok else 'MISSED'}"
        lines.append(f"| {kind} | {figures['before']:,} | {figures['after']:,} | {target} |")
    return lines


if __name__ == "__main__":
    main()
