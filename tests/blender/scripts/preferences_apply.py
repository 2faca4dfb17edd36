"""Every preference changed after a first request applies to the next request.

Servers of the test: $LSW_SERVER_URL (the main one), $LSW_OTHER_URL (another), $LSW_TLS_URL
(HTTPS with a certificate from a private CA, whose PEM is $LSW_CA_FILE). The main server
answers in this order: the first request; a 503 (Retries 0); a 503 then an answer (Retries 1);
a stream that stalls after its first chunk (Timeout Scale 0.1); two plain answers (temperature,
model); the gated stream "inflight"; the cache and log-file requests. The other server answers
the URL, key and in-flight requests; the HTTPS one the TLS requests.
"""

from __future__ import annotations

import os
import time

import bpy  # noqa: F401  (first: harness imports Blender's own modules)
from harness import configure, install, package, prefs, run, screenplay, worker_threads
from workflow_support import call, capture_log, finish, open_gate, request, wait_for_gate


def ask(prompt: str, timeout: float = 20.0) -> dict:
    """One question with no history, so identical prompts make identical requests."""
    started = time.monotonic()
    outcome = request("ask", source="Script", prompt=prompt, new_conversation=True, timeout=timeout)
    outcome["seconds"] = time.monotonic() - started
    return {k: outcome[k] for k in ("result", "error", "state", "message", "chars", "seconds")}


def lines_of(path: str) -> int:
    try:
        with open(path, encoding="utf-8") as file:
            return sum(1 for _ in file)
    except FileNotFoundError:
        return 0


def in_flight_is_undisturbed() -> dict:
    """Preferences changed while an answer streams: it ends on its server; the next goes anew."""
    first = call("describe_scene", source="Script")
    job = first["job"]
    reached = wait_for_gate("inflight")
    p = prefs()
    p.base_url = os.environ["LSW_OTHER_URL"]
    p.max_retries = 0
    p.timeout_scale = 0.5
    second = ask("Meanwhile, elsewhere?")
    open_gate("inflight")
    end = finish(job)
    configure()
    p.max_retries, p.timeout_scale = 2, 1.0
    return {"reached_gate": reached, "first": end, "second": second}


def main() -> dict:
    result: dict = {"install_seconds": install()}
    configure()
    screenplay()
    log = capture_log()
    p = prefs()
    out = result["steps"] = {}
    out["first"] = ask("First question?")
    workers = [package("bridge")._worker]

    p.max_retries = 0
    out["retries_0"] = ask("Retries 0?")
    p.max_retries = 1
    out["retries_1"] = ask("Retries 1?")

    p.max_retries = 0  # a stalled stream is not retried anyway: keep the clock simple
    p.timeout_scale = 0.1
    out["timeout_scale"] = ask("Stall?", timeout=30.0)
    p.timeout_scale = 1.0
    p.max_retries = 2

    p.temperature = 0.25
    out["temperature"] = ask("Temperature?")
    p.model = "mock-other"
    out["model"] = ask("Model?")
    configure()  # the test's model again

    p.base_url = os.environ["LSW_OTHER_URL"]
    out["url"] = ask("URL?")
    p.api_key = "second-key"
    out["key"] = ask("Key?")

    p.base_url = os.environ["LSW_TLS_URL"]
    p.api_key = ""
    out["tls_untrusted"] = ask("Untrusted certificate?")
    p.ca_file = os.environ["LSW_CA_FILE"]
    out["tls_ca_file"] = ask("With the CA file?")
    p.ca_file = ""
    p.verify_tls = False
    out["tls_unverified"] = ask("Without verification?")
    p.verify_tls = True
    configure()

    out["inflight"] = in_flight_is_undisturbed()

    p.temperature = 0.0  # the cache serves deterministic requests only
    p.use_cache = True
    out["cache_first"] = ask("Cached?")
    out["cache_hit"] = ask("Cached?")
    p.use_cache = False
    out["cache_off"] = ask("Cached?")
    p.temperature = 0.7

    first_log = os.path.join(os.getcwd(), "requests-1.jsonl")
    second_log = os.path.join(os.getcwd(), "requests-2.jsonl")
    p.log_file = first_log
    out["log_first"] = ask("Logged here?")
    out["log_first"]["lines"] = [lines_of(first_log), lines_of(second_log)]
    p.log_file = second_log
    out["log_second"] = ask("Logged there?")
    out["log_second"]["lines"] = [lines_of(first_log), lines_of(second_log)]
    p.log_file = ""

    workers.append(package("bridge")._worker)
    result["one_worker"] = workers[0] is workers[1]
    result["threads"] = len(worker_threads())
    result["log_errors"] = log.errors()
    return result


run(main)
