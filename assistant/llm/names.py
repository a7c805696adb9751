"""The answer backends by name: one list, used by settings, the API, the CLI and the UI."""

from __future__ import annotations

from typing import Literal, get_args

BackendName = Literal["extractive", "llamacpp", "openai"]
BACKENDS: tuple[str, ...] = get_args(BackendName)
BACKENDS_HELP = " | ".join(BACKENDS)
