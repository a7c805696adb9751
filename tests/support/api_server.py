"""Test helper: the real app under uvicorn on a free loopback port.

    with running_server(settings, services) as base_url:      # "http://127.0.0.1:PORT"
        httpx.get(f"{base_url}/healthz")

In-thread by default (fast; can share the session `services` fixture). `subprocess=True` runs it
in its own Python process instead (for load tests: the client does not compete for the GIL);
that process builds its own services from `settings`, so `services` must be None then.
`ui=False` leaves the Gradio UI out.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess as sp
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Iterator

import httpx

from support.servers import free_port

HOST = "127.0.0.1"




@contextlib.contextmanager
def running_server(settings, services=None, *, ui: bool = True, subprocess: bool = False,
                   startup_timeout: float = 120.0, log_level: str = "warning") -> Iterator[str]:
    """Serve `create_app(settings, services, ui=ui)`; yield the base URL once /healthz answers."""
    if subprocess:
        if services is not None:
            raise ValueError("a subprocess server builds its own services; pass services=None")
        with _in_subprocess(settings, ui, startup_timeout, log_level) as url:
            yield url
        return
    with _in_thread(settings, services, ui, startup_timeout, log_level) as url:
        yield url


@contextlib.contextmanager
def _in_thread(settings, services, ui, startup_timeout, log_level) -> Iterator[str]:
    import uvicorn

    from assistant.api.app import create_app

    app = create_app(settings, services, ui=ui)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))  # bound before the server starts: no race for the port
    port = sock.getsockname()[1]
    config = uvicorn.Config(app, log_level=log_level, timeout_graceful_shutdown=3, lifespan="on")
    server = uvicorn.Server(config)
    errors: list[BaseException] = []

    def serve() -> None:
        try:
            server.run(sockets=[sock])
        except BaseException as exc:  # surfaced by the waiting loop below
            errors.append(exc)

    thread = threading.Thread(target=serve, name=f"uvicorn-{port}", daemon=True)
    thread.start()
    try:
        deadline = time.monotonic() + startup_timeout
        while not server.started:
            if errors or not thread.is_alive():
                raise RuntimeError(f"the API server did not start: {errors[0] if errors else 'thread ended'}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API server did not start within {startup_timeout:g} s")
            time.sleep(0.02)
        yield f"http://{HOST}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        if thread.is_alive():
            server.force_exit = True
            thread.join(timeout=5)
        sock.close()


def settings_env(settings) -> dict[str, str]:
    """ASSISTANT_* environment variables that rebuild `settings` in another process."""
    env: dict[str, str] = {}
    for name, value in settings.model_dump().items():
        if value is None:
            continue
        secret = getattr(settings, name)
        if hasattr(secret, "get_secret_value"):
            value = secret.get_secret_value()
        env[f"ASSISTANT_{name.upper()}"] = str(value)
    return env


@contextlib.contextmanager
def _in_subprocess(settings, ui, startup_timeout, log_level) -> Iterator[str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(settings_env(settings))
    env["ASSISTANT_SERVE_UI"] = "1" if ui else "0"
    fd, log_name = tempfile.mkstemp(prefix="api_server_", suffix=".log")
    os.close(fd)
    log_path = Path(log_name)
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "assistant.api.server:app_from_env",
           "--host", HOST, "--port", str(port), "--log-level", log_level]
    with open(log_path, "wb") as log:
        proc = sp.Popen(cmd, env=env, stdout=log, stderr=sp.STDOUT, cwd=str(Path(__file__).resolve().parents[2]))
    base_url = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + startup_timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the API server exited with {proc.returncode}:\n{_tail(log_path)}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"the API server did not start within {startup_timeout:g} s:\n{_tail(log_path)}")
            time.sleep(0.1)
        yield base_url
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except sp.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        log_path.unlink(missing_ok=True)


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return "(no log)"


def parse_sse(lines) -> list[tuple[str, object]]:
    """(event, data) pairs from server-sent-event lines (str); data is JSON-decoded when it can be.

    Comment lines (": ping") are skipped; an event without an `event:` field is "message"."""
    import json

    events: list[tuple[str, object]] = []
    name, data = None, []
    for line in list(lines) + [""]:
        if line == "":
            if data:
                raw = "\n".join(data)
                try:
                    value: object = json.loads(raw)
                except ValueError:
                    value = raw
                events.append((name or "message", value))
            name, data = None, []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].removeprefix(" "))
    return events
