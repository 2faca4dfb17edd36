"""What the client logs: one INFO line per HTTP attempt under ``litellm_screenwriter.client``
(method, URL, status, latency, attempt, request id), bodies only at DEBUG, and the same records
as JSON lines in ``log_file``."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import socket

import pytest

from litellm_screenwriter.client import (
    APIConnectionError,
    APITimeoutError,
    ClientConfig,
    LiteLLMClient,
    Timeout,
)
from tests.support.mock_server import MockServer, reply, stall, status

LOGGER = "litellm_screenwriter.client"
USER = [{"role": "user", "content": "Log line for the storyboard"}]
LINE = re.compile(
    r"^(?P<method>GET|POST) (?P<url>\S+) -> (?P<outcome>\d{3}|failed \(.*\)) in "
    r"(?P<ms>\d+\.\d) ms \(attempt (?P<attempt>\d+), (?P<kind>\w+), request (?P<id>\w+)\)$"
)


def config_for(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 2)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("max_backoff", 0.002)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


def info_lines(caplog) -> list[re.Match]:
    records = [r for r in caplog.records if r.name == LOGGER and r.levelno == logging.INFO]
    matches = [LINE.match(r.getMessage()) for r in records]
    assert all(matches), [r.getMessage() for r in records]
    return matches


async def test_one_info_line_per_attempt(mock_server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    mock_server.enqueue(status(503, "busy"), reply("Done."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        result = await client.complete("mock-echo", USER, kind="dialogue")
    first, second = info_lines(caplog)
    url = f"{mock_server.url}/v1/chat/completions"
    sent_id = mock_server.requests[0].header("X-Request-Id")
    assert first.group("method", "url", "outcome", "attempt", "kind", "id") == (
        "POST",
        url,
        "503",
        "1",
        "dialogue",
        sent_id,
    )
    assert second.group("outcome", "attempt", "id") == ("200", "2", sent_id)
    assert float(first.group("ms")) >= 0
    assert result.request_id == sent_id
    assert "request body" not in caplog.text
    assert "Done." not in caplog.text


async def test_streams_models_and_health_log_their_attempts(mock_server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    async with LiteLLMClient(config_for(mock_server)) as client:
        async with client.stream("mock-echo", USER, kind="analysis") as s:
            async for _ in s:
                pass
        await client.list_models()
        await client.health()
    lines = info_lines(caplog)
    assert [
        (m.group("method"), m.group("url").rsplit("/", 2)[-1], m.group("kind")) for m in lines
    ] == [
        ("POST", "completions", "analysis"),
        ("GET", "models", "utility"),
        ("GET", "liveliness", "utility"),
        ("GET", "readiness", "utility"),
    ]
    assert all(m.group("outcome") == "200" for m in lines)
    assert len({m.group("id") for m in lines}) == 4


async def test_failed_attempts_are_logged_with_their_reason(caplog):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    caplog.set_level(logging.INFO, logger=LOGGER)
    config = ClientConfig(
        base_url=f"http://127.0.0.1:{port}", max_retries=1, initial_backoff=0.001, trust_env=False
    )
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError):
            await client.complete("mock-echo", USER)
        with pytest.raises(APIConnectionError):
            await client.health()
    lines = info_lines(caplog)
    assert [m.group("attempt") for m in lines] == ["1", "2", "1"]
    for match in lines:
        assert match.group("outcome").startswith("failed (APIConnectionError: Cannot connect")


async def test_a_timed_out_and_a_cancelled_attempt_are_logged(mock_server, caplog):
    caplog.set_level(logging.INFO, logger=LOGGER)
    mock_server.enqueue(stall(5), stall(5))
    async with LiteLLMClient(config_for(mock_server, max_retries=0)) as client:
        with pytest.raises(APITimeoutError):
            await client.complete("mock-echo", USER, timeout=Timeout(first_byte=0.1))
        task = asyncio.create_task(client.complete("mock-echo", USER))
        for _ in range(500):  # until the server holds the second request
            if len(mock_server.requests) == 2:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    timed_out, cancelled = info_lines(caplog)
    assert "APITimeoutError: no answer within 0.1 s (first byte limit)" in timed_out.group(
        "outcome"
    )
    assert cancelled.group("outcome") == "failed (cancelled)"


async def test_bodies_only_at_debug(mock_server, caplog):
    caplog.set_level(logging.DEBUG, logger=LOGGER)
    mock_server.enqueue(status(429, "slow", {"retry-after-ms": "1"}), reply("The body text."))
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.complete("mock-echo", USER)
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG]
    assert any(m.startswith("request body: ") and "Log line for the storyboard" in m for m in debug)
    assert any(m.startswith("response body: ") and "The body text." in m for m in debug)
    assert any(m.startswith("retrying in ") and "RateLimitError" in m for m in debug)
    assert len(info_lines(caplog)) == 2


async def test_nothing_at_all_below_warning_level(mock_server, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    async with LiteLLMClient(config_for(mock_server)) as client:
        await client.complete("mock-echo", USER)
    assert [r for r in caplog.records if r.name == LOGGER] == []


async def test_the_log_file_gets_one_json_line_per_attempt(mock_server, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)  # the file does not depend on the level
    path = tmp_path / "logs" / "requests.jsonl"
    path.parent.mkdir()
    mock_server.enqueue(status(500, "oops"), reply("ok"))
    async with LiteLLMClient(config_for(mock_server, log_file=str(path))) as client:
        result = await client.complete("mock-echo", USER, kind="description")
        await client.list_models()
    records = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [(r["method"], r["status"], r["attempt"], r["kind"]) for r in records] == [
        ("POST", 500, 1, "description"),
        ("POST", 200, 2, "description"),
        ("GET", 200, 1, "utility"),
    ]
    assert records[0]["request_id"] == records[1]["request_id"] == result.request_id
    assert records[0]["url"] == f"{mock_server.url}/v1/chat/completions"
    assert all(r["latency_ms"] >= 0 and r["time"] > 0 for r in records)
    assert all("error" not in r for r in records)


async def test_the_log_file_records_failures_and_appends(tmp_path):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    path = tmp_path / "requests.jsonl"
    path.write_text('{"earlier": true}\n', "utf-8")
    config = ClientConfig(
        base_url=f"http://127.0.0.1:{port}", max_retries=0, trust_env=False, log_file=str(path)
    )
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError):
            await client.complete("mock-echo", USER)
    earlier, failed = (json.loads(line) for line in path.read_text("utf-8").splitlines())
    assert earlier == {"earlier": True}
    assert failed["status"] is None
    assert failed["error"].startswith("APIConnectionError: Cannot connect to host 127.0.0.1")


async def test_an_unwritable_log_file_warns_once_and_requests_go_on(mock_server, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger=LOGGER)
    path = tmp_path / "missing-dir" / "requests.jsonl"
    async with LiteLLMClient(config_for(mock_server, log_file=str(path))) as client:
        for _ in range(3):
            assert (await client.complete("mock-echo", USER)).text
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "cannot write the request log" in warnings[0]
    assert not path.exists()
