"""OpenAI-compatible chat: `POST /v1/chat/completions` (plain and `stream: true`) and `GET /v1/models`.

The last user message is the question, earlier user/assistant messages the history; system
messages are ignored (the service has its own). The model name picks the backend:
"twente-assistant" = the server's default, "twente-assistant-<backend>" a given one.

The sources are appended to the content as a numbered "Bronnen:" block and are also given as an
extra `citations` field (on the response, and on the last chunk of a stream).

Streaming sends the *checked* answer text (what a non-streamed request returns): a language
model's raw tokens are checked against the sources before the answer is final, and an OpenAI
client has no way to replace text it already showed.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from contextlib import suppress
from itertools import chain
from typing import Any, Literal

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr

from assistant.api.deps import ServicesDep, SettingsDep
from assistant.api.errors import ApiError, OpenAIErrorBody, describe, error_responses, no_markup
from assistant.api.routers.ask import text_pieces
from assistant.llm.names import BACKENDS
from assistant.schema import Answer, ChatMessage, Citation
from assistant.settings import Settings

router = APIRouter(prefix="/v1", tags=["openai-compatible"])

MODEL = "twente-assistant"
OWNER = "twente-board"


class ContentPart(BaseModel):
    model_config = ConfigDict(extra="allow")
    type: StrictStr
    text: StrictStr | None = None


class OpenAIMessage(BaseModel):
    model_config = ConfigDict(extra="allow")
    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: StrictStr | list[ContentPart] | None = None


class ChatCompletionRequest(BaseModel):
    """The fields this server uses; other OpenAI parameters (temperature, ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow")
    model: StrictStr = Field(default=MODEL, max_length=100)
    messages: list[OpenAIMessage] = Field(min_length=1, max_length=200)
    stream: StrictBool = False
    top_k: StrictInt | None = Field(default=None, description="extension: passages to retrieve, 1-20")
    documents: list[StrictStr] | None = Field(
        default=None, max_length=200, description="extension: answer only from these document ids (GET /api/documents)"
    )


def model_ids() -> list[str]:
    return [MODEL] + [f"{MODEL}-{b}" for b in BACKENDS]


def backend_for(model: str, settings: Settings) -> str:
    if model == MODEL:
        return settings.backend
    for b in BACKENDS:
        if model == f"{MODEL}-{b}":
            return b
    raise ApiError(
        404, f"the model {model!r} does not exist; available: {', '.join(model_ids())}", code="model_not_found"
    )


def _text(message: OpenAIMessage) -> str:
    if message.content is None:
        return ""
    if isinstance(message.content, str):
        return message.content
    return "".join(p.text or "" for p in message.content if p.type == "text")


def split_messages(messages: list[OpenAIMessage]) -> tuple[str, list[ChatMessage]]:
    if messages[-1].role != "user":
        raise ApiError(400, "the last message must be the user's question (role 'user')", code="invalid_messages")
    history = [ChatMessage(role=m.role, content=_text(m)) for m in messages[:-1] if m.role in ("user", "assistant")]
    return _text(messages[-1]), history


def sources_block(citations: list[Citation]) -> str:
    if not citations:
        return ""
    lines = ["Bronnen:"]
    for c in citations:
        where = c.location()
        lines.append(f"[{c.id}] {c.document} — {where}" if where else f"[{c.id}] {c.document}")
    return "\n".join(lines)


def content_of(answer: Answer) -> str:
    block = sources_block(answer.citations)
    return f"{answer.answer}\n\n{block}" if block else answer.answer


def usage(answer: Answer) -> dict:
    """The language model's own token counts for this answer (0 for an extractive answer)."""
    prompt = int(answer.usage.get("prompt_tokens", 0))
    completion = int(answer.usage.get("completion_tokens", 0))
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


@router.get("/models", summary="The models (one per answer backend)")
async def list_models() -> dict:
    created = 1_600_000_000
    return {
        "object": "list",
        "data": [{"id": m, "object": "model", "created": created, "owned_by": OWNER} for m in model_ids()],
    }


@router.post(
    "/chat/completions",
    summary="OpenAI-compatible chat completion (grounded in the plan)",
    responses=error_responses(
        {
            400: "invalid request (OpenAI clients expect 400, not 422)",
            404: "unknown model",
            503: "language model unavailable, or the store is down",
        },
        model=OpenAIErrorBody,
    ),
)
async def chat_completions(body: ChatCompletionRequest, services: ServicesDep, settings: SettingsDep):
    backend = backend_for(body.model, settings)
    question, history = split_messages(body.messages)
    completion_id = f"chatcmpl-{uuid.uuid4().hex[:24]}"
    created = int(time.time())
    if not body.stream:
        answer = await run_in_threadpool(services.answers.ask, question, history, backend, body.top_k, body.documents)
        content = content_of(answer)
        return no_markup(
            {
                "id": completion_id,
                "object": "chat.completion",
                "created": created,
                "model": body.model,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                        "logprobs": None,
                    }
                ],
                "usage": usage(answer),
                "citations": [c.model_dump(mode="json") for c in answer.citations],
                "status": answer.status,
                "backend": answer.backend,
                "notice": answer.notice,
            }
        )

    def start():  # in a worker thread: the first event already runs retrieval
        stream = services.answers.stream(question, history, backend, body.top_k, body.documents)
        return stream, next(stream)  # request errors are still proper HTTP errors here

    events, first = await run_in_threadpool(start)

    def chunk(delta: dict, finish: str | None = None, **extra: Any) -> str:
        data = {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": body.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
            **extra,
        }
        return f"data: {json.dumps(no_markup(data), ensure_ascii=False)}\n\n"

    def sse() -> Iterator[str]:
        try:
            yield chunk({"role": "assistant", "content": ""})
            answer = None
            for event in chain([first], events):
                if event.type == "final":
                    answer = event.data
            if answer is None:  # pragma: no cover - the service always ends with "final"
                raise RuntimeError("the answer stream ended without a final answer")
            for piece in text_pieces(answer.answer):
                yield chunk({"content": piece})
            block = sources_block(answer.citations)
            if block:
                yield chunk({"content": "\n\n" + block})
            yield chunk(
                {},
                "stop",
                usage=usage(answer),
                citations=[c.model_dump(mode="json") for c in answer.citations],
                status=answer.status,
                backend=answer.backend,
                notice=answer.notice,
            )
        except Exception as exc:  # in-band error, the way OpenAI streams report them
            failure = describe(exc)
            error = {
                "error": {
                    "message": no_markup(failure.message),
                    "param": None,
                    "code": failure.status,
                    "type": "server_error" if failure.status >= 500 else "invalid_request_error",
                }
            }
            yield f"data: {json.dumps(error, ensure_ascii=False)}\n\n"
        finally:
            with suppress(ValueError):
                events.close()
        yield "data: [DONE]\n\n"

    return StreamingResponse(
        sse(), media_type="text/event-stream", headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )
