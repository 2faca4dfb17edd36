"""The ``Timeout`` value: how long one request may take, phase by phase.

One object per request kind (analysis, dialogue, ...), so a minutes-long script analysis and a
two-second health check each get limits that suit them.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Timeout"]


@dataclass(frozen=True)
class Timeout:
    """Limits in seconds; ``None`` means no limit for that phase.

    - ``connect``: opening the TCP (and TLS) connection.
    - ``first_byte``: from sending the request until the first bytes of the answer's body.
    - ``idle``: the longest gap allowed between two reads of a streamed answer.
    - ``total``: one attempt, from sending the request until its last byte.
    """

    connect: float | None = 10.0
    first_byte: float | None = 60.0
    idle: float | None = 30.0
    total: float | None = 300.0

    def __post_init__(self) -> None:
        for name in ("connect", "first_byte", "idle", "total"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise ValueError(f"Timeout.{name} must be a positive number of seconds or None")

    def __repr__(self) -> str:
        def show(value: float | None) -> str:
            return "none" if value is None else f"{value:g}s"

        return (
            f"Timeout(connect={show(self.connect)}, first_byte={show(self.first_byte)}, "
            f"idle={show(self.idle)}, total={show(self.total)})"
        )
