"""Document management: list, add (upload) and remove documents of the index.

Used by the API and usable from Python::

    docs = DocumentService(services)
    change = docs.add("notitie.md", open("notitie.md", "rb"))
    docs.remove(change.document["id"])

Uploads live in ``data_dir/uploads/``; a shipped corpus document is removed by listing its path in
``data_dir/excluded.json``. Every change is followed by the incremental ingest.

An upload is checked completely (name, type, size, and that it loads and chunks) on a staged copy
before anything is stored; only then is it moved into place. If the ingest after the move fails,
the files are put back as they were, so a failed change leaves the stored documents unchanged.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import threading
import unicodedata
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import psutil

from assistant.services import Services
from assistant.source_view import PassageNotFound, SectionView, section_view, stored_file
from ingest.chunking import chunk_corpus_document
from ingest.files import atomic_write_text
from ingest.indexer import EXCLUDED, UPLOADS, IngestReport, excluded_paths
from ingest.loaders import SUPPORTED_EXTENSIONS, load_file
from ingest.model import IngestError
from ingest.store import read_manifest

MAX_NAME_CHARS = 200
_FORBIDDEN_NAME_CHARS = set('/\\<>:"|?*')
_READ_BLOCK = 64 * 1024
log = logging.getLogger("assistant.documents")
STAGING = ".staging"
JOURNAL = "journal.json"  # in an upload's staging folder while its files are moved and ingested
PREVIOUS = "previous"  # the replaced version, kept in the staging folder until the upload is done
REMOVED = "removed"  # a deleted upload, kept in the staging folder until the removal is done


class DocumentError(Exception):
    """A document change that cannot be done; the message says why (shown to the user as is)."""


class InvalidName(DocumentError):
    pass


class UnsupportedType(DocumentError):
    pass


class TooLarge(DocumentError):
    pass


class EmptyFile(DocumentError):
    pass


class UnreadableDocument(DocumentError):
    """The file does not load or yields no text (the loader's IngestError)."""


class DocumentNotFound(DocumentError):
    pass


@dataclass
class DocumentChange:
    document: dict
    report: IngestReport
    replaced: bool = False

    def as_dict(self) -> dict:
        return {"document": self.document, "replaced": self.replaced, "ingest": self.report.as_dict()}


# One writer per data dir in this process: the file moves and the ingest that follows must not
# interleave with another upload or delete (ingest() itself only locks the store).
_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(data_dir: Path) -> threading.Lock:
    key = str(Path(data_dir).resolve())
    with _locks_guard:
        return _locks.setdefault(key, threading.Lock())


def check_name(filename: str | None) -> str:
    """The upload's file name, or InvalidName. A bare name only: no paths, no control characters."""
    if filename is None or not filename.strip():
        raise InvalidName("the file name is empty")
    name = filename
    if len(name) > MAX_NAME_CHARS:
        raise InvalidName(f"the file name is {len(name)} characters; the limit is {MAX_NAME_CHARS}")
    if "\x00" in name:
        raise InvalidName("the file name contains a NUL byte")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name):
        raise InvalidName("the file name contains control characters")
    if name.startswith("/") or name.startswith("\\") or (len(name) > 1 and name[1] == ":"):
        raise InvalidName("the file name must not be an absolute path")
    if ".." in name.replace("\\", "/").split("/") or name in (".", ".."):
        raise InvalidName("the file name must not contain '..'")
    bad = sorted(set(name) & _FORBIDDEN_NAME_CHARS)
    if bad:
        raise InvalidName("the file name must be a plain name without folders or the characters " + " ".join(bad))
    if name.startswith("."):
        raise InvalidName("the file name must not start with a dot (hidden files are not indexed)")
    if name != name.strip() or name.endswith("."):
        raise InvalidName("the file name must not start or end with spaces or end with a dot")
    return name


def check_extension(name: str) -> str:
    ext = Path(name).suffix.lower()
    if ext not in SUPPORTED_EXTENSIONS:
        raise UnsupportedType(
            f"unsupported file type {ext or '(no extension)'}; supported: " + ", ".join(sorted(SUPPORTED_EXTENSIONS))
        )
    return ext


