"""Conversations: list, create, read, rename, delete, export, share; feedback on an answer.

Every route acts for the request's owner (`assistant.api.owner`): a conversation of another
owner is a 404, as one that does not exist.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field, StrictStr

from assistant.api.deps import ServicesDep
from assistant.api.errors import error_responses, no_markup
from assistant.api.owner import OwnerDep
from assistant.conversations.export import as_json, as_markdown

router = APIRouter(prefix="/api", tags=["conversations"])
_ERRORS = error_responses(
    {404: "no such conversation (or not yours)", 409: "too many conversations or turns", 422: "invalid title or input"}
)


class ConversationSummary(BaseModel):
    id: str
    title: str
    created_at: str
    updated_at: str
    turn_count: int


class Turn(BaseModel):
    id: str
    position: int
    question: str
    standalone_question: str
    answer: str
    status: str
    backend: str
    citations: list[dict]
    timings: dict[str, float]
    usage: dict[str, int]
    notice: str | None = None
    documents: list[str] | None = None
    created_at: str
    feedback: dict | None = None


class Conversation(ConversationSummary):
    turns: list[Turn] = Field(default_factory=list)
    shared: bool = False


class NewConversation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: StrictStr | None = Field(default=None, max_length=1000)


class Rename(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: StrictStr = Field(max_length=1000)


class FeedbackBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    rating: Literal["up", "down"]
    comment: StrictStr = Field(default="", max_length=10_000)


def _public(conversation):  # dict or list of dicts: no raw markup in stored texts
    return no_markup(conversation)


@router.get("/conversations", response_model=list[ConversationSummary], summary="Your conversations, newest first")
def list_conversations(owner: OwnerDep, services: ServicesDep) -> list[dict]:
    return _public(services.conversations.list(owner))


@router.post(
    "/conversations", status_code=201, response_model=Conversation, responses=_ERRORS, summary="Start a conversation"
)
def create_conversation(owner: OwnerDep, services: ServicesDep, body: NewConversation | None = None) -> dict:
    return _public(services.conversations.create(owner, body.title if body else None))


@router.get(
    "/conversations/{conversation_id}",
    response_model=Conversation,
    responses=_ERRORS,
    summary="A conversation with its turns",
)
def get_conversation(conversation_id: str, owner: OwnerDep, services: ServicesDep) -> dict:
    return _public(services.conversations.get(owner, conversation_id))


@router.patch(
    "/conversations/{conversation_id}", response_model=Conversation, responses=_ERRORS, summary="Rename a conversation"
)
def rename_conversation(conversation_id: str, body: Rename, owner: OwnerDep, services: ServicesDep) -> dict:
    return _public(services.conversations.rename(owner, conversation_id, body.title))


@router.delete("/conversations/{conversation_id}", status_code=204, responses=_ERRORS, summary="Delete a conversation")
def delete_conversation(conversation_id: str, owner: OwnerDep, services: ServicesDep) -> Response:
    services.conversations.delete(owner, conversation_id)
    return Response(status_code=204)


@router.get(
    "/conversations/{conversation_id}/export",
    responses={**_ERRORS, 200: {"content": {"text/markdown": {}, "application/json": {}}}},
    summary="Download a conversation as Markdown (answers with numbered sources) or JSON",
)
def export_conversation(
    conversation_id: str, owner: OwnerDep, services: ServicesDep, format: Literal["markdown", "json"] = "markdown"
) -> Response:
    conversation = services.conversations.get(owner, conversation_id)
    if format == "json":
        body, media, ext = as_json(conversation), "application/json", "json"
    else:
        body, media, ext = as_markdown(conversation), "text/markdown; charset=utf-8", "md"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="gesprek-{conversation_id[:8]}.{ext}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/conversations/{conversation_id}/share", responses=_ERRORS, summary="A read-only link to a conversation")
def share_conversation(conversation_id: str, owner: OwnerDep, services: ServicesDep) -> dict:
    token = services.conversations.share(owner, conversation_id)
    return {"token": token, "url": f"/shared/{token}", "api_url": f"/api/shared/{token}"}


@router.delete(
    "/conversations/{conversation_id}/share", status_code=204, responses=_ERRORS, summary="Revoke the share link"
)
def unshare_conversation(conversation_id: str, owner: OwnerDep, services: ServicesDep) -> Response:
    services.conversations.unshare(owner, conversation_id)
    return Response(status_code=204)


@router.get(
    "/shared/{token}", response_model=Conversation, responses=_ERRORS, summary="A shared conversation, read-only"
)
def shared_conversation(token: str, services: ServicesDep) -> dict:
    return _public(services.conversations.shared(token))


@router.post(
    "/conversations/{conversation_id}/turns/{turn_id}/feedback",
    responses=_ERRORS,
    summary="Thumbs up or down on an answer, with an optional comment (again: replaces it)",
)
async def give_feedback(
    conversation_id: str, turn_id: str, body: FeedbackBody, owner: OwnerDep, services: ServicesDep
) -> dict:
    return await run_in_threadpool(services.chat.feedback, owner, conversation_id, turn_id, body.rating, body.comment)
