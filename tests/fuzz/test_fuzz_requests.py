"""Any request a caller can write, through the real client to the mock server: ``model``,
``messages`` (a list, None, a string, a number, messages of any shape), extra parameters of
any name and value (NaN, infinities, bytes, sets, objects json cannot encode), ``kind``,
``timeout`` and ``cache``. It is sent exactly as asked, or refused before sending with an
``InvalidRequestError`` that says what is wrong; nothing else may come out."""

from __future__ import annotations

import json

from hypothesis import event, example, given
from hypothesis import strategies as st

from litellm_screenwriter.client import (
    ClientConfig,
    InvalidRequestError,
    LiteLLMClient,
    LiteLLMError,
)
from tests.fuzz.conftest import fuzz
from tests.fuzz.strategies import Call, calls


def sent_payload(model, messages, params, streaming: bool) -> dict:
    """What the server must receive: the request as asked, None parameters left out."""
    payload = {"model": model, "messages": list(messages)}
    payload.update((k, v) for k, v in params.items() if v is not None)
    if streaming:
        payload["stream"] = True
        payload.setdefault("stream_options", {"include_usage": True})
    else:
        payload.pop("stream", None)
    return json.loads(json.dumps(payload))


@fuzz(250)
@given(call=calls(), streaming=st.booleans())
@example(call=Call("mock-echo", None, {}, "ask", None, None), streaming=False)
@example(
    call=Call(
        "mock-echo",
        [{"role": "user", "content": "x"}],
        {"stop": [[[[]]]], "temperature": float("nan")},
        ["ask"],
        "30s",
        True,
    ),
    streaming=True,
)
def test_any_request_is_sent_as_asked_or_refused_before_sending(server, run, call, streaming):
    server.reset()
    config = ClientConfig(base_url=server.url, trust_env=False, max_retries=0, cache_enabled=True)

    async def send():
        async with LiteLLMClient(config) as client:
            try:
                if streaming:
                    async with client.stream(
                        call.model,
                        call.messages,
                        kind=call.kind,
                        timeout=call.timeout,
                        cache=call.cache,
                        **call.params,
                    ) as s:
                        async for _ in s:
                            pass
                    return s.completion
                return await client.complete(
                    call.model,
                    call.messages,
                    kind=call.kind,
                    timeout=call.timeout,
                    cache=call.cache,
                    **call.params,
                )
            except LiteLLMError as error:
                return error

    result = run(send())
    event(f"outcome: {type(result).__name__}")
    if isinstance(result, InvalidRequestError):
        assert server.chat_requests == []  # refused before anything was sent
        text = str(result)
        assert text.startswith("The request was not sent")
        assert "\n" not in text
        return
    assert len(server.chat_requests) == 1
    received = server.chat_requests[0].json
    assert received == sent_payload(call.model, call.messages, call.params, streaming)
    if isinstance(result, LiteLLMError):  # the server's answer to an odd but valid request
        assert "\n" not in str(result)
    else:
        assert isinstance(result.text, str)