def document_entry(doc_id: str, d: dict) -> dict:
    path = d.get("path", "")
    return {
        "id": doc_id,
        "title": d.get("title", ""),
        "chunks": d.get("chunks", 0),
        "sha256": d.get("sha256", ""),
        "ingested_at": d.get("ingested_at"),
        "path": path,
        "format": d.get("format"),
        "pages": d.get("pages"),
        "source": "upload" if path.startswith(UPLOADS + "/") else "corpus",
    }


class DocumentService:
    def __init__(self, services: Services):
        self.services = services
        self.settings = services.settings

    @property
    def data_dir(self) -> Path:
        return Path(self.settings.data_dir)

    @property
    def uploads_dir(self) -> Path:
        return self.data_dir / UPLOADS

    # ---- reading ------------------------------------------------------------------------------
    def list(self) -> list[dict]:
        manifest: dict | None
        if self.settings.cluster:  # the cluster's head, which another replica may have moved
            manifest = self.services.retriever().store.manifest
        else:
            manifest = read_manifest(self.data_dir)
        if manifest is None:
            return []
        docs = [document_entry(doc_id, d) for doc_id, d in manifest["documents"].items()]
        return sorted(docs, key=lambda d: d["path"])

    def get(self, doc_id: str) -> dict:
        for doc in self.list():
            if doc["id"] == doc_id:
                return doc
        raise DocumentNotFound(f"no document with id {doc_id!r}")

    def file(self, doc_id: str) -> tuple[Path, dict]:
        """(path of the file it was ingested from, its entry); DocumentNotFound when it is gone."""
        entry = self.get(doc_id)
        for attempt in range(2):
            try:
                return stored_file(self.data_dir, Path(self.settings.corpus_dir), entry["path"]), entry
            except FileNotFoundError:
                # an upload made through another replica: fetch it from the cluster, once
                if attempt or not (self.settings.cluster and entry["source"] == "upload"):
                    break
                from ingest.cluster import fetch_upload
                from ingest.store import chroma_client

                fetch_upload(self.settings, chroma_client(self.settings), entry["path"], entry["sha256"])
        raise DocumentNotFound(f"the file of document {doc_id!r} is no longer there")

    def section(self, doc_id: str, chunk_id: str, quotes: Sequence[str] | None = None) -> SectionView:
        """The cited passage `chunk_id` in its section (see `assistant.source_view`)."""
        self.get(doc_id)
        try:
            return section_view(self.services.retriever().store.chunks, doc_id, chunk_id, quotes)
        except PassageNotFound as exc:
            raise DocumentNotFound(str(exc)) from None

    # ---- changing -----------------------------------------------------------------------------
    def add(self, filename: str | None, content: bytes | BinaryIO, max_bytes: int | None = None) -> DocumentChange:
        """Store one file in the uploads and ingest it; a same-name upload replaces the old one."""
        name = check_name(filename)
        check_extension(name)
        limit = self.settings.max_upload_bytes if max_bytes is None else max_bytes
        rel = f"{UPLOADS}/{name}"
        self.sweep_staging()  # a crashed upload of another process is undone before this one
        with self._staging() as stage:
            staged_root = stage / "root"
            staged = staged_root / UPLOADS / name
            staged.parent.mkdir(parents=True)
            size = _copy_limited(content, staged, limit)
            if size == 0:
                raise EmptyFile(f"{name}: the file is empty (0 bytes)")
            self._check_loads(staged, staged_root)

            with _lock_for(self.data_dir), self._shared():
                target = self.uploads_dir / name
                previous = stage / PREVIOUS
                replaced = target.is_file()
                excluded_before = self._read_excluded_raw()
                # from here until the ingest has succeeded, a crash is undone at the next start
                # (recover_interrupted_uploads): the client never got its 201
                atomic_write_text(
                    stage / JOURNAL,
                    json.dumps({"target": rel, "replaced": replaced, "excluded": excluded_before}, ensure_ascii=False),
                )
                self.uploads_dir.mkdir(parents=True, exist_ok=True)
                if replaced:
                    os.replace(target, previous)
                os.replace(staged, target)

                def rollback() -> None:
                    if replaced:
                        os.replace(previous, target)
                    else:
                        target.unlink(missing_ok=True)
                    self._write_excluded_raw(excluded_before)

                try:
                    if rel in excluded_paths(self.settings):  # an explicit upload un-excludes it
                        self._write_excluded(excluded_paths(self.settings) - {rel})
                    report = self.services.ingest(progress=False)
                except BaseException:
                    rollback()
                    raise
                failed = dict(report.failed)
                if rel in failed:
                    # the indexer kept the previous version (or nothing): put the files back to match
                    rollback()
                    raise UnreadableDocument(failed[rel])
                (stage / JOURNAL).unlink()  # done: nothing to undo any more
        entry = next((d for d in self.list() if d["path"] == rel), None)
        if entry is None:  # pragma: no cover - ingest reported success for this path
            raise DocumentError(f"{name} was stored but is not in the index; see the server log")
        return DocumentChange(document=entry, report=report, replaced=replaced)

    def remove(self, doc_id: str) -> DocumentChange:
        """Delete an uploaded file, or exclude a corpus document; then re-ingest."""
        self.sweep_staging()
        with _lock_for(self.data_dir), self._shared():
            entry = self.get(doc_id)
            rel = entry["path"]
            uploaded = self.data_dir / rel
            with self._staging() as stage:
                excluded_before = self._read_excluded_raw()
                moved = entry["source"] == "upload" and uploaded.is_file()
                # a crash before the ingest succeeded is undone at the next start, as for uploads
                atomic_write_text(
                    stage / JOURNAL,
                    json.dumps(
                        {"target": rel, "replaced": False, "removed": moved, "excluded": excluded_before},
                        ensure_ascii=False,
                    ),
                )
                if moved:
                    os.replace(uploaded, stage / REMOVED)
                else:
                    self._write_excluded(excluded_paths(self.settings) | {rel})
                try:
                    report = self.services.ingest(progress=False)
                except BaseException:
                    if moved:
                        os.replace(stage / REMOVED, uploaded)
                    self._write_excluded_raw(excluded_before)
                    raise
                (stage / JOURNAL).unlink()
        return DocumentChange(document=entry, report=report)

    # ---- helpers ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _shared(self) -> Iterator[None]:
        """In a cluster: hold the writer lease, with uploads/ first brought up to the shared index
        (what another replica added or removed). Alone: nothing."""
        if not self.settings.cluster:
            yield
            return
        from ingest.cluster import Cluster, sync_local
        from ingest.store import chroma_client

        cluster = Cluster(self.settings, chroma_client(self.settings))
        with cluster.lease():
            sync_local(self.settings, cluster, files=True)
            yield

    def _check_loads(self, staged: Path, root: Path) -> None:
        try:
            doc = load_file(staged, root, max_bytes=self.settings.max_file_bytes)
            chunks = chunk_corpus_document(doc, self.settings.chunk_words, self.settings.chunk_overlap_sentences)
        except IngestError as exc:
            raise UnreadableDocument(str(exc)) from None
        except Exception as exc:  # a loader bug: still the upload's fault from the user's view
            raise UnreadableDocument(f"{staged.name}: the file could not be read ({exc.__class__.__name__})") from None
        if not chunks:
            raise UnreadableDocument(f"{UPLOADS}/{staged.name}: no text content found after cleaning")

    def sweep_staging(self) -> Recovery:
        """Undo and remove what uploads killed mid-way left behind; see recover_interrupted_uploads."""
        return recover_interrupted_uploads(self.data_dir)

    @contextmanager
    def _staging(self) -> Iterator[Path]:
        """A private folder on the data dir's file system (so moves out of it are atomic), named
        after its process (pid and start time) so a later sweep can tell it was orphaned."""
        stage = self.data_dir / STAGING / f"{_process_tag(os.getpid())}-{uuid.uuid4().hex}"
        stage.mkdir(parents=True)
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def _read_excluded_raw(self) -> str | None:
        path = self.data_dir / EXCLUDED
        return path.read_text(encoding="utf-8") if path.exists() else None

    def _write_excluded_raw(self, raw: str | None) -> None:
        path = self.data_dir / EXCLUDED
        if raw is None:
            path.unlink(missing_ok=True)
        else:
            atomic_write_text(path, raw)

    def _write_excluded(self, paths: set[str]) -> None:
        atomic_write_text(self.data_dir / EXCLUDED, json.dumps(sorted(paths), ensure_ascii=False, indent=1))


