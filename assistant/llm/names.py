"""The answer backends by name: one list, used by settings, the API, the CLI and the UI."""

from __future__ import annotations

from typing import Literal, get_args

BackendName = Literal["auto", "extractive", "llamacpp", "openai"]
BACKENDS: tuple[str, ...] = get_args(BackendName)
# "auto" routes each question to extractive or a language model (settings.route_*)
MODEL_BACKENDS: tuple[str, ...] = tuple(b for b in BACKENDS if b not in ("auto", "extractive"))
BACKENDS_HELP = " | ".join(BACKENDS)
