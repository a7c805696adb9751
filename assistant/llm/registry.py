"""Language-model backends by name; each factory builds its backend from the one Settings."""

from __future__ import annotations

from collections.abc import Callable

from assistant.llm.base import Generator, GeneratorError
from assistant.llm.llamacpp import LlamaCppGenerator
from assistant.llm.names import MODEL_BACKENDS
from assistant.llm.openai_server import OpenAIGenerator
from assistant.settings import Settings

GENERATORS: dict[str, Callable[[Settings], Generator]] = {
    "llamacpp": LlamaCppGenerator.from_settings,
    "openai": OpenAIGenerator.from_settings,
}
assert set(GENERATORS) == set(MODEL_BACKENDS), "names.MODEL_BACKENDS and GENERATORS disagree"


def make_generator(name: str, settings: Settings) -> Generator:
    """The backend registered under `name`, built from settings."""
    try:
        factory = GENERATORS[name]
    except KeyError:
        raise GeneratorError(f"unknown language-model backend {name!r}") from None
    return factory(settings)