@dataclass
class Recovery:
    removed: list[str]  # staging folders of processes that are gone
    undone: list[str]  # uploads (data-dir relative paths) put back as they were before them

    def __bool__(self) -> bool:
        return bool(self.removed)


def recover_interrupted_uploads(data_dir: Path) -> Recovery:
    """After a crash (kill -9, power loss) during an upload or a removal: put the stored files
    back as they were before it and remove its staging folder. A change is all or nothing for its
    client, who never got its answer: a new file is removed again, a replaced or deleted one comes
    back (kept in the staging folder until the change finished), the exclusion list gets its old
    content.
    Staging folders of live processes, this one included, are left alone. Call before an ingest,
    so the index follows the restored files (`serve` and `assistant ingest` do)."""
    data_dir = Path(data_dir)
    root = data_dir / STAGING
    recovery = Recovery([], [])
    if not root.is_dir():
        return recovery
    with _lock_for(data_dir):
        for entry in sorted(root.iterdir()):
            if _owner_alive(entry.name):
                continue
            journal = entry / JOURNAL
            if entry.is_dir() and journal.is_file():
                try:
                    j = json.loads(journal.read_text(encoding="utf-8"))
                    _undo_change(
                        data_dir, entry, j["target"], bool(j["replaced"]), bool(j.get("removed")), j.get("excluded")
                    )
                    recovery.undone.append(j["target"])
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    # keep the folder for a person to look at rather than lose a previous version
                    log.error("could not undo the interrupted upload in %s: %s", entry, exc)
                    continue
            shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
            recovery.removed.append(entry.name)
    return recovery


