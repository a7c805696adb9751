"""Language-model backends by name; each factory builds its backend from the one Settings."""

from __future__ import annotations

from collections.abc import Callable

from assistant.llm.base import Generator
from assistant.llm.llamacpp import LlamaCppGenerator
from assistant.llm.names import BACKENDS
from assistant.llm.openai_server import OpenAIGenerator
from assistant.settings import Settings

GENERATORS: dict[str, Callable[[Settings], Generator]] = {
    "llamacpp": LlamaCppGenerator.from_settings,
    "openai": OpenAIGenerator.from_settings,
}
assert set(GENERATORS) == set(BACKENDS) - {"extractive"}, "names.BACKENDS and GENERATORS disagree"
