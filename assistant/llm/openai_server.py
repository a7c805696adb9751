"""Generation through any OpenAI-compatible server (Ollama, vLLM, llama.cpp server, OpenAI).

Uses the official ``openai`` client. Every failure (server down, timeout, HTTP error, broken
stream) becomes a GeneratorError that names the server URL and what failed.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, cast

import openai

from assistant.llm.base import GeneratorError
from assistant.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    from openai.types.chat import ChatCompletionMessageParam

DEFAULT_MAX_RETRIES = 1


class OpenAIGenerator:
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "not-needed",
        timeout: float = 120.0,
        max_retries: int = DEFAULT_MAX_RETRIES,
        client: openai.OpenAI | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.model = model
        self.timeout = timeout
        self.name = f"openai/{model}"
        # An empty key makes the client look for OPENAI_API_KEY and fail; local servers need none.
        self._client = client or openai.OpenAI(
            base_url=self.base_url,
            api_key=api_key or "not-needed",
            timeout=timeout,
            max_retries=max_retries,
        )

    @classmethod
    def from_settings(cls, settings: Settings) -> OpenAIGenerator:
        return cls(
            base_url=settings.openai_base_url,
            model=settings.openai_model,
            api_key=settings.openai_api_key.get_secret_value(),
            timeout=settings.openai_timeout,
        )

    def stream(
        self, messages: list[dict], max_tokens: int, temperature: float = 0.0, usage: dict[str, int] | None = None
    ) -> Iterator[str]:
        """Yield content deltas of a streamed chat completion; usage as the server reports it (a
        final usage chunk), else the number of streamed pieces as completion tokens."""
        try:
            response = self._client.chat.completions.create(
                model=self.model,
                messages=cast("list[ChatCompletionMessageParam]", messages),  # role/content dicts
                max_tokens=max_tokens,
                temperature=temperature,
                stream=True,
            )
            finish_reason = None
            n_pieces = 0
            with response:
                for chunk in response:
                    if chunk.usage is not None and usage is not None:
                        usage["prompt_tokens"] = int(chunk.usage.prompt_tokens)
                        usage["completion_tokens"] = int(chunk.usage.completion_tokens)
                    if not chunk.choices:  # e.g. a final usage-only chunk
                        continue
                    choice = chunk.choices[0]
                    finish_reason = choice.finish_reason or finish_reason
                    piece = choice.delta.content if choice.delta is not None else None
                    if piece:
                        n_pieces += 1
                        yield piece
        except openai.OpenAIError as e:
            raise self._error("chat completion", e) from e
        if usage is not None and "completion_tokens" not in usage:
            usage["completion_tokens"] = n_pieces
        if finish_reason is None:
            # A stream that stops without a finish_reason was cut off. llama_cpp.server does this
            # (HTTP 200, empty event stream) when the prompt exceeds its context window.
            raise GeneratorError(
                f"chat completion failed: the OpenAI-compatible server at {self.base_url} ended the stream "
                f"after {n_pieces} piece(s) without a finish_reason (the answer is incomplete; with "
                "llama_cpp.server this means the prompt did not fit its context window, see its log)"
            )

    def list_models(self) -> list[str]:
        """Model ids the server offers; a cheap health check (GeneratorError when unreachable)."""
        try:
            return [m.id for m in self._client.models.list()]
        except openai.OpenAIError as e:
            raise self._error("listing models", e) from e

    def _error(self, what: str, e: openai.OpenAIError) -> GeneratorError:
        where = f"the OpenAI-compatible server at {self.base_url}"
        if isinstance(e, openai.APITimeoutError):
            msg = f"{what} timed out after {self.timeout:g} s waiting for {where} (ASSISTANT_OPENAI_TIMEOUT)"
        elif isinstance(e, openai.APIConnectionError):
            cause = e.__cause__ or e.__context__
            detail = f": {cause}" if cause else ""
            msg = (
                f"{what} failed: cannot connect to {where}{detail}; is the server running? (ASSISTANT_OPENAI_BASE_URL)"
            )
        elif isinstance(e, (openai.AuthenticationError, openai.PermissionDeniedError)):
            msg = f"{what} failed: {where} rejected the API key (HTTP {e.status_code}; ASSISTANT_OPENAI_API_KEY)"
        elif isinstance(e, openai.NotFoundError):
            msg = (
                f"{what} failed: {where} answered 404 for model {self.model!r}: {_short(e)} "
                "(check ASSISTANT_OPENAI_MODEL, and that the base URL ends in /v1)"
            )
        elif isinstance(e, openai.APIStatusError):
            msg = f"{what} failed: {where} answered HTTP {e.status_code}: {_short(e)}"
        else:
            msg = f"{what} failed at {where}: {_short(e)}"
        return GeneratorError(msg)


def _short(e: Exception, limit: int = 300) -> str:
    text = str(getattr(e, "message", None) or e).strip()
    return text if len(text) <= limit else text[:limit] + "..."