def _undo_change(data_dir: Path, stage: Path, rel: str, replaced: bool, removed: bool, excluded: str | None) -> None:
    if not isinstance(rel, str) or not rel or rel.startswith(("/", "\\")) or ".." in rel.replace("\\", "/").split("/"):
        raise ValueError(f"journal target is not a stored document's path: {rel!r}")
    is_upload = rel.startswith(f"{UPLOADS}/")
    if (removed or replaced) and not is_upload:  # a corpus document is only ever excluded
        raise ValueError(f"journal for a corpus document with replaced/removed set: {rel!r}")
    target = data_dir / rel
    if removed:  # a deletion: the file comes back (if the crash came after its move)
        if (stage / REMOVED).is_file():
            os.replace(stage / REMOVED, target)
    elif replaced:  # the previous version comes back (if the crash came after its move)
        if (stage / PREVIOUS).is_file():
            os.replace(stage / PREVIOUS, target)
    elif is_upload:  # a new upload goes again
        target.unlink(missing_ok=True)
    path = data_dir / EXCLUDED
    if excluded is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write_text(path, excluded)


def _process_tag(pid: int) -> str | None:
    try:
        return f"{pid}-{int(psutil.Process(pid).create_time() * 1000)}"
    except (psutil.NoSuchProcess, psutil.AccessDenied, psutil.ZombieProcess):
        return None


def _owner_alive(name: str) -> bool:
    """Whether the process that made staging folder ``name`` ('pid-starttime-uuid') still runs.
    A reused pid has another start time, so it does not keep an orphan alive."""
    parts = name.split("-")
    if len(parts) != 3 or not parts[0].isdigit():
        return False  # not ours (or from an older version): nothing can be using it
    return _process_tag(int(parts[0])) == f"{parts[0]}-{parts[1]}"


def _copy_limited(content: bytes | BinaryIO, dest: Path, limit: int) -> int:
    """Copy at most `limit` bytes into dest; TooLarge as soon as there is more."""
    if isinstance(content, (bytes, bytearray, memoryview)):
        if len(content) > limit:
            raise TooLarge(f"the file is larger than the upload limit of {limit:,} bytes")
        dest.write_bytes(bytes(content))
        return len(content)
    size = 0
    with open(dest, "wb") as out:
        while block := content.read(_READ_BLOCK):
            size += len(block)
            if size > limit:
                raise TooLarge(f"the file is larger than the upload limit of {limit:,} bytes")
            out.write(block)
    return size
