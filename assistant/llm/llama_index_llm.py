"""Any llama-index LLM as an answer generator.

``LlamaIndexGenerator(llm)`` implements the `Generator` protocol through ``llm.stream_chat``: the
chat messages become llama-index ChatMessages and the stream's deltas are the pieces. `max_tokens`
and `temperature` go to ``stream_chat`` as keyword arguments, which OpenAI-style integrations
forward to their server; an LLM that ignores them generates with its own settings. Any failure of
the LLM becomes a GeneratorError naming it.

Hand it to the services under a backend name, e.g.
``Services(settings, generators={"openai": LlamaIndexGenerator(llm)})``; the answer service then
builds the prompts and checks the citations as for the built-in backends.
"""

from __future__ import annotations

from collections.abc import Iterator

from llama_index.core.base.llms.types import ChatMessage, MessageRole
from llama_index.core.llms import LLM

from assistant.llm.base import GeneratorError


class LlamaIndexGenerator:
    def __init__(self, llm: LLM, name: str | None = None) -> None:
        self.llm = llm
        self.name = name or f"llama-index/{llm.metadata.model_name}"

    def stream(
        self, messages: list[dict], max_tokens: int, temperature: float = 0.0, usage: dict[str, int] | None = None
    ) -> Iterator[str]:
        """Yield the text deltas of ``llm.stream_chat``; usage counts the deltas as completion tokens
        (llama-index's streaming interface reports no token counts of its own)."""
        chat = [ChatMessage(role=MessageRole(m["role"]), content=m["content"]) for m in messages]
        deltas = 0
        try:
            for response in self.llm.stream_chat(chat, max_tokens=max_tokens, temperature=temperature):
                if response.delta:
                    deltas += 1
                    yield response.delta
            if usage is not None:
                usage["completion_tokens"] = deltas
        except GeneratorError:
            raise
        except Exception as exc:  # any integration's own errors (HTTP, client, runtime)
            raise GeneratorError(f"{self.name} failed: {exc.__class__.__name__}: {exc}") from exc

    def list_models(self) -> list[str]:
        """The model the LLM names (what the readiness check of the "openai" backend asks for)."""
        return [self.llm.metadata.model_name]
