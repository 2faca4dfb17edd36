"""A conversation with the model: a system prompt plus the user/assistant turns so far, trimmed to
fit a token budget before each request and saved as versioned JSON (the .blend keeps it).

Token counts are a local estimate (about four characters a token plus a small overhead per
message), good enough to stay under a context window without a tokenizer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from typing import Any

from . import defaults

__all__ = [
    "CHARS_PER_TOKEN",
    "FORMAT_VERSION",
    "HISTORY_ROLES",
    "MESSAGE_OVERHEAD_TOKENS",
    "Conversation",
    "estimate_tokens",
]

CHARS_PER_TOKEN = defaults.CHARS_PER_TOKEN
MESSAGE_OVERHEAD_TOKENS = defaults.MESSAGE_OVERHEAD_TOKENS
FORMAT_VERSION = defaults.CONVERSATION_FORMAT_VERSION
HISTORY_ROLES = defaults.HISTORY_ROLES
DEFAULT_MAX_CONTEXT_TOKENS = defaults.DEFAULT_MAX_CONTEXT_TOKENS


def _content_chars(content: Any) -> int:
    if isinstance(content, str):
        return len(content)
    if isinstance(content, list):  # OpenAI content parts: count the text ones
        return sum(len(part.get("text", "")) for part in content if isinstance(part, Mapping))
    return 0 if content is None else len(str(content))


def estimate_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of ``messages``: ceil(characters / 4) plus a fixed overhead each."""
    return sum(
        MESSAGE_OVERHEAD_TOKENS + math.ceil(_content_chars(m.get("content")) / CHARS_PER_TOKEN)
        for m in messages
    )


def _turn(role: Any, content: Any) -> dict[str, str]:
    if not isinstance(role, str) or role not in HISTORY_ROLES:  # a list role is unhashable
        raise ValueError(
            f"a conversation turn must have role 'user' or 'assistant', not {role!r} "
            "(the system prompt is set separately)"
        )
    if not isinstance(content, str):
        raise ValueError(f"the content of a {role} turn must be text, not {type(content).__name__}")
    return {"role": role, "content": content}


