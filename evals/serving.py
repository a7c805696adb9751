"""Real servers on loopback, for the benchmarks, the load test and the tests.

`start_process` is the one way a server process is started here: its output goes to a log file,
a URL is polled until it answers 200 or the process dies (the error carries the log's tail), and
`ServeProcess.stop` ends it. `start_serve` (`assistant serve`) and `start_chroma` (`chroma run`)
are built on it; `app_in_thread` runs the app under uvicorn in this process instead. `RssSampler`
and `wait_idle` watch a server's memory and CPU.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx

from assistant.settings import REPO_ROOT

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def child_env(overrides: Mapping[str, str]) -> dict[str, str]:
    """This environment without its ASSISTANT_* variables, plus `overrides`: a child process gets
    the settings it is given, not those of whoever started the run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")}
    env.update(overrides)
    return env


def shipped_index_env(data_dir: Path, corpus_dir: Path | None = None) -> dict[str, str]:
    """The ASSISTANT_* variables of a data dir over a corpus folder (default: the shipped one)."""
    return {
        "ASSISTANT_DATA_DIR": str(data_dir),
        "ASSISTANT_CORPUS_DIR": str(corpus_dir or REPO_ROOT / "corpus"),
        "ASSISTANT_BACKEND": "extractive",  # the benchmarks and the load test measure the extractive path
    }


@dataclass
class ServeProcess:
    """A server process started by `start_process`: its Popen, the URL it answers on, its log."""

    proc: subprocess.Popen
    base_url: str
    log_path: Path
    name: str
    owns_log: bool = False  # a temp log made by start_process: removed by stop()

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str, timeout: float) -> None:
        """Poll base_url + path until it answers 200; raise if the process exits or time runs out."""
        url = self.base_url + path
        deadline = time.monotonic() + timeout
        last = "no answer yet"
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(
                        f"{self.name} exited with code {self.proc.returncode} before {url} "
                        f"answered; log {self.log_path}:\n{self.log_tail()}"
                    )
                try:
                    status = client.get(url).status_code
                    if status == 200:
                        return
                    last = f"HTTP {status}"
                except httpx.HTTPError as exc:
                    last = repr(exc)
                if time.monotonic() > deadline:
                    raise TimeoutError(
                        f"{self.name}: {url} not 200 within {timeout:g} s ({last}); "
                        f"log {self.log_path}:\n{self.log_tail()}"
                    )
                time.sleep(0.2)

    def kill9(self) -> None:
        """SIGKILL, no clean-up: the fault the crash-safety tests need."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 20.0) -> None:
        """Terminate, then kill if it does not stop within `timeout`; remove an own log."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=timeout)
        if self.owns_log:
            self.log_path.unlink(missing_ok=True)


def start_process(
    cmd: Sequence[str],
    base_url: str,
    ready_path: str,
    *,
    name: str,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    log_path: Path | None = None,
    timeout: float = 120.0,
) -> ServeProcess:
    """Start `cmd` (output to `log_path`, or a temp log) and wait until base_url + ready_path
    answers 200. A server that does not come up is stopped; its log is kept (named in the error)."""
    owns_log = log_path is None
    if log_path is None:
        fd, tmp = tempfile.mkstemp(prefix=re.sub(r"\W+", "-", name).strip("-") + "-", suffix=".log")
        os.close(fd)
        log_path = Path(tmp)
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            list(cmd),
            env=None if env is None else dict(env),
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = ServeProcess(proc, base_url, Path(log_path), name, owns_log)
    try:
        server.wait_ready(ready_path, timeout)
    except BaseException:
        server.owns_log = False
        server.stop()
        raise
    return server


@contextmanager
def running(server: ServeProcess, stop_timeout: float = 20.0) -> Iterator[ServeProcess]:
    """Yield a started server; stop it afterwards."""
    try:
        yield server
    finally:
        server.stop(stop_timeout)


