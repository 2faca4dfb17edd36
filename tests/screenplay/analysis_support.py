"""A valid analysis of any screenplay, built from its parse (for tests and the mock servers)."""

from __future__ import annotations

import json
from collections.abc import Iterable


def analysis_for(numbers: Iterable[int], total: int, *, tag: str = "") -> dict:
    numbers = list(numbers)
    last = max(total, 1)
    return {
        "logline": f"A keeper fights to keep her light burning{tag}.",
        "genre": "Drama",
        "tone": f"Salt-dry and tender{tag}",
        "themes": ["duty", f"being needed{tag}"],
        "acts": [
            {
                "name": "Act One",
                "summary": f"The notice{tag}.",
                "first_scene": 1,
                "last_scene": min(5, last),
                "sequences": [],
            },
            {
                "name": "Act Two",
                "summary": f"The storm{tag}.",
                "first_scene": min(6, last),
                "last_scene": last,
                "sequences": [
                    {
                        "name": "Rescue",
                        "summary": "The horn.",
                        "first_scene": min(6, last),
                        "last_scene": last,
                    }
                ],
            },
        ],
        "characters": [
            {
                "name": "MAREN",
                "role": "protagonist",
                "description": "The keeper.",
                "arc": f"from alone to needed{tag}",
            },
            {
                "name": "DR. PIKE",
                "role": "antagonist",
                "description": "The inspector.",
                "arc": "from numbers to people",
            },
        ],
        "scenes": {
            str(n): {
                "summary": f"Scene {n} happens.",
                "purpose": "Moves the story.",
                "conflict": "Keeper against the sea.",
            }
            for n in numbers
        },
        "strengths": ["A clear ticking clock", f"Economical dialogue{tag}"],
        "weaknesses": ["The inspector turns too fast"],
        "suggestions": ["Give O’CONNELL a scene of his own"],
    }


def analysis_json(numbers: Iterable[int], total: int, **kwargs) -> str:
    return json.dumps(analysis_for(numbers, total, **kwargs), ensure_ascii=False)
