"""Test helper: run a real OpenAI-compatible llama.cpp server (``python -m llama_cpp.server``) on loopback.

    with running_llamacpp_server(gguf_path) as base_url:   # "http://127.0.0.1:PORT/v1"
        ...

The server listens on 127.0.0.1 only, on a free port. Its output goes to a log file whose tail is
shown if it fails to start. On exit the process is terminated (killed if it does not stop).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Iterator, Sequence

import httpx

from support.servers import free_port

HOST = "127.0.0.1"
MODEL_ALIAS = "local"  # matches Settings.openai_model's default




def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


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
    base_url = f"http://{HOST}:{port}/v1"
    cmd = [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(model_path),
        "--model_alias", MODEL_ALIAS,
        "--host", HOST,
        "--port", str(port),
        "--n_ctx", str(n_ctx),
        "--n_threads", str(n_threads),
        "--n_threads_batch", str(n_threads),
        # The server's settings default logits_all=True, which keeps n_ctx x vocab float32 logits
        # (4096 x 151,936 x 4 B = 2.5 GB for Qwen) that chat completion never uses.
        "--logits_all", "false",
        # Its use_mlock defaults to True: pinning 1 GB needs privileges and buys nothing in tests.
        "--use_mlock", "false",
        *extra_args,
    ]
    own_log = log_path is None
    if own_log:
        fd, name = tempfile.mkstemp(prefix="llama_server_", suffix=".log")
        os.close(fd)
        log = Path(name)
    else:
        log = Path(log_path)  # type: ignore[arg-type]
    with open(log, "wb") as log_file:
        proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        _wait_ready(proc, base_url, startup_timeout, log)
        yield base_url
    finally:
        _stop(proc, stop_timeout)
        if own_log:
            log.unlink(missing_ok=True)


def _wait_ready(proc: subprocess.Popen, base_url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    last_error = "no answer yet"
    with httpx.Client(timeout=2.0, trust_env=False) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"llama_cpp.server exited with code {proc.returncode} before answering; log tail:\n{_tail(log)}"
                )
            try:
                r = client.get(f"{base_url}/models")
                if r.status_code == 200:
                    return
                last_error = f"HTTP {r.status_code}"
            except httpx.HTTPError as e:
                last_error = repr(e)
            time.sleep(0.25)
    raise TimeoutError(
        f"llama_cpp.server did not answer {base_url}/models within {timeout:g} s ({last_error}); "
        f"log tail:\n{_tail(log)}"
    )


def _stop(proc: subprocess.Popen, timeout: float) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=timeout)
