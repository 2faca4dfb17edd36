"""TLS and proxies on loopback: an HTTPS mock server whose certificate comes from a throwaway
``trustme`` CA, and a tiny HTTP forward proxy that records the absolute-form requests it relays.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from collections.abc import AsyncIterator, Iterator

import aiohttp
import pytest
import trustme

from litellm_screenwriter.client import (
    APIConnectionError,
    ClientConfig,
    InvalidRequestError,
    LiteLLMClient,
)
from tests.support.mock_server import MockServer

USER = [{"role": "user", "content": "Name the detective"}]
PROXY_VARIABLES = (
    "HTTP_PROXY",
    "http_proxy",
    "HTTPS_PROXY",
    "https_proxy",
    "ALL_PROXY",
    "all_proxy",
    "NO_PROXY",
    "no_proxy",
    "WS_PROXY",
    "ws_proxy",
)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch):
    for name in (*PROXY_VARIABLES, "LITELLM_API_KEY"):
        monkeypatch.delenv(name, raising=False)


# -- TLS ----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def ca_file(ca, tmp_path) -> str:
    path = tmp_path / "screenwriter-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def https_server(ca) -> Iterator[MockServer]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1", "localhost").configure_cert(context)
    with MockServer(ssl_context=context) as server:
        yield server


def tls_config(server: MockServer, **options) -> ClientConfig:
    options.setdefault("max_retries", 2)
    options.setdefault("initial_backoff", 0.001)
    options.setdefault("trust_env", False)
    return ClientConfig(base_url=server.url, **options)


async def test_an_untrusted_certificate_fails_with_a_hint_about_the_ca_file(https_server):
    assert https_server.url.startswith("https://")
    async with LiteLLMClient(tls_config(https_server)) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0  # the same certificate fails the same way again
    text = str(caught.value)
    assert "certificate was not accepted" in text
    assert "CA file" in caught.value.hint
    assert "CA file" in text
    assert https_server.requests == []


async def test_the_ca_file_makes_the_certificate_trusted(https_server, ca_file):
    async with LiteLLMClient(tls_config(https_server, ca_file=ca_file)) as client:
        result = await client.complete("mock-echo", USER)
        async with client.stream("mock-echo", USER) as s:
            deltas = [text async for text in s]
        health = await client.health()
    assert result.text == "Echo: Name the detective"
    assert "".join(deltas) == "Echo: Name the detective"
    assert health.ok


async def test_verify_off_works_and_warns(https_server, caplog):
    caplog.set_level(logging.WARNING, logger="litellm_screenwriter.client")
    async with LiteLLMClient(tls_config(https_server, verify=False)) as client:
        result = await client.complete("mock-echo", USER)
    assert result.text == "Echo: Name the detective"
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "TLS certificate verification is OFF" in warnings[0].getMessage()
    assert https_server.url in warnings[0].getMessage()


async def test_an_unreadable_ca_file_is_refused(https_server, tmp_path):
    missing = tmp_path / "nope.pem"
    client = LiteLLMClient(tls_config(https_server, ca_file=str(missing)))
    with pytest.raises(InvalidRequestError, match="CA file") as caught:
        await client.complete("mock-echo", USER)
    assert "nope.pem" in str(caught.value)
    await client.close()
    assert https_server.requests == []


async def test_a_ca_file_with_plain_http_is_harmless(mock_server, ca_file):
    config = tls_config(mock_server, ca_file=ca_file)
    async with LiteLLMClient(config) as client:
        assert (await client.complete("mock-echo", USER)).text == "Echo: Name the detective"


async def test_https_to_a_plain_http_server_is_a_tls_error_not_retried(mock_server):
    config = ClientConfig(
        base_url=mock_server.url.replace("http://", "https://"),
        max_retries=2,
        initial_backoff=0.001,
        trust_env=False,
    )
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError) as caught:
            await client.complete("mock-echo", USER)
        assert client.stats.retries == 0
    assert "TLS handshake failed" in str(caught.value)
    assert "http://" in caught.value.hint


# -- a forward proxy from the environment -------------------------------------------------------

_HOP_BY_HOP = {
    "connection",
    "proxy-connection",
    "keep-alive",
    "host",
    "content-length",
    "transfer-encoding",
    "proxy-authorization",
    "accept-encoding",
}


class ForwardProxy:
    """A minimal HTTP/1.1 forward proxy on 127.0.0.1: records each request line (absolute
    form) with its headers, relays it to the target and answers with the whole body."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.url = ""
        self._server: asyncio.base_events.Server | None = None

    async def start(self) -> ForwardProxy:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            line = await reader.readline()
            if not line:
                return
            method, target, _version = line.decode("latin-1").split()
            headers: dict[str, str] = {}
            while (header := await reader.readline()) not in (b"\r\n", b"\n", b""):
                name, _, value = header.decode("latin-1").partition(":")
                headers[name.strip()] = value.strip()
            length = int(next((v for k, v in headers.items() if k.lower() == "content-length"), 0))
            body = await reader.readexactly(length) if length else b""
            self.requests.append((method, target, headers))
            relay = {k: v for k, v in headers.items() if k.lower() not in _HOP_BY_HOP}
            async with (
                aiohttp.ClientSession(trust_env=False) as session,
                session.request(method, target, headers=relay, data=body) as response,
            ):
                payload = await response.read()
                answer = [f"HTTP/1.1 {response.status} {response.reason}"]
                for name, value in response.headers.items():
                    if name.lower() not in _HOP_BY_HOP and name.lower() != "content-encoding":
                        answer.append(f"{name}: {value}")
            answer += [
                f"Content-Length: {len(payload)}",
                "Via: 1.1 test-proxy",
                "Connection: close",
            ]
            writer.write(("\r\n".join(answer) + "\r\n\r\n").encode("latin-1") + payload)
            await writer.drain()
        finally:
            writer.close()


