"""The checks on a question request before any work is done: the question text, the backend,
top_k, the history and the documents it is kept to. Each failure is a QuestionError saying what
is wrong (a 422 in the API)."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from assistant.answering.errors import QuestionError, UnknownDocument
from assistant.answering.text import text_problem
from assistant.llm.names import BACKENDS
from assistant.schema import ChatMessage
from ingest.loaders import strip_markup


def check_question(question: str, backend: str, top_k: int | None, max_chars: int) -> str:
    """`backend` when the request is sound."""
    if backend not in BACKENDS:
        raise QuestionError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
    if not isinstance(question, str) or not question.strip():
        raise QuestionError("the question is empty")
    if "\x00" in question:
        raise QuestionError("the question contains a NUL byte")
    if problem := text_problem(question):
        raise QuestionError(f"the question {problem}")
    if len(question) > max_chars:
        raise QuestionError(f"the question is {len(question)} characters; the limit is {max_chars}")
    if "<" in question and not strip_markup(question):
        raise QuestionError("the question is empty once its HTML markup is removed")
    if top_k is not None and not (1 <= top_k <= 20):
        raise QuestionError("top_k must be between 1 and 20")
    return backend


def checked_history(history: Sequence[ChatMessage] | None, keep: int = 8) -> list[ChatMessage]:
    """The last `keep` turns with text."""
    for m in history or []:
        if m.content and text_problem(m.content) == "contains an invalid character (a lone UTF-16 surrogate)":
            raise QuestionError("a history message contains an invalid character (a lone UTF-16 surrogate)")
    return [m for m in (history or []) if m.content.strip()][-keep:]


def check_scope(documents: Sequence[str] | None, known: Collection[str]) -> frozenset[str] | None:
    """The documents a question is kept to: None for all of them; an unknown id or an empty list
    is a QuestionError that names what is wrong."""
    if documents is None:
        return None
    if isinstance(documents, str) or not all(isinstance(d, str) for d in documents):
        raise QuestionError("documents must be a list of document ids")
    if not documents:
        raise QuestionError("documents is empty: name at least one document id, or leave it out to ask all")
    unknown = [d for d in dict.fromkeys(documents) if d not in known]
    if unknown:
        listed = ", ".join(repr(d) for d in unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        raise UnknownDocument(f"no document with id {listed}; GET /api/documents lists the ids", unknown)
    return frozenset(documents)
