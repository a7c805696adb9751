"""Test helper: run a real OpenAI-compatible llama.cpp server (``python -m llama_cpp.server``) on loopback.

    with running_llamacpp_server(gguf_path) as base_url:   # "http://127.0.0.1:PORT/v1"
        ...

The server listens on 127.0.0.1 only, on a free port. Its output goes to a log file whose tail is
shown if it fails to start. On exit the process is terminated (killed if it does not stop).
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from evals.serving import HOST, free_port, running, start_process

MODEL_ALIAS = "local"  # matches Settings.openai_model's default


@contextlib.contextmanager
def running_llamacpp_server(
    model_path: str | os.PathLike,
    port: int | None = None,
    *,
    n_ctx: int = 4096,
    n_threads: int = 2,
    startup_timeout: float = 120.0,
    stop_timeout: float = 10.0,
    extra_args: Sequence[str] = (),
    log_path: str | os.PathLike | None = None,
) -> Iterator[str]:
    """Start ``llama_cpp.server`` for ``model_path``; yield its base URL once /v1/models answers."""
    model_path = Path(model_path)
    if not model_path.is_file():
        raise FileNotFoundError(f"no model file at {model_path}")
    port = port or free_port()
    cmd = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_path),
        "--model_alias",
        MODEL_ALIAS,
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(n_ctx),
        "--n_threads",
        str(n_threads),
        "--n_threads_batch",
        str(n_threads),
        # The server's settings default logits_all=True, which keeps n_ctx x vocab float32 logits
        # (4096 x 151,936 x 4 B = 2.5 GB for Qwen) that chat completion never uses.
        "--logits_all",
        "false",
        # Its use_mlock defaults to True: pinning 1 GB needs privileges and buys nothing in tests.
        "--use_mlock",
        "false",
        *extra_args,
    ]
    server = start_process(
        cmd,
        f"http://{HOST}:{port}/v1",
        "/models",
        name="llama_cpp.server",
        log_path=Path(log_path) if log_path else None,
        timeout=startup_timeout,
    )
    with running(server, stop_timeout):
        yield server.base_url
