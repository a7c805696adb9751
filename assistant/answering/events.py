"""What the answer flow yields: sources, tokens, then the final Answer; and that Answer collected."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from assistant.schema import Answer, Citation


@dataclass
class Event:
    type: str  # "sources" (list[Citation]) | "token" (str) | "final" (Answer)
    data: list[Citation] | str | Answer


def final_answer(events: Iterator[Event]) -> Answer:
    """The Answer a stream of events ends with (the flow collected, for a non-streaming caller)."""
    final = None
    for event in events:
        if isinstance(event.data, Answer):
            final = event.data
    assert final is not None, "the answer stream ended without a final answer"
    return final