def start_serve(
    env: Mapping[str, str],
    port: int | None = None,
    log_path: Path | None = None,
    ready_timeout: float = 300.0,
    wait_ready: bool = True,
) -> ServeProcess:
    """`assistant serve` on a free loopback port with the given ASSISTANT_* variables (on top of
    `child_env`); ready when /readyz answers (/healthz with wait_ready=False)."""
    port = port or free_port()
    full = child_env({**env, "ASSISTANT_HOST": HOST, "ASSISTANT_PORT": str(port)})
    return start_process(
        [sys.executable, "-m", "assistant.cli", "serve"],
        f"http://{HOST}:{port}",
        "/readyz" if wait_ready else "/healthz",
        name="`assistant serve`",
        env=full,
        cwd=REPO_ROOT,
        log_path=log_path,
        timeout=ready_timeout,
    )


@contextmanager
def serving(env: Mapping[str, str], **kwargs) -> Iterator[ServeProcess]:
    """`start_serve(env, **kwargs)`, stopped afterwards."""
    with running(start_serve(env, **kwargs)) as server:
        yield server


def start_chroma(path: Path, port: int, timeout: float = 90.0) -> ServeProcess:
    """`chroma run` over the folder `path` on a loopback port; ready when its heartbeat answers."""
    exe = Path(sys.executable).with_name("chroma")
    cmd = [str(exe), "run", "--path", str(path), "--host", HOST, "--port", str(port)]
    return start_process(cmd, f"http://{HOST}:{port}", "/api/v2/heartbeat", name="`chroma run`", timeout=timeout)


@contextmanager
def app_in_thread(app, startup_timeout: float = 60.0, log_level: str = "warning") -> Iterator[str]:
    """An ASGI app under uvicorn on a free loopback port, in a thread of this process; yields its
    base URL once the server has started."""
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, 0))  # bound before the server starts: no race for the port
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level=log_level, lifespan="on", timeout_graceful_shutdown=3))
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


class RssSampler:
    """Peak RSS (MB) of a process and its children, sampled every `interval` s in a thread."""

    def __init__(self, pid: int, interval: float = 0.05):
        import psutil

        self._proc = psutil.Process(pid)
        self._interval = interval
        self._stop = threading.Event()
        self.peak_mb = 0.0
        self.last_mb = 0.0
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def sample(self) -> float:
        import psutil

        total = 0
        try:
            procs = [self._proc, *self._proc.children(recursive=True)]
        except psutil.Error:
            return self.last_mb
        for p in procs:
            with suppress(psutil.Error):  # a child that ended meanwhile
                total += p.memory_info().rss
        self.last_mb = total / 2**20
        self.peak_mb = max(self.peak_mb, self.last_mb)
        return self.last_mb

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self._interval)

    def stop(self) -> float:
        """Stop sampling; the peak in MB, one decimal."""
        self._stop.set()
        self._thread.join(timeout=2)
        return round(self.peak_mb, 1)


def wait_idle(pid: int, below_percent: float = 20.0, quiet_s: float = 2.0, timeout: float = 180.0) -> float:
    """Wait until a process's CPU use stays below `below_percent` for `quiet_s` (e.g. the
    background warm-up of `assistant serve` finished). Returns the seconds waited (bounded).

    An idle `assistant serve` is not at 0 %: Gradio's queue polls its progress loop, 5-8 % of a
    core here, so a lower bar was never met and every wait ran to its timeout; the warm-up's
    embedding takes a whole core."""
    import psutil

    proc = psutil.Process(pid)
    started = time.monotonic()
    quiet_since = None
    proc.cpu_percent(None)
    while time.monotonic() - started < timeout:
        time.sleep(0.5)
        try:
            cpu = proc.cpu_percent(None)
        except psutil.Error:
            break
        if cpu < below_percent:
            quiet_since = quiet_since or time.monotonic()
            if time.monotonic() - quiet_since >= quiet_s:
                break
        else:
            quiet_since = None
    return round(time.monotonic() - started, 1)
