"""Preferences changed after the first request apply to the next one, in real Blender.

scripts/preferences_apply.py changes each preference after a first request (Retries, Timeout
Scale, Temperature, Model, Server URL, API Key, Verify TLS, CA File, Cache Answers, Request
Log) and sends the next request; the mock servers here record what each request carried and
how many times it was tried. A change while an answer streams leaves that answer alone.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from tests.blender.gated_stream import Gates
from tests.support.mock_server import MockServer, Recorded, status, stream

STALL_AFTER = ["Stalled "]
INFLIGHT_BEFORE, INFLIGHT_AFTER = ["The keeper ", "waits "], ["for the ship."]


@dataclass
class Run:
    report: dict
    main: MockServer
    other: MockServer
    tls: MockServer

    @property
    def steps(self) -> dict:
        return self.report["steps"]


def asked(server: MockServer, prompt: str) -> list[Recorded]:
    """The chat requests (attempts) ``server`` received for the question ``prompt``."""
    return [r for r in server.chat_requests if r.json["messages"][-1]["content"].endswith(prompt)]


@pytest.fixture(scope="module")
def run(blender_run, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    ca_file = folder / "private-ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    gates = Gates(tmp_path_factory.mktemp("gates"))
    with MockServer() as main, MockServer() as other, MockServer(ssl_context=context) as tls:
        main.enqueue(
            stream(["First."]),
            status(503, {"error": {"message": "busy"}}),
            status(503, {"error": {"message": "busy"}}),
            stream(["Second try."]),
            # Pauses after its first chunk for 10 s: longer than a 0.1-scaled idle limit (3 s),
            # shorter than the unscaled one (30 s), after which it would finish normally.
            stream([*STALL_AFTER, "never waited for."], hold=threading.Event(), hold_after=1),
            stream(["Warm."]),
            stream(["Other model."]),
            gates.stream("inflight", INFLIGHT_BEFORE, INFLIGHT_AFTER),
            stream(["Cached answer."]),
            stream(["Fresh answer."]),
            stream(["Logged."]),
            stream(["Logged again."]),
        )
        other.enqueue(stream(["Elsewhere."]), stream(["With the key."]), stream(["Meanwhile."]))
        tls.enqueue(stream(["Trusted."]), stream(["Unverified."]))
        report = blender_run(
            "preferences_apply",
            LSW_SERVER_URL=main.url,
            LSW_OTHER_URL=other.url,
            LSW_TLS_URL=tls.url,
            LSW_CA_FILE=str(ca_file),
            LSW_GATES=str(gates.folder),
        )
        yield Run(report, main, other, tls)


def test_the_first_request_uses_the_defaults(run: Run) -> None:
    assert run.steps["first"]["state"] == "done"
    first = asked(run.main, "First question?")
    assert len(first) == 1
    assert first[0].json["temperature"] == pytest.approx(0.7)


def test_retries_0_after_a_first_request_tries_once(run: Run) -> None:
    step = run.steps["retries_0"]
    assert step["state"] == "failed", step
    assert "503" in step["message"]
    assert len(asked(run.main, "Retries 0?")) == 1


def test_retries_1_then_tries_twice(run: Run) -> None:
    step = run.steps["retries_1"]
    assert step["state"] == "done", step
    assert len(asked(run.main, "Retries 1?")) == 2


def test_timeout_scale_shortens_the_idle_limit_of_the_next_stream(run: Run) -> None:
    step = run.steps["timeout_scale"]
    print(f"stalled stream at Timeout Scale 0.1 failed after {step['seconds']:.1f} s")
    assert step["state"] == "failed", step
    assert step["chars"] == len("".join(STALL_AFTER))  # what came before the stall is kept
    # The ask profile's idle limit is 30 s: scaled, 3 s. The server would resume after 10 s.
    assert 2.5 < step["seconds"] < 8.0, step


def test_temperature_and_model_apply_to_the_next_request(run: Run) -> None:
    assert run.steps["temperature"]["state"] == "done"
    assert asked(run.main, "Temperature?")[0].json["temperature"] == pytest.approx(0.25)
    assert run.steps["model"]["state"] == "done"
    assert asked(run.main, "Model?")[0].json["model"] == "mock-other"


def test_a_new_url_and_key_apply_to_the_next_request(run: Run) -> None:
    assert run.steps["url"]["state"] == "done"
    assert asked(run.main, "URL?") == []
    (url,) = asked(run.other, "URL?")
    assert url.header("Authorization") is None  # no key set yet
    assert run.steps["key"]["state"] == "done"
    (key,) = asked(run.other, "Key?")
    assert key.header("Authorization") == "Bearer second-key"


def test_tls_settings_apply_to_the_next_request(run: Run) -> None:
    untrusted = run.steps["tls_untrusted"]
    assert untrusted["state"] == "failed", untrusted
    assert "certificate" in untrusted["message"], untrusted["message"]
    assert asked(run.tls, "Untrusted certificate?") == []  # refused before any HTTP
    assert run.steps["tls_ca_file"]["state"] == "done", run.steps["tls_ca_file"]
    assert len(asked(run.tls, "With the CA file?")) == 1
    assert run.steps["tls_unverified"]["state"] == "done", run.steps["tls_unverified"]
    assert len(asked(run.tls, "Without verification?")) == 1


def test_cache_answers_applies_to_the_next_request(run: Run) -> None:
    steps = run.steps
    assert steps["cache_first"]["state"] == "done"
    assert "from cache" not in steps["cache_first"]["message"]
    assert steps["cache_hit"]["state"] == "done"
    assert "from cache" in steps["cache_hit"]["message"], steps["cache_hit"]
    assert steps["cache_off"]["state"] == "done"
    assert "from cache" not in steps["cache_off"]["message"]
    assert len(asked(run.main, "Cached?")) == 2  # the first and the one with the cache off


def test_the_request_log_applies_to_the_next_request(run: Run) -> None:
    first, second = run.steps["log_first"], run.steps["log_second"]
    assert first["state"] == second["state"] == "done"
    assert first["lines"][0] >= 1
    assert first["lines"][1] == 0
    assert second["lines"][1] >= 1
    assert second["lines"][0] == first["lines"][0]  # the first log got nothing more
    folder = Path(run.report["_user_resources"]).parent
    entries = [json.loads(line) for line in (folder / "requests-2.jsonl").read_text().splitlines()]
    assert [(e["method"], e["url"], e["status"]) for e in entries] == [
        ("POST", f"{run.main.url}/v1/chat/completions", 200)
    ]


def test_a_change_while_an_answer_streams_leaves_it_alone(run: Run) -> None:
    inflight = run.steps["inflight"]
    assert inflight["reached_gate"]
    first = inflight["first"]
    assert first["state"] == "done", first
    assert first["text"] == "".join(INFLIGHT_BEFORE + INFLIGHT_AFTER)
    assert inflight["second"]["state"] == "done"
    assert len(asked(run.other, "Meanwhile, elsewhere?")) == 1


def test_one_worker_served_every_configuration(run: Run) -> None:
    assert run.report["one_worker"] is True
    assert run.report["threads"] == 1
    assert run.report["log_errors"] == []
