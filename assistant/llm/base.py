"""The language-model protocol: chat messages in, text pieces out.

A `Generator` turns chat messages into text, streamed token by token. The answering service
builds the messages (passages as quoted data) and checks what comes back; a generator knows
nothing about documents or citations.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol, runtime_checkable


class GeneratorError(Exception):
    """The language model cannot be used (missing model, bad checksum, server down)."""


@runtime_checkable
class Generator(Protocol):
    name: str

    def stream(
        self, messages: list[dict], max_tokens: int, temperature: float = 0.0, usage: dict[str, int] | None = None
    ) -> Iterator[str]:
        """Yield text pieces as the model produces them. `usage`, when given, is filled with
        ``prompt_tokens`` and ``completion_tokens`` (as OpenAI's API counts them) once the stream ends."""
        ...


def generate(generator: Generator, messages: list[dict], max_tokens: int, temperature: float = 0.0) -> str:
    return "".join(generator.stream(messages, max_tokens, temperature))
