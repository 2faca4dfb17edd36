"""``make fuzz``: a bounded, coverage-guided fuzz run of the event-stream decoder and the body
parsers (atheris, i.e. libFuzzer), then the coverage its corpus reaches (coverage.py).

    .venv/fuzz/bin/python tools/fuzz/run.py [--seconds 80] [--targets sse,bodies] [--fresh]

Each target runs in its own process for ``--seconds`` (libFuzzer runs one target per process).
The corpus stays in ``.cache/fuzz/corpus/<target>`` (outside git), so a later run starts where
this one stopped (``--fresh`` starts over from the seeds); an input that breaks the client's
promise is written to ``.cache/fuzz/artifacts/`` and the run fails, naming it. Replay one with
``python tools/fuzz/run.py --replay sse .cache/fuzz/artifacts/crash-...``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".cache" / "fuzz"
# The parse paths the targets drive, by module and function: the report's rows.
PARSERS = {
    "client/sse.py": ["SSEDecoder.feed", "SSEDecoder._line", "SSEDecoder._dispatch"],
    "client/error_bodies.py": [
        "parse_error_body",
        "_from_json",
        "readable_message",
        "_inner_message",
        "error_from_body",
        "error_from_payload",
        "_status_of",
    ],
    "client/streaming.py": ["ChatStream._on_event", "ChatStream._finish"],
    "client/completions.py": ["completion_from", "cost_from"],
    "client/error_mapping.py": ["ErrorMapping.not_json", "ErrorMapping.event"],
    "client/quick_checks.py": ["chunk_is_well_formed", "completion_is_well_formed", "_usage_ok"],
    "client/validation.py": ["describe", "schema_errors", "summary", "_shown", "_short"],
    "client/retry_policy.py": ["server_wait", "_wait", "decide_retry"],
    "client/limiter.py": ["parse_reset", "pause_from_headers", "RateLimiter.observe"],
}


def fuzz_worker(target: str, corpus: Path, seconds: int) -> None:
    """In a child process: instrument the client, then hand the target to libFuzzer."""
    import atheris

    sys.path.insert(0, str(HERE))
    # Only the client is instrumented: its branches are what the fuzzer should explore.
    with atheris.instrument_imports(include=["client"]):
        import targets

        targets.load_client()
    function = targets.TARGETS[target]
    artifacts = CACHE / "artifacts"
    artifacts.mkdir(parents=True, exist_ok=True)
    argv = [
        sys.argv[0],
        str(corpus),
        f"-max_total_time={seconds}",
        "-max_len=16384",
        "-timeout=10",  # seconds for one input: a hang is a finding too
        "-rss_limit_mb=2048",
        "-print_final_stats=1",
        f"-artifact_prefix={artifacts}/{target}-",
    ]
    atheris.Setup(argv, function)
    atheris.Fuzz()


def replay(target: str, paths: list[Path]) -> int:
    """Run ``target`` on each input (files, or every file in a folder): for the coverage
    report, or to reproduce a finding."""
    sys.path.insert(0, str(HERE))
    import targets

    targets.load_client()
    function = targets.TARGETS[target]
    files = [f for p in paths for f in (sorted(p.iterdir()) if p.is_dir() else [p])]
    failures = 0
    for path in files:
        try:
            function(path.read_bytes())
        except Exception as error:  # a finding: report it, go on with the others
            failures += 1
            print(f"{path}: {type(error).__name__}: {str(error)[:200]}")
    print(f"replayed {len(files)} inputs of {target}: {failures} broke the promise")
    return 1 if failures else 0


def seed(target: str, corpus: Path) -> None:
    sys.path.insert(0, str(HERE))
    import targets

    corpus.mkdir(parents=True, exist_ok=True)
    for data in targets.seeds()[target]:
        (corpus / f"seed-{hashlib.sha1(data).hexdigest()[:12]}").write_bytes(data)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=int(os.environ.get("FUZZ_SECONDS", 80)))
    parser.add_argument("--targets", default="sse,bodies")
    parser.add_argument("--fresh", action="store_true", help="start from the seeds again")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--replay", metavar="TARGET", help="run TARGET on the given inputs")
    parser.add_argument("inputs", nargs="*", type=Path)
    args = parser.parse_args()
    if args.worker:
        fuzz_worker(args.worker, args.inputs[0], args.seconds)
        return 0
    if args.replay:
        return replay(args.replay, args.inputs)

    names = args.targets.split(",")
    python = sys.executable
    findings = []
    for name in names:
        corpus = CACHE / "corpus" / name
        if args.fresh and corpus.exists():
            shutil.rmtree(corpus)
        if not corpus.exists() or not any(corpus.iterdir()):
            seed(name, corpus)
        print(f"== fuzzing {name} for {args.seconds} s (corpus {corpus.relative_to(ROOT)})")
        started = time.monotonic()
        run = subprocess.run(
            [python, __file__, "--worker", name, "--seconds", str(args.seconds), str(corpus)],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # atheris prints the Python traceback on stdout
            text=True,
            timeout=args.seconds + 120,
        )
        log = run.stdout
        (CACHE / f"{name}.log").write_text(log)
        stats = _stats(log)
        print(
            f"   {time.monotonic() - started:.0f} s, {stats.get('execs', '?')} executions, "
            f"{stats.get('cov', '?')} edges and {stats.get('ft', '?')} features covered, "
            f"corpus {sum(1 for _ in corpus.iterdir())} inputs"
        )
        if run.returncode != 0:
            crash = re.findall(r"Test unit written to (\S+)", log)
            findings.append((name, crash, log))
            print(f"   FINDING (exit {run.returncode}): {', '.join(crash) or 'see the log'}")
            print("\n".join(_traceback(log)))

    print("== coverage of the corpus (coverage.py, branches)")
    data = CACHE / ".coverage"
    data.unlink(missing_ok=True)
    env = {**os.environ, "COVERAGE_FILE": str(data)}
    for name in names:
        subprocess.run(
            [
                python,
                "-m",
                "coverage",
                "run",
                "--append",
                "--branch",
                "--source=client",
                __file__,
                "--replay",
                name,
                str(CACHE / "corpus" / name),
            ],
            cwd=ROOT,
            env=env,
            check=False,
        )
    report = CACHE / "coverage.json"
    subprocess.run(
        [
            python,
            "-m",
            "coverage",
            "json",
            "-q",
            "-o",
            str(report),
            f"--include={','.join(PARSERS)}",
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    print_coverage(json.loads(report.read_text()))
    if findings:
        print(f"== {len(findings)} target(s) found input that breaks the promise (see above)")
        return 1
    print("== no finding")
    return 0


def print_coverage(report: dict) -> None:
    """Statement and branch coverage of each parse function, and of the parsers together."""
    print(f"   {'function':46} {'lines':>9} {'branches':>9} {'cover':>6}")
    lines = hit = branches = taken = 0
    for path, functions in PARSERS.items():
        found = report["files"][path]["functions"]
        for name in functions:
            summary = found[name]["summary"]
            n, missed = summary["num_statements"], summary["missing_lines"]
            b, partial = summary.get("num_branches", 0), summary.get("covered_branches", 0)
            lines, hit, branches, taken = lines + n, hit + n - missed, branches + b, taken + partial
            where = f"{Path(path).stem}.{name}"
            print(
                f"   {where:46} {n - missed:>4}/{n:<4} {partial:>4}/{b:<4} "
                f"{summary['percent_covered_display']:>5}%"
            )
    total = 100.0 * (hit + taken) / max(1, lines + branches)
    print(f"   {'all of them':46} {hit:>4}/{lines:<4} {taken:>4}/{branches:<4} {total:5.1f}%")


def _stats(log: str) -> dict[str, str]:
    """The last ``cov:``/``ft:``/``exec`` figures libFuzzer printed."""
    found: dict[str, str] = {}
    for key in ("cov", "ft"):
        values = re.findall(rf"\b{key}: (\d+)", log)
        if values:
            found[key] = values[-1]
    execs = re.findall(r"stat::number_of_executed_units: (\d+)", log)
    if execs:
        found["execs"] = execs[-1]
    return found


def _traceback(log: str) -> list[str]:
    lines = log.splitlines()
    start = next((i for i, line in enumerate(lines) if "Uncaught Python exception" in line), None)
    return lines[start : start + 30] if start is not None else lines[-30:]


if __name__ == "__main__":
    sys.exit(main())
