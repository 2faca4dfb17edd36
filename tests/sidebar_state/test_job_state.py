"""The figures a running answer shows, from a job fed events at known times (no Blender)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from litellm_screenwriter import job_state
from litellm_screenwriter.client import Completion, Usage


@dataclass
class Ended:
    type: str
    completion: object = None
    error: object = None
    result: object = None


@pytest.fixture(autouse=True)
def fresh_state():
    job_state.clear()
    yield
    job_state.clear()


def new_job(**fields) -> job_state.Job:
    job = job_state.Job(
        "j1",
        "Generate Dialogue",
        "Screenwriter Dialogue",
        kind="dialogue",
        started=100.0,
        first_byte_timeout=60.0,
        typical_tokens=100,
        **fields,
    )
    return job_state.add(job)


def test_waiting_for_the_first_token_fills_a_ring_toward_the_timeout() -> None:
    job = new_job()
    progress = job.progress(115.0)
    assert progress.shape == "RING"
    assert progress.factor == pytest.approx(15.0 / 60.0)
    assert progress.text == "Waiting for the first token, 15.0 s"
    assert job.time_to_first_token is None
    assert job.tokens_per_second(115.0) is None


def test_tokens_are_estimated_while_streaming_and_the_rate_counts_from_the_first_token() -> None:
    job = new_job()
    job_state.record_text(job, 10, now=102.0)  # the first text, 2 s after the click
    job_state.record_text(job, 30, now=104.0)
    assert job.state == "running"
    assert job.time_to_first_token == pytest.approx(2.0)
    assert job.tokens == 10  # ceil(40 / 4)
    assert not job.tokens_exact
    assert job.tokens_per_second(106.0) == pytest.approx(10 / 4.0)
    progress = job.progress(106.0)
    assert progress.shape == "BAR"
    assert progress.factor == pytest.approx(0.10)
    assert progress.text == "~10 tokens, 2.5/s"


def test_the_bar_stops_short_of_full_until_the_answer_ends() -> None:
    job = new_job()
    job_state.record_text(job, 4000, now=101.0)
    assert job.progress(102.0).factor == 0.95


def test_the_end_gives_exact_tokens_cost_and_session_totals() -> None:
    job = new_job()
    job_state.record_text(job, 40, now=101.0)
    completion = Completion("x" * 40, usage=Usage(30, 12, 42), cost=0.002)
    assert job_state.record_end(job, Ended("done", completion), now=103.0)
    assert job.tokens == 12
    assert job.tokens_exact
    assert job.tokens_per_second(999.0) == pytest.approx(12 / 2.0)  # frozen at the end
    assert job.message == "Done in 3.0 s, 42 tokens, $0.0020."
    assert job.progress(999.0).factor == 1.0
    totals = job_state.totals()
    assert (totals.answers, totals.prompt_tokens, totals.completion_tokens) == (1, 30, 12)
    assert totals.cost == pytest.approx(0.002)
    assert not job_state.record_end(job, Ended("failed"), now=104.0)  # one end only


def test_a_failure_counts_and_keeps_the_text_received() -> None:
    job = new_job()
    job_state.record_text(job, 7, now=101.0)
    job_state.record_end(job, Ended("failed", error=RuntimeError("the line dropped")), 102.0)
    assert job.message == "the line dropped The 7 characters kept."
    assert job_state.totals().failed == 1
    assert job_state.totals().answers == 0


def test_busy_output_and_latest_query_read_the_one_place() -> None:
    job = new_job()
    assert job_state.busy_output("Screenwriter Dialogue") is job
    assert job_state.busy_output("Screenwriter Scene") is None
    query = job_state.add(job_state.Job("q1", "Status check", "", kind="check", automatic=True))
    assert query.is_query
    assert job_state.latest_query() is None  # the timer's own checks are not a click's
    job_state.record_end(job, Ended("cancelled"), 101.0)
    assert job_state.busy_output("Screenwriter Dialogue") is None


def test_only_the_latest_finished_jobs_are_kept() -> None:
    for i in range(job_state.KEEP_FINISHED + 5):
        job = job_state.add(job_state.Job(f"j{i}", "Ask", "Screenwriter Answer"))
        job_state.record_end(job, Ended("cancelled"), 1.0)
    job_state.add(job_state.Job("last", "Ask", "Screenwriter Answer"))
    kept = job_state.jobs()
    assert len(kept) == job_state.KEEP_FINISHED + 1
    assert kept[0].job_id == "j5"