class Conversation:
    """A system prompt and a history of user/assistant turns.

    ``len()`` is the number of turns in the history (the system prompt is not a turn).
    ``messages_for_request()`` builds what to send: the system prompt, then as many of the most
    recent turns as fit ``max_context_tokens`` (or the ``budget`` given), then the new user text.
    """

    def __init__(
        self,
        system_prompt: str = "",
        messages: list[dict] | None = None,
        *,
        max_context_tokens: int = DEFAULT_MAX_CONTEXT_TOKENS,
    ) -> None:
        if not isinstance(system_prompt, str):
            raise ValueError(f"system_prompt must be text, not {type(system_prompt).__name__}")
        if isinstance(max_context_tokens, bool) or not isinstance(max_context_tokens, int):
            raise ValueError(f"max_context_tokens must be an integer, not {max_context_tokens!r}")
        if max_context_tokens < 1:
            raise ValueError(f"max_context_tokens must be positive, got {max_context_tokens}")
        self.system_prompt = system_prompt
        self.max_context_tokens = max_context_tokens
        self._turns: list[dict[str, str]] = []
        for message in messages or ():
            if not isinstance(message, Mapping):
                raise ValueError(f"each message must be a dict, not {type(message).__name__}")
            self._turns.append(_turn(message.get("role"), message.get("content")))

    # -- history --------------------------------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, str]]:
        """A copy of the history, oldest first (without the system prompt)."""
        return [dict(turn) for turn in self._turns]

    def add_user(self, text: str) -> None:
        """Append a user turn."""
        self._turns.append(_turn("user", text))

    def add_assistant(self, text: str) -> None:
        """Append an assistant turn."""
        self._turns.append(_turn("assistant", text))

    def add_exchange(self, user: str, assistant: str) -> None:
        """Append a question and its answer (both checked before either is added)."""
        turns = [_turn("user", user), _turn("assistant", assistant)]
        self._turns.extend(turns)

    def undo(self) -> bool:
        """Remove the last exchange: the last answer and the question before it, or a question
        still waiting for its answer. Returns False when there was nothing to remove."""
        if not self._turns:
            return False
        removed = self._turns.pop()
        if removed["role"] == "assistant" and self._turns and self._turns[-1]["role"] == "user":
            self._turns.pop()
        return True

    def clear(self) -> None:
        """Forget the history; the system prompt and the budget stay."""
        self._turns.clear()

    def __len__(self) -> int:
        return len(self._turns)

    # -- building a request ---------------------------------------------------------------------

    def messages_for_request(
        self, new_user_text: str | None = None, *, budget: int | None = None
    ) -> list[dict[str, str]]:
        """The messages to send, trimmed oldest-first to ``budget`` estimated tokens.

        The system prompt (when not empty) and the last user turn (``new_user_text`` when given,
        else the last user turn of the history, with whatever follows it) always stay, even if
        they alone exceed the budget. Older turns go from the oldest, and a kept history never
        starts with an orphaned answer. The conversation itself is not changed.
        """
        limit = self.max_context_tokens if budget is None else budget
        head = self._head()
        history = self.messages
        if new_user_text is not None:
            tail = [_turn("user", new_user_text)]
        else:
            last_user = next(
                (i for i in range(len(history) - 1, -1, -1) if history[i]["role"] == "user"),
                None,
            )
            split = len(history) if last_user is None else last_user
            history, tail = history[:split], history[split:]

        used = estimate_tokens(head) + estimate_tokens(tail)
        sizes = [estimate_tokens((turn,)) for turn in history]
        used += sum(sizes)
        start = 0
        while start < len(history) and used > limit:
            used -= sizes[start]
            start += 1
            while start < len(history) and history[start]["role"] == "assistant":
                used -= sizes[start]  # its question is gone: drop the orphaned answer too
                start += 1
        return head + history[start:] + tail

    def tokens(self) -> int:
        """Estimated tokens of the whole conversation, system prompt included, untrimmed."""
        return estimate_tokens(self._head() + self._turns)

    def _head(self) -> list[dict[str, str]]:
        return [{"role": "system", "content": self.system_prompt}] if self.system_prompt else []

    # -- persistence ----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The versioned plain-data form that ``to_json`` writes."""
        return {
            "version": FORMAT_VERSION,
            "system_prompt": self.system_prompt,
            "max_context_tokens": self.max_context_tokens,
            "messages": self.messages,
        }

    def to_json(self) -> str:
        """The conversation as a JSON document ``{"version": 1, ...}``."""
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: Any) -> Conversation:
        """Rebuild from ``to_dict()`` output; anything else raises ValueError saying what is
        wrong."""
        if not isinstance(data, Mapping):
            raise ValueError(
                f"a saved conversation must be a JSON object, not {type(data).__name__}"
            )
        version = data.get("version")
        if version != FORMAT_VERSION:
            raise ValueError(
                f"unsupported saved conversation version {version!r} "
                f"(this version of the extension reads version {FORMAT_VERSION})"
            )
        messages = data.get("messages", [])
        if not isinstance(messages, list):
            raise ValueError("a saved conversation's 'messages' must be a list")
        try:
            return cls(
                data.get("system_prompt", ""),
                messages,
                max_context_tokens=data.get("max_context_tokens", DEFAULT_MAX_CONTEXT_TOKENS),
            )
        except ValueError as error:
            raise ValueError(f"invalid saved conversation: {error}") from None

    @classmethod
    def from_json(cls, text: str | bytes) -> Conversation:
        """Rebuild from ``to_json()`` output; corrupt or unknown JSON raises ValueError."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as error:
            raise ValueError(f"a saved conversation is not valid JSON: {error}") from None
        except RecursionError:  # nested deeper than the parser's recursion limit
            raise ValueError("a saved conversation is JSON nested too deeply to read") from None
        return cls.from_dict(data)

    # -- value behaviour ------------------------------------------------------------------------

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Conversation):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return (
            f"Conversation(turns={len(self._turns)}, "
            f"system_prompt={len(self.system_prompt)} chars, "
            f"max_context_tokens={self.max_context_tokens})"
        )
