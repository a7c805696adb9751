"""Every call the UI makes to list, add or remove documents, in one place."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from assistant.documents import DocumentService

if TYPE_CHECKING:
    from assistant.services import Services


class DocumentActions:
    """The Documents tab's calls, through assistant.documents.DocumentService: the same one the
    API uses when the app has it, else one made on first use."""

    def __init__(self, services: Services, service: DocumentService | None = None):
        self.services = services
        self._service = service

    @property
    def service(self) -> DocumentService:
        if self._service is None:
            self._service = DocumentService(self.services)
        return self._service

    def list(self) -> list[dict]:
        return self.service.list()

    def upload(self, path: Path, filename: str) -> str:
        with open(path, "rb") as f:
            change = self.service.add(filename, f)
        return _describe(change.document, filename)

    def delete(self, doc_id: str) -> str:
        change = self.service.remove(doc_id)
        return _describe(change.document, doc_id)


def _describe(document: dict | None, fallback: str) -> str:
    """'Title (id)' of the changed document, or what is known of it."""
    document = document or {}
    title, doc_id = document.get("title"), document.get("id")
    if title and doc_id:
        return f"{title} ({doc_id})"
    return str(title or doc_id or fallback)
