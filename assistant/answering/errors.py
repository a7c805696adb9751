"""What can go wrong with a question, as exceptions the API and UI turn into messages."""

from __future__ import annotations


class QuestionError(ValueError):
    """The request itself is wrong (empty, too long, unknown backend): a 4xx."""


class UnknownDocument(QuestionError):
    """A question scoped to a document id the index does not have."""

    def __init__(self, message: str, ids: list[str]):
        super().__init__(message)
        self.ids = ids


class BackendBusy(RuntimeError):
    """All language-model slots are taken: a 503 with Retry-After."""
