"""Test helper: the real app under uvicorn on a free loopback port, in a thread of the test process
(it can share the session `services` fixture); and a parser of server-sent events.

    with running_server(settings, services) as base_url:      # "http://127.0.0.1:PORT"
        httpx.get(f"{base_url}/healthz")

`ui=False` leaves the Gradio UI out. A server in its own process: `evals.serving.serving`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from evals.serving import app_in_thread


@contextlib.contextmanager
def running_server(
    settings, services=None, *, ui: bool = True, startup_timeout: float = 120.0, log_level: str = "warning"
) -> Iterator[str]:
    """Serve `create_app(settings, services, ui=ui)`; yield the base URL once uvicorn has started."""
    from assistant.api.app import create_app

    with app_in_thread(create_app(settings, services, ui=ui), startup_timeout, log_level) as url:
        yield url


def parse_sse(lines) -> list[tuple[str, object]]:
    """(event, data) pairs from server-sent-event lines (str); data is JSON-decoded when it can be.

    Comment lines (": ping") are skipped; an event without an `event:` field is "message"."""
    import json

    events: list[tuple[str, object]] = []
    name, data = None, []
    for line in [*lines, ""]:
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
