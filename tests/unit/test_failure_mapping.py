"""`assistant.failures.classify`: one mapping from an exception to status, code and message."""

from __future__ import annotations

import pytest

from assistant import documents
from assistant.answering.errors import BackendBusy, QuestionError
from assistant.failures import RETRY_AFTER_SECONDS, classify
from assistant.llm.base import GeneratorError
from assistant.portfolio import IdeaError
from ingest.model import IngestError
from ingest.store import EmbedderMismatch, StoreError, StoreUnavailable


@pytest.mark.parametrize(
    "exc, status, code, retry",
    [
        (QuestionError("the question is empty"), 422, "invalid_question", None),
        (IdeaError("the idea is empty"), 422, "invalid_idea", None),
        (BackendBusy("all slots are busy"), 503, "backend_busy", RETRY_AFTER_SECONDS),
        (GeneratorError("model file missing"), 503, "backend_unavailable", None),
        (StoreUnavailable("Chroma is down"), 503, "store_unavailable", RETRY_AFTER_SECONDS),
        (StoreError("no index"), 503, "store_error", None),
        (EmbedderMismatch("built with another embedder"), 503, "store_error", None),
        (IngestError("x.pdf: not a PDF"), 422, "unreadable_document", None),
    ],
)
def test_known_failures(exc, status, code, retry):
    failure = classify(exc)
    assert (failure.status, failure.code, failure.retry_after) == (status, code, retry)
    assert failure.expected
    assert str(exc) in failure.message  # the reason reaches the user
    if retry:
        assert failure.headers == {"Retry-After": str(retry)} and retry > 0
    else:
        assert failure.headers is None


DOCUMENT_STATUS = {
    documents.InvalidName: 400,
    documents.EmptyFile: 400,
    documents.UnsupportedType: 415,
    documents.TooLarge: 413,
    documents.UnreadableDocument: 422,
    documents.DocumentNotFound: 404,
}


@pytest.mark.parametrize("cls, status", [*DOCUMENT_STATUS.items(), (documents.DocumentError, 400)])
def test_document_failures(cls, status):
    failure = classify(cls("what is wrong with the file"))
    assert failure.status == status and failure.code == cls.__name__
    assert failure.message == "what is wrong with the file" and failure.expected


def test_every_document_error_subclass_is_mapped_here():
    """A new DocumentError subclass would silently become a 400: decide its status above."""
    subclasses = {
        c
        for c in vars(documents).values()
        if isinstance(c, type) and issubclass(c, documents.DocumentError) and c is not documents.DocumentError
    }
    assert subclasses == set(DOCUMENT_STATUS)


@pytest.mark.parametrize(
    "exc",
    [
        RuntimeError("secret internal detail"),
        KeyError("k"),
        ValueError("v"),
        ZeroDivisionError(),
        AssertionError("a bug"),
    ],
)
def test_anything_else_is_an_unexpected_500_without_its_detail(exc):
    failure = classify(exc)
    assert failure.status == 500 and failure.code == "internal_error" and not failure.expected
    assert "secret" not in failure.message and "server log" in failure.message
    assert failure.headers is None


def test_a_question_error_is_a_value_error_but_stays_a_422():
    """QuestionError subclasses ValueError; the mapping must not treat it as a plain bug."""
    assert isinstance(QuestionError("x"), ValueError)
    assert classify(QuestionError("x")).status == 422
