"""SSEDecoder: the event-stream rules of the HTML standard, fed in any split of the bytes.

The property tests build a stream from a model (events with names, ids, retries, comments and
multi-line data; every line end LF, CR or CRLF), cut it anywhere (inside CRLF, inside a
multi-byte UTF-8 character, into empty pieces) and check the decoder gives exactly the
events the model says, whatever the cut.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from litellm_screenwriter.client.sse import ServerSentEvent, SSEDecoder

BOM = "\ufeff".encode()


def decode_all(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for chunk in chunks:
        events.extend(decoder.feed(chunk))
    events.extend(decoder.close())
    return events


def pieces(data: bytes, cuts: list[int]) -> list[bytes]:
    """``data`` cut at the given offsets (sorted, duplicates give empty pieces)."""
    bounds = [0, *sorted(cuts), len(data)]
    return [data[a:b] for a, b in itertools.pairwise(bounds)]


def event(data: str, name: str = "message", id: str | None = None, retry: int | None = None):
    return ServerSentEvent(data, name, id, retry)


# -- the basics ----------------------------------------------------------------------------------


def test_one_event_and_then_nothing_pending() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b'data: {"a": 1}\n\n') == [event('{"a": 1}')]
    assert not decoder.pending
    assert decoder.close() == []


def test_several_events_in_one_read_come_out_in_order() -> None:
    stream = b"data: one\n\ndata: two\n\ndata: three\n\n"
    assert [e.data for e in SSEDecoder().feed(stream)] == ["one", "two", "three"]


def test_an_event_is_only_dispatched_by_its_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: partial\n") == []
    assert decoder.pending
    assert decoder.feed(b"\n") == [event("partial")]
    assert not decoder.pending


@pytest.mark.parametrize("end", [b"\n", b"\r", b"\r\n"], ids=["LF", "CR", "CRLF"])
def test_every_line_end_style_reads_the_same(end: bytes) -> None:
    stream = end.join([b"event: scene", b"id: 7", b"data: INT. HOUSE", b"data: DAY", b"", b""])
    assert decode_all(stream) == [event("INT. HOUSE\nDAY", "scene", "7")]


def test_mixed_line_ends_in_one_stream() -> None:
    stream = b"data: a\r\ndata: b\rdata: c\n\r\ndata: d\r\r"
    assert decode_all(stream) == [event("a\nb\nc"), event("d")]


def test_cr_cr_is_two_line_ends_but_cr_lf_is_one() -> None:
    assert decode_all(b"data: x\r\r") == [event("x")]  # CR CR: line end, then a blank line
    assert decode_all(b"data: x\r\n") == []  # CRLF: one line end, no blank line yet
    assert decode_all(b"data: x\r\r\n") == [event("x")]  # CR, then CRLF as the blank line


def test_comments_are_ignored_even_between_data_lines() -> None:
    stream = b": keep-alive\n\n:\ndata: a\n: ping\ndata: b\n\n"
    assert decode_all(stream) == [event("a\nb")]


def test_multi_line_data_joins_with_lf_and_keeps_inner_spacing() -> None:
    stream = b"data: first\ndata:second\ndata:  indented\ndata\ndata: \n\n"
    assert decode_all(stream) == [event("first\nsecond\n indented\n\n")]


def test_only_one_space_after_the_colon_is_removed() -> None:
    assert decode_all(b"data:   three spaces\n\n") == [event("  three spaces")]


def test_data_with_colons_keeps_everything_after_the_first() -> None:
    assert decode_all(b"data: INT. ROOM: NIGHT: 2\n\n") == [event("INT. ROOM: NIGHT: 2")]


def test_empty_data_line_gives_an_event_with_empty_data() -> None:
    assert decode_all(b"data:\n\n") == [event("")]
    assert decode_all(b"data\n\n") == [event("")]


def test_blank_lines_without_data_dispatch_nothing() -> None:
    assert decode_all(b"\n\n\n\r\n\r") == []


def test_event_field_names_the_event_and_is_reset_after_dispatch() -> None:
    stream = b"event: error\ndata: boom\n\ndata: plain\n\n"
    assert [(e.event, e.data) for e in decode_all(stream)] == [
        ("error", "boom"),
        ("message", "plain"),
    ]


def test_an_event_without_data_is_dropped_and_its_name_does_not_leak() -> None:
    stream = b"event: ghost\n\ndata: real\n\n"
    assert decode_all(stream) == [event("real", "message")]


def test_empty_event_name_means_message() -> None:
    assert decode_all(b"event:\ndata: x\n\n") == [event("x", "message")]


def test_id_is_kept_for_later_events_and_by_the_decoder() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n")
    assert [(e.data, e.id) for e in events] == [("a", "1"), ("b", "1"), ("c", "2")]
    assert decoder.last_event_id == "2"


def test_an_empty_id_resets_the_last_event_id() -> None:
    events = decode_all(b"id: 5\ndata: a\n\nid\ndata: b\n\n")
    assert [e.id for e in events] == ["5", ""]


def test_an_id_containing_nul_is_ignored() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(b"id: good\ndata: a\n\nid: b\x00ad\ndata: b\n\n")
    assert [e.id for e in events] == ["good", "good"]
    assert decoder.last_event_id == "good"


def test_retry_takes_digits_only_and_persists() -> None:
    decoder = SSEDecoder()
    events = decoder.feed(
        b"retry: 3000\ndata: a\n\nretry: soon\ndata: b\n\nretry: 1.5\nretry: -1\ndata: c\n\n"
    )
    assert [e.retry for e in events] == [3000, 3000, 3000]
    assert decoder.retry == 3000
    assert decoder.feed(b"retry:250\n\n") == []  # sets retry, dispatches nothing
    assert decoder.retry == 250


def test_unknown_fields_are_ignored() -> None:
    assert decode_all(b"foo: bar\nData: shouting\ndata: x\n\n") == [event("x")]


def test_done_marker_is_plain_data() -> None:
    stream = b'data: {"choices": []}\n\ndata: [DONE]\n\n'
    assert [e.data for e in decode_all(stream)] == ['{"choices": []}', "[DONE]"]


def test_openai_style_stream_with_keepalive_comments_split_per_byte() -> None:
    stream = (
        b": OPENROUTER PROCESSING\n\n"
        b'data: {"choices":[{"delta":{"content":"FADE"}}]}\n\n'
        b": ping\n\n"
        b'data: {"choices":[{"delta":{"content":" IN:"}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    expected = decode_all(stream)
    assert len(expected) == 3
    assert expected[0].data.endswith('"FADE"}}]}')
    assert expected[1].data.endswith('" IN:"}}]}')
    assert expected[2].data == "[DONE]"
    assert decode_all(*[stream[i : i + 1] for i in range(len(stream))]) == expected


# -- bytes split anywhere ------------------------------------------------------------------------


def test_crlf_split_between_reads_is_one_line_end() -> None:
    assert decode_all(b"data: a\r", b"\ndata: b\r", b"\n\r", b"\n") == [event("a\nb")]


def test_empty_reads_between_cr_and_lf_change_nothing() -> None:
    # Regression: an empty read used to forget the pending CR, so its LF became a second line
    # end (a blank line) and dispatched the event early.
    assert decode_all(b"data: a\r", b"", b"\n") == []
    assert decode_all(b"data: a\r", b"", b"", b"\ndata: b\r", b"", b"\n\n") == [event("a\nb")]


def test_lf_that_is_not_after_cr_is_still_a_line_end() -> None:
    assert decode_all(b"data: a\n", b"\n") == [event("a")]
    # The CR ended "data: a"; "x" is a line of its own (an unknown field), then a blank line.
    assert decode_all(b"data: a\r", b"x\n\n") == [event("a")]
    assert decode_all(b"data: a\r", b"x\n") == []


def test_multibyte_utf8_split_across_reads() -> None:
    text = "É🎬漢"  # 2, 4 and 3 bytes
    stream = f"data: {text}\n\n".encode()
    for cut in range(len(stream) + 1):
        assert decode_all(stream[:cut], stream[cut:]) == [event(text)], cut


def test_invalid_utf8_becomes_replacement_characters_not_an_error() -> None:
    assert decode_all(b"data: \xff\xfe ok\n\n") == [event("\ufffd\ufffd ok")]


def test_every_two_way_split_of_a_rich_stream_gives_the_same_events() -> None:
    stream = (
        b"\xef\xbb\xbf: hello\r\nretry: 10\r\nevent: scene\rid: \xc3\xa9\n"
        b"data: INT. CAF\xc3\x89 \xe2\x80\x93 NIGHT\r\ndata:\xf0\x9f\x8e\xac\r\n\r\n"
        b"data: [DONE]\r\r"
    )
    whole = decode_all(stream)
    assert whole == [
        event("INT. CAFÉ – NIGHT\n🎬", "scene", "é", 10),  # noqa: RUF001 (a real en dash)
        event("[DONE]", "message", "é", 10),
    ]
    for cut in range(len(stream) + 1):
        assert decode_all(stream[:cut], stream[cut:]) == whole, cut
        assert decode_all(stream[:cut], b"", stream[cut:]) == whole, cut


# -- byte order mark -----------------------------------------------------------------------------


def test_a_leading_byte_order_mark_is_ignored() -> None:
    # Regression: the BOM used to glue onto the first field name, losing the first event.
    assert decode_all(BOM + b"data: first\n\n") == [event("first")]


def test_a_byte_order_mark_split_over_reads_is_still_ignored() -> None:
    stream = BOM + b"data: first\n\n"
    for a in range(len(stream) + 1):
        for b in range(a, len(stream) + 1):
            assert decode_all(stream[:a], stream[a:b], stream[b:]) == [event("first")], (a, b)


def test_only_the_very_first_byte_order_mark_is_special() -> None:
    # A second BOM is part of the field name, which makes the line an unknown field.
    assert decode_all(BOM + BOM + b"data: x\n\ndata: y\n\n") == [event("y")]
    assert decode_all(b"data: x\n\n" + BOM + b"data: y\n\n") == [event("x")]


def test_bytes_that_only_look_like_the_start_of_a_byte_order_mark_are_kept() -> None:
    # "\xef\xbb" followed by something else is not a BOM: those bytes stay in the data.
    decoder = SSEDecoder()
    assert decoder.feed(b"\xef") == []
    assert decoder.pending
    assert decoder.feed(b"\xbb") == []
    assert decoder.feed(b"Xdata: x\n\ndata: y\n\n") == [event("y")]


def test_a_stream_that_is_only_a_byte_order_mark_yields_nothing() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(BOM) == []
    assert not decoder.pending
    assert decoder.feed(b"data: after\n\n") == [event("after")]


# -- huge events ---------------------------------------------------------------------------------


def test_a_huge_single_line_event_fed_in_small_reads() -> None:
    payload = b"x" * 2_000_000
    stream = b"data: " + payload + b"\n\n"
    decoder = SSEDecoder()
    events: list[ServerSentEvent] = []
    for start in range(0, len(stream), 4096):
        events.extend(decoder.feed(stream[start : start + 4096]))
    assert len(events) == 1
    assert len(events[0].data) == len(payload)
    assert events[0].data == payload.decode()


def test_a_huge_event_of_many_lines() -> None:
    lines = [f"line {i} é" for i in range(50_000)]
    stream = "".join(f"data: {line}\r\n" for line in lines).encode() + b"\r\n"
    events = decode_all(*[stream[i : i + 1000] for i in range(0, len(stream), 1000)])
    assert len(events) == 1
    assert events[0].data.split("\n") == lines


def test_many_events_in_one_read() -> None:
    stream = b"".join(b"data: %d\n\n" % i for i in range(10_000))
    assert [e.data for e in decode_all(stream)] == [str(i) for i in range(10_000)]


# -- close() -------------------------------------------------------------------------------------


def test_close_drops_an_unterminated_event() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: complete\n\ndata: cut off") == [event("complete")]
    assert decoder.pending
    assert decoder.close() == []
    assert not decoder.pending


def test_close_drops_data_lines_without_their_blank_line() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: x\ndata: [DONE]\n") == []
    assert decoder.close() == []
    assert not decoder.pending


def test_after_close_the_decoder_starts_a_fresh_stream_but_keeps_id_and_retry() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"id: 9\nretry: 500\ndata: a\n\nevent: stale\ndata: half")
    decoder.close()
    # Nothing of the dropped event leaks into the next one; the CR state is cleared too.
    assert decoder.feed(BOM + b"data: b\n\n") == [event("b", "message", "9", 500)]
    assert decoder.last_event_id == "9"
    assert decoder.retry == 500


def test_close_forgets_a_pending_cr() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a\r")
    decoder.close()
    # A new stream starting with LF: that LF is a line end of its own, not the old CR's partner.
    assert decoder.feed(b"\ndata: b\n\n") == [event("b")]


def test_close_on_a_fresh_decoder() -> None:
    decoder = SSEDecoder()
    assert decoder.close() == []
    assert not decoder.pending
    assert decoder.last_event_id is None
    assert decoder.retry is None


# -- ServerSentEvent -----------------------------------------------------------------------------


def test_server_sent_event_value_semantics() -> None:
    a = ServerSentEvent("x", "scene", "1", 10)
    assert a == ServerSentEvent("x", "scene", "1", 10)
    assert a != ServerSentEvent("x", "scene", "2", 10)
    assert a != ServerSentEvent("x", "message", "1", 10)
    assert a != "x"
    assert ServerSentEvent("x").event == "message"
    assert ServerSentEvent("x").id is None
    with pytest.raises(TypeError):
        hash(a)
    assert repr(a) == "ServerSentEvent(event='scene', data='x', id='1')"


# -- properties ----------------------------------------------------------------------------------

_LINE_ENDS = ("\n", "\r", "\r\n")
# No CR, LF or NUL; plenty of multi-byte characters so that cuts land inside them.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from('aZ :{}[]"é–漢🎬\u00a0\ufeff'),  # noqa: RUF001 (on purpose)
        st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n\x00"),
    ),
    max_size=12,
)


@st.composite
def streams(draw) -> tuple[bytes, list[ServerSentEvent]]:
    """A stream of events and the events a correct decoder must yield from it."""
    lines: list[str] = []
    expected: list[ServerSentEvent] = []
    last_id: str | None = None
    retry: int | None = None
    for _ in range(draw(st.integers(0, 4))):
        name = None
        data: list[str] = []
        fields = st.sampled_from(["data", "event", "id", "retry", "comment"])
        for kind in draw(st.lists(fields, max_size=6)):
            if kind == "data":
                data.append(draw(_TEXT))
                lines.append("data: " + data[-1])
            elif kind == "event":
                name = draw(_TEXT)
                lines.append("event: " + name)
            elif kind == "id":
                last_id = draw(_TEXT)
                lines.append("id: " + last_id)
            elif kind == "retry":
                retry = draw(st.integers(0, 10**6))
                lines.append(f"retry: {retry}")
            else:
                lines.append(":" + draw(_TEXT))
        if not data and draw(st.booleans()):
            data.append(draw(_TEXT))
            lines.append("data: " + data[-1])
        lines.append("")  # the blank line that dispatches
        if data:
            expected.append(ServerSentEvent("\n".join(data), name or "message", last_id, retry))
    if draw(st.booleans()):  # an unfinished event at the end, dropped by close()
        lines.append("data: " + draw(_TEXT))
    out: list[str] = []
    previous_end = ""
    for line in lines:
        end = draw(st.sampled_from(_LINE_ENDS))
        if previous_end == "\r" and line == "" and end == "\n":
            end = "\r\n"  # CR then a lone LF would be one line end, not two
        out.append(line + end)
        previous_end = end
    stream = "".join(out).encode()
    if draw(st.booleans()):
        stream = BOM + stream
    return stream, expected


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_any_split_gives_the_events_of_the_model(data) -> None:
    stream, expected = data.draw(streams())
    cuts = data.draw(st.lists(st.integers(0, len(stream)), max_size=8))
    # Aim some cuts at the hard places: between CR and LF, inside a UTF-8 character, and
    # twice at one offset (an empty read).
    after_cr = [i + 1 for i, byte in enumerate(stream) if byte == 0x0D]
    inside_char = [i for i, byte in enumerate(stream) if 0x80 <= byte < 0xC0]
    for hard in (after_cr, inside_char):
        if hard:
            cuts += data.draw(st.lists(st.sampled_from(hard), max_size=4))
    if cuts:
        cuts += data.draw(st.lists(st.sampled_from(cuts), max_size=3))
    assert decode_all(stream) == expected
    assert decode_all(*pieces(stream, cuts)) == expected


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_byte_by_byte_feeding_matches_whole_feeding(data) -> None:
    stream, expected = data.draw(streams())
    decoder = SSEDecoder()
    events = [e for i in range(len(stream)) for e in decoder.feed(stream[i : i + 1])]
    assert events == expected
    assert decoder.close() == []
    assert not decoder.pending


@settings(max_examples=200, deadline=None)
@given(stream=st.binary(max_size=200), cuts=st.lists(st.integers(0, 200), max_size=10))
def test_arbitrary_bytes_never_crash_and_split_invariantly(stream: bytes, cuts: list[int]) -> None:
    cuts = [min(c, len(stream)) for c in cuts]
    assert decode_all(*pieces(stream, cuts)) == decode_all(stream)


@settings(max_examples=100, deadline=None)
@given(stream=st.binary(max_size=120).map(lambda b: b.replace(b"\r", b"\r\n")))
def test_every_cut_inside_crlf_heavy_streams_is_harmless(stream: bytes) -> None:
    whole = decode_all(stream)
    for cut in range(len(stream) + 1):
        assert decode_all(stream[:cut], stream[cut:]) == whole
