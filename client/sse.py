"""An incremental decoder for server-sent events, fed raw bytes as they arrive.

It knows nothing about HTTP, so it can be fed any split of a stream (and is property-tested
that way). It follows the event-stream rules of the HTML standard: LF, CR and CRLF line ends
(a CR at the end of one read and the LF at the start of the next are one line end), comment
lines, ``event``/``data``/``id``/``retry`` fields, multi-line data, UTF-8 characters split
across reads, events of any size, and one UTF-8 byte order mark at the start of the stream
(ignored, even when split across reads).
"""

from __future__ import annotations

__all__ = ["SSEDecoder", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"


class ServerSentEvent:
    """One dispatched event. ``event`` is ``"message"`` unless the server named it."""

    __slots__ = ("data", "event", "id", "retry")

    def __init__(
        self, data: str, event: str = "message", id: str | None = None, retry: int | None = None
    ) -> None:
        self.data = data
        self.event = event
        self.id = id
        self.retry = retry

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ServerSentEvent):
            return NotImplemented
        return (self.data, self.event, self.id, self.retry) == (
            other.data,
            other.event,
            other.id,
            other.retry,
        )

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"ServerSentEvent(event={self.event!r}, data={self.data!r}, id={self.id!r})"


class SSEDecoder:
    """Feed bytes with ``feed()``, get the events completed by them; ``close()`` at the end.

    ``last_event_id`` and ``retry`` keep the last values the stream set, as the standard asks.
    """

    __slots__ = ("_data", "_event", "_partial", "_skip_lf", "_started", "last_event_id", "retry")

    def __init__(self) -> None:
        self._partial: list[bytes] = []  # bytes of the current, unfinished line
        self._skip_lf = False  # the previous read ended with CR: a leading LF is its partner
        self._started = False  # past the first bytes, where a byte order mark may stand
        self._data: list[bytes] = []
        self._event: bytes = b""
        self.last_event_id: str | None = None
        self.retry: int | None = None

    @property
    def pending(self) -> bool:
        """True when bytes of an unfinished event are buffered."""
        return bool(self._partial or self._data or self._event)

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode ``chunk``; return the events it completed (often none, sometimes several)."""
        if not chunk:  # nothing to do; above all, a pending CR must still meet its LF
            return []
        if not self._started:
            if self._partial:  # the first bytes of the stream, held back by the test below
                chunk = b"".join(self._partial) + chunk
                self._partial.clear()
            if len(chunk) < len(_BOM) and _BOM.startswith(chunk):
                self._partial.append(chunk)  # maybe a split byte order mark: wait for more
                return []
            self._started = True
            if chunk.startswith(_BOM):
                chunk = chunk[len(_BOM) :]
                if not chunk:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk[-1:] == b"\r":
                self._skip_lf = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        elif b"\n" not in chunk:
            if chunk:
                self._partial.append(chunk)
            return []
        if self._partial:
            self._partial.append(chunk)
            chunk = b"".join(self._partial)
            self._partial.clear()
        lines = chunk.split(b"\n")
        rest = lines.pop()
        if rest:
            self._partial.append(rest)
        events: list[ServerSentEvent] = []
        for line in lines:
            event = self._line(line)
            if event is not None:
                events.append(event)
        return events

    def close(self) -> list[ServerSentEvent]:
        """End of stream: an event not terminated by a blank line is dropped, per the standard.

        Returns the events that a final unterminated line completes (always none today; kept
        so callers need not change if a lenient mode is added).
        """
        self._partial.clear()
        self._data.clear()
        self._event = b""
        self._skip_lf = False
        self._started = False
        return []

    def _line(self, line: bytes) -> ServerSentEvent | None:
        if line[:6] == b"data: ":  # the common case first
            self._data.append(line[6:])
            return None
        if not line:
            return self._dispatch()
        if line[:1] == b":":
            return None
        name, colon, value = line.partition(b":")
        if colon and value[:1] == b" ":
            value = value[1:]
        if name == b"data":
            self._data.append(value)
        elif name == b"event":
            self._event = value
        elif name == b"id":
            if b"\0" not in value:
                self.last_event_id = value.decode("utf-8", "replace")
        elif name == b"retry" and value.isdigit():
            self.retry = int(value)
        return None

    def _dispatch(self) -> ServerSentEvent | None:
        if not self._data:
            self._event = b""
            return None
        data = b"\n".join(self._data).decode("utf-8", "replace")
        event = self._event.decode("utf-8", "replace") if self._event else "message"
        self._data.clear()
        self._event = b""
        return ServerSentEvent(data, event, self.last_event_id, self.retry)
