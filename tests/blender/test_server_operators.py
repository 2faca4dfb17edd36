"""Test Connection, Refresh Models and Detect Server in real Blender, through the worker."""

from __future__ import annotations

import socket

import pytest

from tests.support.mock_server import MockServer

KEY = "sk-blender-test"


def closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


@pytest.fixture(scope="module")
def server():
    with MockServer(api_key=KEY, models=("mock-echo", "mock-analysis", "mock-dialogue")) as s:
        yield s


@pytest.fixture(scope="module")
def report(blender_run, server: MockServer) -> dict:
    return blender_run(
        "server_operators",
        LSW_SERVER_URL=server.url,
        LSW_API_KEY=KEY,
        LSW_CLOSED_URL=closed_url(),
    )


def test_test_connection_reports_latency_and_models(report, server) -> None:
    check = report["check"]
    assert check["returned"] == ["FINISHED"]
    assert check["state"] == "done", check
    assert f"Connected to {server.url}" in check["message"]
    assert "the key is accepted and 3 models are available" in check["message"]
    # health, readiness, then the model list (the part that needs the key)
    paths = [r.path for r in server.requests]
    assert "/health/liveliness" in paths
    assert "/v1/models" in paths


def test_refresh_models_fills_the_model_list(report) -> None:
    assert report["refresh"]["state"] == "done"
    assert report["known_models"] == ["mock-echo", "mock-analysis", "mock-dialogue"]
    assert "mock-echo is one of them" in report["refresh"]["message"]
    unknown = report["refresh_unknown_model"]
    assert "not 'not-on-this-server'" in unknown["message"]
    assert "pick one in the preferences" in unknown["message"]


def test_a_wrong_key_fails_the_check_with_a_message_about_the_key(report) -> None:
    wrong = report["wrong_key"]
    assert wrong["state"] == "failed"
    assert wrong["error"] == "AuthenticationError"
    assert "API key" in wrong["message"]
    assert "sk-wrong-key" not in wrong["message"]


def test_detect_server_finds_the_live_server_and_keeps_it(report, server) -> None:
    detect = report["detect"]
    assert detect["state"] == "done", detect
    assert f"Found a LiteLLM server at {server.url}" in detect["message"]
    assert report["base_url_after_detect"] == server.url


def test_online_access_off_refuses_servers_off_this_computer(report) -> None:
    assert report["online_access"] is False  # the bpy module's default
    assert report["offline_refused"] is True
    assert "Allow Online Access" in report["offline_message"]
    assert report["offline_ask_refused"] is True
    assert "Allow Online Access" in report["offline_ask_message"]
