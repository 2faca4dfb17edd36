"""The values the client hands back, and the fast way the hot path builds them."""

from __future__ import annotations

import dataclasses

import pytest

from litellm_screenwriter.client.types import Completion, Health, ServerCheck, Usage, filled


@pytest.mark.parametrize("cls", [Completion, Usage, Health, ServerCheck])
def test_filled_makes_what_the_dataclass_init_makes(cls):
    values = {
        Completion: {
            "text": "INT. BARN",
            "finish_reason": "stop",
            "usage": Usage(1, 2, 3),
            "cost": 0.5,
            "request_id": "r",
            "model": "m",
            "raw": {"id": "x"},
            "cached": False,
        },
        Usage: {"prompt_tokens": 1, "completion_tokens": 2, "total_tokens": 3},
        Health: {"alive": True, "ready": None, "latency_ms": 1.0, "url": "u", "detail": ""},
        ServerCheck: {"url": "u", "alive": True, "ready": True, "latency_ms": 2.0, "models": ()},
    }[cls]
    # every field given, and the class does nothing in __post_init__ that filled() would skip
    assert set(values) == {f.name for f in dataclasses.fields(cls)}
    assert not hasattr(cls, "__post_init__")
    fast, slow = filled(cls, **values), cls(**values)
    assert type(fast) is cls
    assert fast == slow
    assert vars(fast) == vars(slow)
    assert repr(fast) == repr(slow)
    assert hash(fast) == hash(slow)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.__setattr__(next(iter(values)), None)
