"""HTTP API (FastAPI) and the server that runs it with the UI. Build the app with `create_app`."""

from assistant.api.app import create_app

__all__ = ["create_app"]
