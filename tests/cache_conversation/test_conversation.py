"""Conversation: history, undo, budget trimming (system prompt and last user turn always stay),
and the versioned JSON round trip."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from litellm_screenwriter.client.conversation import (
    MESSAGE_OVERHEAD_TOKENS,
    Conversation,
    estimate_tokens,
)


def user(text: str) -> dict:
    return {"role": "user", "content": text}


def assistant(text: str) -> dict:
    return {"role": "assistant", "content": text}


def system(text: str) -> dict:
    return {"role": "system", "content": text}


def words(n_tokens: int) -> str:
    """Text the estimate counts as exactly ``n_tokens`` tokens of content."""
    return "abcd" * n_tokens


# -- estimate_tokens -------------------------------------------------------------------------------


def test_estimate_is_four_chars_a_token_plus_overhead() -> None:
    assert estimate_tokens([]) == 0
    assert estimate_tokens([user("")]) == MESSAGE_OVERHEAD_TOKENS
    assert estimate_tokens([user("abcd")]) == MESSAGE_OVERHEAD_TOKENS + 1
    assert estimate_tokens([user("abcde")]) == MESSAGE_OVERHEAD_TOKENS + 2  # rounds up
    assert (
        estimate_tokens([user(words(10)), assistant(words(5))]) == 2 * MESSAGE_OVERHEAD_TOKENS + 15
    )


def test_estimate_counts_text_parts_and_odd_content() -> None:
    parts = {
        "role": "user",
        "content": [{"type": "text", "text": "abcdefgh"}, {"type": "image"}, 7],
    }
    assert estimate_tokens([parts]) == MESSAGE_OVERHEAD_TOKENS + 2
    assert estimate_tokens([{"role": "assistant", "content": None}]) == MESSAGE_OVERHEAD_TOKENS
    assert estimate_tokens([{"role": "tool", "content": 12345678}]) == MESSAGE_OVERHEAD_TOKENS + 2


# -- history ---------------------------------------------------------------------------------------


def test_add_turns_and_len() -> None:
    conv = Conversation("Be brief.")
    assert len(conv) == 0
    conv.add_user("Who is the hero?")
    conv.add_assistant("MARA.")
    conv.add_exchange("And the villain?", "Her brother.")
    assert len(conv) == 4
    assert conv.messages == [
        user("Who is the hero?"),
        assistant("MARA."),
        user("And the villain?"),
        assistant("Her brother."),
    ]


def test_messages_is_a_copy() -> None:
    conv = Conversation(messages=[user("a")])
    conv.messages.append(user("b"))
    conv.messages[0]["content"] = "changed"
    assert conv.messages == [user("a")]


def test_constructor_copies_its_input() -> None:
    given_messages = [user("a")]
    conv = Conversation(messages=given_messages)
    given_messages[0]["content"] = "changed"
    given_messages.append(user("b"))
    assert conv.messages == [user("a")]


@pytest.mark.parametrize("role", ["system", "tool", "developer", None, "", [], {}])
def test_history_accepts_only_user_and_assistant_roles(role: str | None) -> None:
    with pytest.raises(ValueError, match="'user' or 'assistant'"):
        Conversation(messages=[{"role": role, "content": "x"}])


def test_turn_content_must_be_text() -> None:
    conv = Conversation()
    with pytest.raises(ValueError, match="must be text"):
        conv.add_user(None)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must be text"):
        conv.add_exchange("fine", 42)  # type: ignore[arg-type]
    assert len(conv) == 0  # a refused exchange adds neither half


def test_constructor_validation() -> None:
    with pytest.raises(ValueError, match="must be a dict"):
        Conversation(messages=["hello"])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="system_prompt"):
        Conversation(3)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        Conversation(max_context_tokens=0)
    with pytest.raises(ValueError, match="integer"):
        Conversation(max_context_tokens=True)
    with pytest.raises(ValueError, match="integer"):
        Conversation(max_context_tokens=10.5)  # type: ignore[arg-type]


def test_undo_removes_the_last_exchange() -> None:
    conv = Conversation(messages=[user("1"), assistant("one"), user("2"), assistant("two")])
    assert conv.undo() is True
    assert conv.messages == [user("1"), assistant("one")]
    assert conv.undo() is True
    assert conv.messages == []
    assert conv.undo() is False


def test_undo_removes_a_dangling_user_turn_only() -> None:
    conv = Conversation(messages=[user("1"), assistant("one"), user("unanswered")])
    assert conv.undo() is True
    assert conv.messages == [user("1"), assistant("one")]


def test_undo_of_an_answer_without_question_keeps_the_turn_before() -> None:
    conv = Conversation(messages=[assistant("greeting"), assistant("more")])
    assert conv.undo() is True
    assert conv.messages == [assistant("greeting")]
    assert conv.undo() is True
    assert conv.messages == []


def test_clear_keeps_the_system_prompt() -> None:
    conv = Conversation("sys", [user("a"), assistant("b")], max_context_tokens=99)
    conv.clear()
    assert len(conv) == 0
    assert conv.messages_for_request() == [system("sys")]
    assert conv.max_context_tokens == 99


# -- messages_for_request --------------------------------------------------------------------------


def test_request_is_system_then_history_then_new_user() -> None:
    conv = Conversation("sys", [user("a"), assistant("b")])
    assert conv.messages_for_request("c") == [system("sys"), user("a"), assistant("b"), user("c")]
    assert len(conv) == 2  # building a request does not change the history


def test_empty_system_prompt_is_left_out() -> None:
    conv = Conversation(messages=[user("a")])
    assert conv.messages_for_request() == [user("a")]
    assert Conversation().messages_for_request() == []


def test_new_user_text_is_validated() -> None:
    with pytest.raises(ValueError, match="must be text"):
        Conversation().messages_for_request(5)  # type: ignore[arg-type]


def test_trimming_drops_oldest_exchanges_first() -> None:
    history = []
    for i in range(5):
        history += [user(f"{i}" + words(10)), assistant(f"{i}" + words(10))]
    conv = Conversation("sys", history)
    full = conv.messages_for_request("new")
    assert full[1:-1] == history

    # each turn costs 4 + 11 = 15; system 5; new user 5.
    budget = 5 + 5 + 4 * 15  # room for exactly two exchanges
    trimmed = conv.messages_for_request("new", budget=budget)
    assert trimmed == [system("sys"), *history[-4:], user("new")]
    assert estimate_tokens(trimmed) <= budget

    one_short = conv.messages_for_request("new", budget=budget - 1)
    assert one_short == [system("sys"), *history[-2:], user("new")]


def test_trimming_never_leaves_an_orphaned_answer_at_the_front() -> None:
    conv = Conversation(
        "", [user(words(1)), assistant(words(40)), user(words(1)), assistant(words(1))]
    )
    # dropping only the first user turn would fit, but its answer would start the history
    budget = estimate_tokens(conv.messages[1:]) + estimate_tokens([user("q")])
    assert conv.messages_for_request("q", budget=budget) == [*conv.messages[2:], user("q")]


def test_a_leading_answer_is_kept_when_nothing_is_trimmed() -> None:
    conv = Conversation("", [assistant("Hello, writer."), user("hi")])
    assert conv.messages_for_request() == [assistant("Hello, writer."), user("hi")]


def test_system_and_new_user_stay_even_over_budget() -> None:
    conv = Conversation(words(100), [user("a"), assistant("b")])
    big = words(500)
    assert conv.messages_for_request(big, budget=10) == [system(words(100)), user(big)]


def test_without_new_text_the_last_user_turn_and_its_answer_stay() -> None:
    conv = Conversation(
        "sys", [user(words(50)), assistant(words(50)), user("last"), assistant("ans")]
    )
    assert conv.messages_for_request(budget=1) == [system("sys"), user("last"), assistant("ans")]


def test_without_new_text_a_dangling_last_user_turn_stays() -> None:
    conv = Conversation("sys", [user(words(50)), assistant(words(50)), user(words(300))])
    assert conv.messages_for_request(budget=1) == [system("sys"), user(words(300))]


def test_history_without_user_turns_is_trimmed_entirely_if_needed() -> None:
    conv = Conversation("sys", [assistant(words(50))])
    assert conv.messages_for_request(budget=1) == [system("sys")]


def test_default_budget_is_max_context_tokens() -> None:
    history = [user(words(40)), assistant(words(40))] * 3
    conv = Conversation("", history, max_context_tokens=2 * 44 + 5)
    assert conv.messages_for_request("q") == [*history[-2:], user("q")]
    assert conv.messages_for_request("q", budget=10_000) == [*history, user("q")]


def test_tokens_estimates_the_whole_conversation() -> None:
    conv = Conversation("sys", [user(words(50))])
    assert conv.tokens() == estimate_tokens([system("sys"), user(words(50))])
    assert Conversation().tokens() == 0


@given(
    st.lists(st.tuples(st.text(max_size=60), st.text(max_size=60)), max_size=12),
    st.text(max_size=40),
    st.integers(min_value=0, max_value=400),
)
def test_trimmed_request_properties(exchanges: list, question: str, budget: int) -> None:
    conv = Conversation("Be a helpful script doctor.")
    for q, a in exchanges:
        conv.add_exchange(q, a)
    sent = conv.messages_for_request(question, budget=budget)
    assert sent[0] == system("Be a helpful script doctor.")
    assert sent[-1] == user(question)
    middle = sent[1:-1]
    history = conv.messages
    # what is kept is a suffix of the history, starting with a question
    assert middle == history[len(history) - len(middle) :]
    assert not middle or middle[0]["role"] == "user"
    # it fits, unless only the protected messages are left
    assert estimate_tokens(sent) <= budget or not middle
    # and it is the longest such suffix: one more exchange would not fit
    if len(middle) < len(history):
        longer = history[len(history) - len(middle) - 2 :]
        assert estimate_tokens([sent[0], *longer, sent[-1]]) > budget


# -- JSON ------------------------------------------------------------------------------------------


def test_json_round_trip() -> None:
    conv = Conversation(
        "Tu es un script doctor. «Ça tourne»",
        [user("Qui?"), assistant("MARA 🎬")],
        max_context_tokens=1234,
    )
    text = conv.to_json()
    data = json.loads(text)
    assert data == {
        "version": 1,
        "system_prompt": "Tu es un script doctor. «Ça tourne»",
        "max_context_tokens": 1234,
        "messages": [user("Qui?"), assistant("MARA 🎬")],
    }
    again = Conversation.from_json(text)
    assert again == conv
    assert again is not conv
    assert again.to_json() == text
    assert Conversation.from_json(text.encode("utf-8")) == conv


@given(
    st.text(max_size=30),
    st.lists(st.tuples(st.sampled_from(["user", "assistant"]), st.text(max_size=30)), max_size=8),
    st.integers(min_value=1, max_value=10**6),
)
def test_json_round_trip_property(prompt: str, turns: list, budget: int) -> None:
    conv = Conversation(
        prompt, [{"role": r, "content": c} for r, c in turns], max_context_tokens=budget
    )
    assert Conversation.from_json(conv.to_json()) == conv


def test_from_json_fills_optional_fields() -> None:
    conv = Conversation.from_json('{"version": 1}')
    assert (conv.system_prompt, conv.messages, conv.max_context_tokens) == ("", [], 8000)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not valid JSON"),
        ("{not json", "not valid JSON"),
        ('{"version": 1, "messages": [', "not valid JSON"),
        ("[1, 2]", "must be a JSON object, not list"),
        ('"hello"', "must be a JSON object, not str"),
        ("{}", "unsupported saved conversation version None"),
        ('{"version": 2}', "unsupported saved conversation version 2"),
        ('{"version": "1"}', "unsupported saved conversation version '1'"),
        ('{"version": 1, "messages": {}}', "'messages' must be a list"),
        ('{"version": 1, "messages": [{"role": "system", "content": "x"}]}', "invalid saved"),
        ('{"version": 1, "messages": [{"role": "user"}]}', "must be text"),
        ('{"version": 1, "messages": [7]}', "must be a dict"),
        ('{"version": 1, "system_prompt": 5}', "system_prompt must be text"),
        ('{"version": 1, "max_context_tokens": -5}', "positive"),
    ],
)
def test_corrupt_or_unknown_json_raises_value_error(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Conversation.from_json(text)


def test_from_json_refuses_non_text() -> None:
    with pytest.raises(ValueError, match="not valid JSON"):
        Conversation.from_json(None)  # type: ignore[arg-type]


def test_equality_and_repr() -> None:
    a = Conversation("s", [user("x")])
    assert a == Conversation("s", [user("x")])
    assert a != Conversation("s", [user("y")])
    assert a != Conversation("t", [user("x")])
    assert a != "not a conversation"
    assert repr(a) == "Conversation(turns=1, system_prompt=1 chars, max_context_tokens=8000)"
