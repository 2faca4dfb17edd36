"""The local token estimate every budget of this package is counted in.

About four characters a token plus four tokens of framing per chat message: the rule
``client.conversation`` uses (kept in step by tests/screenplay/test_tokens.py), so a prompt
built here and a conversation trimmed there agree. Real tokenizers give 3.5 to 4.5 characters a
token on English screenplay text; the budgets leave room for that spread.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["CHARS_PER_TOKEN", "MESSAGE_OVERHEAD_TOKENS", "message_tokens", "text_tokens"]

CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4


def text_tokens(text: str) -> int:
    """Estimated tokens of a piece of text."""
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def message_tokens(messages: Iterable[Mapping[str, Any]]) -> int:
    """Estimated prompt tokens of chat ``messages``."""
    total = 0
    for message in messages:
        content = message.get("content")
        total += MESSAGE_OVERHEAD_TOKENS + text_tokens(content if isinstance(content, str) else "")
    return total
