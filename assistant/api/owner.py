"""Whose conversation it is: an API key's (a request with `Authorization: Bearer KEY`) or, without
one, the browser's: an anonymous id in an HttpOnly cookie that `OwnerCookieMiddleware` gives every
client that has none (the API and the UI alike, so the page and the API share conversations).

The stored owner is a hash of the key or the cookie value, so the database holds no secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from http.cookies import SimpleCookie
from typing import Annotated

from fastapi import Depends, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from assistant.api.errors import ApiError

COOKIE = "ta_owner"
_VALID = re.compile(r"^[A-Za-z0-9_-]{32,64}$")
MAX_AGE = 400 * 24 * 3600  # the longest browsers keep a cookie


def cookie_value(scope: Scope) -> str | None:
    """The owner cookie the request carries (when well-formed), else None."""
    for name, value in scope.get("headers") or []:
        if name == b"cookie":
            jar = SimpleCookie()
            try:
                jar.load(value.decode("latin-1"))
            except Exception:
                continue
            morsel = jar.get(COOKIE)
            if morsel is not None and _VALID.match(morsel.value):
                return morsel.value
    return None


class OwnerCookieMiddleware:
    """Gives a client without a (valid) owner cookie a new one, on the response to its request;
    the request itself already sees it (in `scope["state"]`)."""

    def __init__(self, app: ASGIApp, secure: bool = False):
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        value = cookie_value(scope)
        if value is not None:
            scope.setdefault("state", {})["owner_cookie"] = value
            await self.app(scope, receive, send)
            return
        fresh = secrets.token_urlsafe(32)
        scope.setdefault("state", {})["owner_cookie"] = fresh
        header = f"{COOKIE}={fresh}; Path=/; Max-Age={MAX_AGE}; HttpOnly; SameSite=Lax" + (
            "; Secure" if self.secure else ""
        )

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (b"set-cookie", header.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def _hash(kind: str, secret: str) -> str:
    return f"{kind}:{hashlib.sha256(secret.encode('utf-8')).hexdigest()[:32]}"


def owner_of(request: Request) -> str:
    """`key:...` for a request with the server's API key, `browser:...` for the cookie's id.
    A wrong key is a 401 (it is not silently treated as a browser)."""
    auth = request.headers.get("authorization") or ""
    if auth.lower().startswith("bearer "):
        given = auth[7:].strip()
        settings = request.app.state.settings
        key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
        if not key or not hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
            raise ApiError(
                401, "the API key is not valid", headers={"WWW-Authenticate": "Bearer"}, code="invalid_api_key"
            )
        return _hash("key", key)
    value = request.scope.get("state", {}).get("owner_cookie")
    if not value:  # the middleware always sets it; a request outside the app (tests) has none
        raise ApiError(400, "no owner cookie: send the ta_owner cookie the server sets", code="no_owner")
    return _hash("browser", value)


def owner_from_cookie(value: str) -> str:
    """The owner id of a browser's cookie value (the UI reads it from Gradio's request)."""
    return _hash("browser", value)


OwnerDep = Annotated[str, Depends(owner_of)]
