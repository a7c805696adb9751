"""Real servers for tests: a free loopback port, a `chroma run` that can be stopped and started."""

from __future__ import annotations

from pathlib import Path

from evals.serving import ServeProcess, free_port, start_chroma

__all__ = ["ChromaServer", "free_port"]


class ChromaServer:
    """A real `chroma run` on loopback that a test may stop and start again (same path, same port)."""

    def __init__(self, path: Path, port: int):
        self.path, self.port = path, port
        self.server: ServeProcess | None = None

    def start(self) -> None:
        self.server = start_chroma(self.path, self.port, timeout=60)

    def stop(self) -> None:
        if self.server is not None:
            self.server.stop()
