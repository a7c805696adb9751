"""One mapping from what went wrong to what the user is told: status, code and message.

The API turns a `Failure` into a JSON error (or an SSE error event), the UI into a line on the
page, the CLI into an exit message; none of them inspects exceptions itself.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant import documents
from assistant.answering.errors import BackendBusy, QuestionError
from assistant.conversations.store import ConversationError, ConversationLimit, ConversationNotFound
from assistant.llm.base import GeneratorError
from assistant.portfolio import IdeaError
from ingest.model import IngestError
from ingest.store import StoreError, StoreUnavailable

RETRY_AFTER_SECONDS = 5

_DOCUMENT_STATUS: dict[type, int] = {
    documents.InvalidName: 400,
    documents.EmptyFile: 400,
    documents.UnsupportedType: 415,
    documents.TooLarge: 413,
    documents.UnreadableDocument: 422,
    documents.DocumentNotFound: 404,
}


@dataclass(frozen=True)
class Failure:
    status: int
    code: str  # machine-readable kind, e.g. "backend_busy"
    message: str  # for people; never a traceback
    retry_after: int | None = None
    expected: bool = True  # False: a bug, to be logged with its traceback

    @property
    def headers(self) -> dict[str, str] | None:
        return {"Retry-After": str(self.retry_after)} if self.retry_after else None


def classify(exc: BaseException) -> Failure:
    if isinstance(exc, QuestionError):
        return Failure(422, "invalid_question", str(exc))
    if isinstance(exc, ConversationNotFound):
        return Failure(404, "conversation_not_found", str(exc))
    if isinstance(exc, ConversationLimit):
        return Failure(409, "conversation_limit", str(exc))
    if isinstance(exc, ConversationError):
        return Failure(422, "invalid_conversation", str(exc))
    if isinstance(exc, IdeaError):
        return Failure(422, "invalid_idea", str(exc))
    if isinstance(exc, BackendBusy):
        return Failure(503, "backend_busy", str(exc), retry_after=RETRY_AFTER_SECONDS)
    if isinstance(exc, GeneratorError):
        return Failure(503, "backend_unavailable", f"the language model is not available: {exc}")
    if isinstance(exc, StoreUnavailable):
        return Failure(
            503, "store_unavailable", f"the document store is not reachable: {exc}", retry_after=RETRY_AFTER_SECONDS
        )
    if isinstance(exc, StoreError):
        return Failure(503, "store_error", f"the document index is not usable: {exc}")
    if isinstance(exc, documents.DocumentError):
        status = next((s for cls, s in _DOCUMENT_STATUS.items() if isinstance(exc, cls)), 400)
        return Failure(status, type(exc).__name__, str(exc))
    if isinstance(exc, IngestError):
        return Failure(422, "unreadable_document", str(exc))
    return Failure(500, "internal_error", "internal error; the server log has the details", expected=False)
