"""Dependencies as `Annotated` aliases: the app's Services, Settings, DocumentService and the API key check."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from assistant.api.errors import ApiError
from assistant.documents import DocumentService
from assistant.services import Services
from assistant.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="the server's ASSISTANT_API_KEY")


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_documents(request: Request) -> DocumentService:
    return request.app.state.documents


ServicesDep = Annotated[Services, Depends(get_services)]
SettingsDep = Annotated[Settings, Depends(get_settings)]
DocumentsDep = Annotated[DocumentService, Depends(get_documents)]


async def require_api_key(
    settings: SettingsDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Document changes need `Authorization: Bearer KEY`; with no key configured they are off, not open."""
    key = settings.api_key.get_secret_value() if settings.api_key is not None else ""
    if not key:
        raise ApiError(
            403,
            "document management is disabled on this server; enable it by setting "
            "ASSISTANT_API_KEY and send the key as 'Authorization: Bearer KEY'",
            code="api_key_not_configured",
        )
    given = credentials.credentials if credentials is not None else ""
    if not given or not hmac.compare_digest(given.encode("utf-8"), key.encode("utf-8")):
        raise ApiError(
            401,
            "a valid API key is required: send 'Authorization: Bearer KEY'",
            headers={"WWW-Authenticate": "Bearer"},
            code="invalid_api_key",
        )


ApiKeyDep = Annotated[None, Depends(require_api_key)]
