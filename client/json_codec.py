"""JSON in and out of the hot path: ``json.dumps``/``json.loads`` with their results and their
errors, without the per-call set-up the ``json`` module does in Python.

On loopback a short request costs about 100 µs of CPU, and the module's own set-up was about
2 µs of it: ``JSONEncoder.encode`` builds a new C encoder (and a closure) on every call, and
``json.loads`` guesses the encoding of bytes, then ``JSONDecoder.decode`` runs two
whitespace regexes around the C scanner. Here the C encoder is built once per thread and the C
scanner is called directly for a text that starts with ``{``; anything else takes the
``json`` module's own path. ``tests/fuzz/test_fuzz_parsers.py`` holds each function to the
``json`` module's outcome for any input.
"""

from __future__ import annotations

import json
import threading
from json import encoder as _json_encoder
from typing import Any

__all__ = ["dumps", "loads", "loads_text"]

# allow_nan=False: NaN and Infinity are not JSON, and a server would refuse them. ASCII escapes
# keep json in its C encoder; the server reads the same JSON.
_ENCODER = json.JSONEncoder(allow_nan=False)
_DECODER = json.JSONDecoder()
_scan = _DECODER.scan_once  # the C scanner (its key memo is cleared after every call)
_make_encoder = _json_encoder.c_make_encoder  # None where the C accelerator is missing


class _ThreadEncoder(threading.local):
    """One C encoder per thread. Its ``markers`` dict (the ids of the lists and dicts being
    encoded, for the "Circular reference detected" check) is the encoder's own: a thread
    encodes one value at a time, and a failed encode can leave entries behind, so it is
    cleared after every failure."""

    def __init__(self) -> None:
        self.markers: dict[int, Any] = {}
        self.encode = _make_encoder(
            self.markers,
            _ENCODER.default,
            _json_encoder.encode_basestring_ascii,
            None,  # indent
            _ENCODER.key_separator,
            _ENCODER.item_separator,
            False,  # sort_keys
            False,  # skipkeys
            False,  # allow_nan
        )


_thread_encoder = _ThreadEncoder() if _make_encoder is not None else None


def dumps(value: Any) -> bytes:
    """``json.dumps(value, allow_nan=False).encode()``: the same bytes, the same errors
    (``TypeError``, ``ValueError``, ``RecursionError``)."""
    local = _thread_encoder
    if local is None:
        return _ENCODER.encode(value).encode()
    try:
        return "".join(local.encode(value, 0)).encode()
    except BaseException:
        local.markers.clear()
        raise


def loads_text(text: str) -> Any:
    """``json.loads(text)`` for a ``str``: the same value, the same errors."""
    if text[:1] == "{":
        try:
            value, end = _scan(text, 0)
        except StopIteration:  # not JSON: json.loads says why, in its own words
            return json.loads(text)
        if end == len(text):
            return value
    return json.loads(text)  # whitespace around it, extra data, or not an object


def loads(raw: bytes) -> Any:
    """``json.loads(raw)`` for ``bytes``: the same value, the same errors.

    ``json.loads`` first guesses the encoding in Python (UTF-8, -16 or -32). A body that opens
    with ``{`` followed by a byte that is not NUL can only be UTF-8, so it is decoded as
    ``json.loads`` would decode it, without the guess.
    """
    if raw[:1] == b"{" and raw[1:2] not in (b"\0", b""):
        return loads_text(raw.decode("utf-8", "surrogatepass"))
    return json.loads(raw)
