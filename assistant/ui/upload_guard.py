"""A guard in front of Gradio's own upload route (`/ui/gradio_api/upload`).

The Documents tab's file widget sends the file there before the user enters the API key, so
that route cannot ask for the key. It is bounded instead:

- no API key configured: the page has no upload widget, and the route is closed (403);
- per client (its address): at most `ui_uploads_per_client` uploads per window (429);
- the upload folder as a whole: no new file once it holds `ui_upload_space_bytes` (507);
- each request: the body limit of the app (one file of at most `max_upload_bytes`).

Gradio deletes the files it keeps after `ui_upload_keep_seconds` (Blocks' `delete_cache`).
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path

from starlette.types import ASGIApp, Receive, Scope, Send

UPLOAD_SUFFIX = "/gradio_api/upload"


def folder_bytes(folder: Path) -> int:
    total = 0
    for root, _dirs, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(root, name)).st_size
            except OSError:
                continue  # deleted meanwhile
    return total


class UploadBudget:
    """Uploads per client in a sliding window; thread-safe. `clock` is injectable for tests."""

    def __init__(self, per_client: int, window_seconds: float, clock: Callable[[], float] = time.monotonic):
        self.per_client = per_client
        self.window = window_seconds
        self.clock = clock
        self._seen: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def take(self, client: str) -> float | None:
        """None when `client` may upload now (counted); else the seconds until it may."""
        now = self.clock()
        with self._lock:
            times = self._seen.setdefault(client, deque())
            while times and now - times[0] >= self.window:
                times.popleft()
            if len(times) >= self.per_client:
                return max(1.0, self.window - (now - times[0]))
            times.append(now)
            # forget clients that went quiet, so the table cannot grow without bound
            if len(self._seen) > 10_000:
                for key in [k for k, v in self._seen.items() if not v or now - v[-1] >= self.window]:
                    del self._seen[key]
            return None


class UploadGuard:
    """ASGI middleware: refuses uploads to `{ui_path}/gradio_api/upload` beyond the limits."""

    def __init__(
        self,
        app: ASGIApp,
        ui_path: str,
        enabled: bool,
        budget: UploadBudget,
        folder: Callable[[], Path],
        space_bytes: int,
    ):
        self.app = app
        self.path = ui_path.rstrip("/") + UPLOAD_SUFFIX
        self.enabled = enabled
        self.budget = budget
        self.folder = folder
        self.space_bytes = space_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "POST" or scope.get("path") != self.path:
            await self.app(scope, receive, send)
            return
        if not self.enabled:
            await _refuse(send, 403, "uploads are disabled: the server has no API key configured")
            return
        folder = self.folder()
        if folder.is_dir() and folder_bytes(folder) >= self.space_bytes:
            await _refuse(send, 507, "the upload space is full; try again later")
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        wait = self.budget.take(str(client))
        if wait is not None:
            await _refuse(send, 429, "too many uploads from this address; try again later", retry_after=int(wait))
            return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, message: str, retry_after: int | None = None) -> None:
    body = json.dumps({"error": message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    if retry_after:
        headers.append((b"retry-after", str(retry_after).encode()))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
