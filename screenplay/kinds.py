"""The request types, declared once: what each is called, where its answer goes, its default
token budget. The worker's ``Request.kind`` (its timeout profile), the operators, the panel
rows and the command line are all made from these declarations.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

__all__ = ["DEFAULT_BUDGET", "KINDS", "VERBS", "RequestKind", "kind_of"]

DEFAULT_BUDGET = 6000  # prompt tokens: fits a 120-page feature with its outline (issue 10)


@dataclass(frozen=True)
class RequestKind:
    """One request type.

    ``kind`` is the worker's request kind (and the template's file name); ``verb`` the
    command-line word; ``output_text`` the Text datablock its answer streams into; ``budget``
    the default prompt-token budget (None: the whole screenplay, chunked to the model's
    context); ``inserts`` whether its answer is Fountain to insert at the cursor; ``structured``
    whether its answer is the JSON analysis; ``append`` whether answers accumulate.
    """

    kind: str
    verb: str
    label: str
    output_text: str
    budget: int | None = DEFAULT_BUDGET
    needs_prompt: bool = False
    append: bool = False
    inserts: bool = False
    structured: bool = False


KINDS = MappingProxyType(
    {
        k.kind: k
        for k in (
            RequestKind(
                "analysis", "analyze", "Analyze Script", "Screenwriter Analysis",
                budget=None, structured=True,
            ),
            RequestKind(
                "dialogue", "dialogue", "Generate Dialogue", "Screenwriter Dialogue", inserts=True
            ),
            RequestKind(
                "description", "describe", "Describe Scene", "Screenwriter Scene", inserts=True
            ),
            RequestKind("suggestions", "ideas", "Suggest Ideas", "Screenwriter Ideas"),
            RequestKind(
                "ask", "ask", "Ask", "Screenwriter Answer", needs_prompt=True, append=True
            ),
        )
    }
)  # fmt: skip
VERBS = MappingProxyType({k.verb: k for k in KINDS.values()})


def kind_of(name: str) -> RequestKind:
    """The request type named by its kind (``"suggestions"``) or its verb (``"ideas"``)."""
    found = KINDS.get(name) or VERBS.get(name)
    if found is None:
        known = ", ".join(sorted({*KINDS, *VERBS}))
        raise ValueError(f"unknown request type {name!r} (known: {known})")
    return found