@pytest.fixture
async def forward_proxy() -> AsyncIterator[ForwardProxy]:
    proxy = await ForwardProxy().start()
    try:
        yield proxy
    finally:
        await proxy.close()


async def test_http_proxy_from_the_environment_is_used(mock_server, forward_proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        result = await client.complete("mock-echo", USER)
        async with client.stream("mock-echo", USER) as s:
            deltas = [text async for text in s]
    assert result.text == "Echo: Name the detective"
    assert "".join(deltas) == "Echo: Name the detective"
    assert [(m, t) for m, t, _ in forward_proxy.requests] == [
        ("POST", f"{mock_server.url}/v1/chat/completions"),
        ("POST", f"{mock_server.url}/v1/chat/completions"),
    ]
    headers = forward_proxy.requests[0][2]
    assert headers["User-Agent"].startswith("litellm-screenwriter/")
    assert len(mock_server.chat_requests) == 2  # relayed to the real server


async def test_no_proxy_bypasses_the_proxy(mock_server, forward_proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        result = await client.complete("mock-echo", USER)
    assert result.text == "Echo: Name the detective"
    assert forward_proxy.requests == []
    assert len(mock_server.chat_requests) == 1


async def test_trust_env_off_ignores_the_proxy(mock_server, forward_proxy, monkeypatch):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=False)
    async with LiteLLMClient(config) as client:
        result = await client.complete("mock-echo", USER)
    assert result.text == "Echo: Name the detective"
    assert forward_proxy.requests == []


async def test_a_proxy_that_is_down_is_a_connection_error(mock_server, monkeypatch):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        with pytest.raises(APIConnectionError):
            await client.complete("mock-echo", USER)
    assert mock_server.requests == []


async def test_model_lists_and_health_checks_go_through_the_proxy_too(
    mock_server, forward_proxy, monkeypatch
):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        models = await client.list_models()
        health = await client.health()
    assert models == mock_server.models
    assert health.ok
    assert [t for _, t, _ in forward_proxy.requests] == [
        f"{mock_server.url}/v1/models",
        f"{mock_server.url}/health/liveliness",
        f"{mock_server.url}/health/readiness",
    ]


def proxy_credentials(headers: dict[str, str]) -> str:
    import base64

    value = next(v for k, v in headers.items() if k.lower() == "proxy-authorization")
    scheme, _, encoded = value.partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(encoded).decode()


async def test_proxy_credentials_in_its_url_are_sent_to_the_proxy(
    mock_server, forward_proxy, monkeypatch
):
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url.replace("http://", "http://ana:s3cret@"))
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        await client.complete("mock-echo", USER)
    ((_, _, headers),) = forward_proxy.requests
    assert proxy_credentials(headers) == "ana:s3cret"


async def test_proxy_credentials_from_netrc_are_sent_to_the_proxy(
    mock_server, forward_proxy, monkeypatch, tmp_path
):
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bo password pw1\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        await client.complete("mock-echo", USER)
    ((_, _, headers),) = forward_proxy.requests
    assert proxy_credentials(headers) == "bo:pw1"


async def test_a_netrc_entry_for_the_server_does_not_break_requests_with_a_key(
    monkeypatch, tmp_path
):
    # aiohttp's trust_env sent the netrc login as Basic auth, and refused every request that
    # also had the API key's Authorization header (ValueError). The key is what LiteLLM reads.
    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login bo password pw1\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with MockServer(api_key="sk-right") as server:
        config = ClientConfig(
            base_url=server.url, api_key="sk-right", max_retries=0, trust_env=True
        )
        async with LiteLLMClient(config) as client:
            result = await client.complete("mock-echo", USER)
            models = await client.list_models()
        assert result.text == "Echo: Name the detective"
        assert models == server.models
        assert all(r.header("Authorization") == "Bearer sk-right" for r in server.requests)


async def test_the_proxy_settings_are_read_once_per_session(
    mock_server, forward_proxy, monkeypatch
):
    config = ClientConfig(base_url=mock_server.url, max_retries=0, trust_env=True)
    async with LiteLLMClient(config) as client:
        await client.complete("mock-echo", USER)
        monkeypatch.setenv("HTTP_PROXY", forward_proxy.url)  # too late for this session
        await client.complete("mock-echo", USER)
    assert forward_proxy.requests == []
    async with LiteLLMClient(config) as client:  # a new client reads them again
        await client.complete("mock-echo", USER)
    assert len(forward_proxy.requests) == 1
