"""Language-model backends behind one small protocol, registered by name.

A `Generator` turns chat messages into text, streamed token by token. The answering service
builds the messages (passages as quoted data) and checks what comes back; a generator knows
nothing about documents or citations.
"""

from __future__ import annotations

from typing import Callable, Iterator, Protocol, runtime_checkable

from assistant.settings import Settings


class GeneratorError(Exception):
    """The language model cannot be used (missing model, bad checksum, server down)."""


@runtime_checkable
class Generator(Protocol):
    name: str

    def stream(self, messages: list[dict], max_tokens: int, temperature: float = 0.0) -> Iterator[str]:
        """Yield text pieces as the model produces them."""
        ...


def generate(generator: Generator, messages: list[dict], max_tokens: int, temperature: float = 0.0) -> str:
    return "".join(generator.stream(messages, max_tokens, temperature))


def _llamacpp(settings: Settings) -> Generator:
    from assistant.answering.llamacpp_backend import LlamaCppGenerator

    return LlamaCppGenerator.from_settings(settings)


def _openai(settings: Settings) -> Generator:
    from assistant.answering.openai_backend import OpenAIGenerator

    return OpenAIGenerator.from_settings(settings)


GENERATORS: dict[str, Callable[[Settings], Generator]] = {
    "llamacpp": _llamacpp,
    "openai": _openai,
}
