"""Questions: `POST /api/ask` (one JSON Answer) and `POST /api/chat/stream` (server-sent events).

The stream is: one `sources` event (the retrieved citations), `token` events with pieces of the
answer text, one `final` event with the checked Answer. The extractive backend has no model
tokens, so its final text is sent as a few token events too: every backend speaks one protocol.
A failure after the stream started ends it with an `error` event.
"""

from __future__ import annotations

import re
from collections.abc import Generator, Iterator
from contextlib import suppress
from dataclasses import dataclass
from itertools import chain
from typing import Annotated, cast

from fastapi import APIRouter, Depends, Request
from fastapi.sse import EventSourceResponse, ServerSentEvent
from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr

from assistant.answering.service import Event, final_answer
from assistant.api.deps import ServicesDep
from assistant.api.errors import describe, error_responses, no_markup
from assistant.api.owner import owner_of
from assistant.schema import Answer, ChatMessage, Citation
from assistant.services import Services

router = APIRouter(prefix="/api", tags=["questions"])

_ERROR_TEXTS = {
    404: "no such conversation (or not yours)",
    422: "invalid question, backend, top_k or document id",
    503: "language model unavailable, or the store is down (a busy model degrades to the extractive answer)",
}
_ERRORS = error_responses(_ERROR_TEXTS)
_STREAM_ERRORS = error_responses(_ERROR_TEXTS, inline_json=True)


class AskRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: StrictStr = Field(
        description="the question, Dutch or English", examples=["Wat zijn de impactportfolio's?"]
    )
    history: list[ChatMessage] = Field(
        default_factory=list, max_length=100, description="earlier turns, oldest first (for follow-up questions)"
    )
    backend: StrictStr | None = Field(
        default=None, max_length=40, description="extractive | llamacpp | openai (default: the server's)"
    )
    top_k: StrictInt | None = Field(default=None, description="passages to retrieve, 1-20")
    documents: list[StrictStr] | None = Field(
        default=None,
        max_length=200,
        description="answer only from these document ids (GET /api/documents); default: all documents",
        examples=[["twente-board-strategisch-plan-2020-2025"]],
    )
    conversation_id: StrictStr | None = Field(
        default=None,
        max_length=64,
        description="save the turn in this conversation (yours) and use its history for a follow-up",
    )


def public_answer(answer: Answer) -> dict:
    """The Answer as JSON, with every string free of raw markup (the question is echoed back)."""
    return no_markup(answer.model_dump(mode="json"))


def text_pieces(text: str, words_per_piece: int = 6) -> list[str]:
    """Split text into pieces of a few words that concatenate back to exactly `text`."""
    parts = re.findall(r"^\s+|\S+\s*", text)
    return ["".join(parts[i : i + words_per_piece]) for i in range(0, len(parts), words_per_piece)]


def _events(body: AskRequest, services: Services, request: Request) -> Iterator[Event]:
    """The answer flow, inside the request owner's conversation when the body names one."""
    if body.conversation_id is None:
        return services.answers.stream(body.question, body.history, body.backend, body.top_k, body.documents)
    return services.chat.stream(
        owner_of(request),
        body.question,
        body.conversation_id,
        history=body.history,
        backend=body.backend,
        top_k=body.top_k,
        documents=body.documents,
    )


@router.post("/ask", response_model=Answer, responses=_ERRORS, summary="Answer a question with citations")
def ask(body: AskRequest, services: ServicesDep, request: Request) -> dict:
    return public_answer(final_answer(_events(body, services, request)))


@dataclass
class StartedStream:
    first: Event
    rest: Iterator[Event]


def start_stream(body: AskRequest, services: ServicesDep, request: Request) -> Iterator[StartedStream]:
    """Run the answer flow up to its first event before the response starts, so that a bad
    question, an unavailable model or a store failure are still proper HTTP errors."""
    # stream() is a generator (it has close()), though annotated as an Iterator[Event]
    events = cast("Generator[Event, None, None]", _events(body, services, request))
    try:
        first = next(events)
        yield StartedStream(first, events)
    finally:
        # close() releases a language-model slot if the client went away early;
        # ValueError: still running in a worker thread, it finishes on its own
        with suppress(ValueError):
            events.close()


StartedDep = Annotated[StartedStream, Depends(start_stream)]


@router.post(
    "/chat/stream",
    response_class=EventSourceResponse,
    responses=_STREAM_ERRORS,
    summary="Answer a question as server-sent events: sources, token..., final (or error)",
)
def chat_stream(started: StartedDep) -> Iterator[ServerSentEvent]:
    yield from answer_events(chain([started.first], started.rest))


def answer_events(events: Iterator[Event]) -> Iterator[ServerSentEvent]:
    tokens_sent = False
    try:
        for event in events:
            if event.type == "sources":
                citations = [c.model_dump(mode="json") for c in cast("list[Citation]", event.data)]
                yield ServerSentEvent(event="sources", data={"citations": no_markup(citations)})
            elif event.type == "token":
                tokens_sent = True
                yield ServerSentEvent(event="token", data={"text": no_markup(event.data)})
            elif event.type == "final":
                answer = cast(Answer, event.data)
                if not tokens_sent:
                    for piece in text_pieces(answer.answer):
                        yield ServerSentEvent(event="token", data={"text": no_markup(piece)})
                yield ServerSentEvent(event="final", data=public_answer(answer))
    except Exception as exc:  # the response has started: report in-band, never just hang up
        failure = describe(exc)
        yield ServerSentEvent(event="error", data={"error": no_markup(failure.message), "status": failure.status})
