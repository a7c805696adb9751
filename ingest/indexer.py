"""Incremental, crash-safe indexing: corpus files -> chunks -> embeddings -> a new generation.

Unchanged files (same path and sha256, same chunking) are not even re-read; their chunks and
embeddings are copied from the live generation. Changed files are re-chunked; a chunk whose
text is unchanged keeps its embedding. A file that fails to load keeps its previous version.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from ingest.chunking import chunk_corpus_document
from ingest.cluster import Cluster, ClusterError, publish_files, sync_local
from ingest.config import IngestConfig
from ingest.embedding import Embedder
from ingest.files import sha256_file
from ingest.loaders import SUPPORTED_EXTENSIONS, discover, load_file
from ingest.model import Chunk, IngestError
from ingest.store import (
    GenerationWriter,
    StoreError,
    check_compatible,
    chroma_client,
    collect_garbage,
    embed_text,
    read_generation_chunks,
    read_manifest,
    writer_lock,
)

UPLOADS = "uploads"
EXCLUDED = "excluded.json"


@dataclass
class IngestReport:
    documents: int = 0
    chunks: int = 0
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, message)
    embedded: int = 0  # chunks embedded in this run (0 when nothing changed)
    reused: int = 0  # chunks whose embedding was copied
    seconds: float = 0.0
    generation: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)

    @property
    def exit_code(self) -> int:
        return 1 if self.failed else 0

    def summary(self) -> str:
        lines = [
            f"documents: {self.documents}   chunks: {self.chunks}",
            f"added: {len(self.added)}   updated: {len(self.updated)}   removed: "
            f"{len(self.removed)}   unchanged: {len(self.unchanged)}   failed: {len(self.failed)}",
            f"embedded: {self.embedded}   reused embeddings: {self.reused}   seconds: {self.seconds:.1f}",
        ]
        lines += [f"FAILED {path}: {msg}" for path, msg in self.failed]
        return "\n".join(lines)

    def as_dict(self) -> dict:
        return {
            "documents": self.documents,
            "chunks": self.chunks,
            "added": self.added,
            "updated": self.updated,
            "removed": self.removed,
            "unchanged": self.unchanged,
            "failed": [{"path": p, "error": m} for p, m in self.failed],
            "embedded": self.embedded,
            "reused": self.reused,
            "seconds": round(self.seconds, 3),
            "generation": self.generation,
        }


def text_hash(chunk: Chunk) -> str:
    return hashlib.sha1(embed_text(chunk).encode("utf-8")).hexdigest()


def excluded_paths(settings: IngestConfig) -> set[str]:
    path = settings.data_dir / EXCLUDED
    if not path.exists():
        return set()
    return set(json.loads(path.read_text(encoding="utf-8")))


def source_files(settings: IngestConfig, corpus_dir: Path | None = None) -> list[tuple[Path, Path]]:
    """(root, file) pairs: the corpus folder and the uploads kept in the data dir."""
    corpus = Path(corpus_dir or settings.corpus_dir)
    if not corpus.is_dir():
        raise StoreError(f"corpus folder {corpus} does not exist")
    pairs = [(corpus, p) for p in discover(corpus)]
    uploads = settings.data_dir / UPLOADS
    if uploads.is_dir():
        pairs += [(settings.data_dir, p) for p in discover(uploads)]
    skip = excluded_paths(settings)
    return [(root, p) for root, p in pairs if p.relative_to(root).as_posix() not in skip]


def chunking_config(settings: IngestConfig) -> dict:
    return {"chunk_words": settings.chunk_words, "overlap_sentences": settings.chunk_overlap_sentences}


def ingest(
    settings: IngestConfig,
    embedder: Embedder,
    corpus_dir: Path | None = None,
    rebuild: bool = False,
    progress: bool = True,
) -> IngestReport:
    started = time.perf_counter()
    client = chroma_client(settings)
    cluster = Cluster(settings, client) if settings.cluster else None
    # the cluster's lease first, then this data dir's lock: the order DocumentsService takes them
    with cluster.lease() if cluster else contextlib.nullcontext(True) as fresh, writer_lock(settings.data_dir):
        if cluster is not None:
            # uploads/ comes from the cluster unless the lease's holder (an upload or delete in
            # progress) has already brought it up to date and changed it
            sync_local(settings, cluster, files=bool(fresh))
        return _ingest(settings, embedder, client, cluster, corpus_dir, rebuild, progress, started)


def _ingest(
    settings: IngestConfig,
    embedder: Embedder,
    client,
    cluster: Cluster | None,
    corpus_dir: Path | None,
    rebuild: bool,
    progress: bool,
    started: float,
) -> IngestReport:
    report = IngestReport()
    try:
        manifest = read_manifest(settings.data_dir)
    except StoreError:
        if not rebuild:
            raise
        manifest = None
    if manifest and not rebuild:
        check_compatible(manifest, settings, embedder.name, embedder.dim)
    collect_garbage(settings, client)  # orphans of an earlier killed run
    chunking = chunking_config(settings)
    same_chunking = bool(manifest and manifest.get("chunking") == chunking) and not rebuild
    old_docs: dict = dict(manifest["documents"]) if manifest else {}
    old_by_path = {d["path"]: doc_id for doc_id, d in old_docs.items()}

    documents: dict[str, dict] = {}
    new_chunks: dict[str, list[Chunk]] = {}
    keep: set[str] = set()  # doc ids copied unchanged from the live generation
    files = source_files(settings, corpus_dir)
    for root, path in tqdm(files, desc="reading", unit="file", disable=not progress):
        rel = path.relative_to(root).as_posix()
        old_id = old_by_path.get(rel)
        try:
            if path.suffix.lower() not in SUPPORTED_EXTENSIONS:
                raise IngestError(
                    f"{rel}: unsupported file type {path.suffix or '(none)'}; supported: "
                    + ", ".join(sorted(SUPPORTED_EXTENSIONS))
                )
            digest = sha256_file(path)
            if same_chunking and old_id and old_docs[old_id]["sha256"] == digest:
                documents[old_id] = old_docs[old_id]
                keep.add(old_id)
                report.unchanged.append(rel)
                continue
            doc = load_file(path, root, max_bytes=settings.max_file_bytes)
            if doc.doc_id in documents or doc.doc_id in new_chunks:
                doc.doc_id = f"{doc.doc_id}-{doc.format}"
            chunks = chunk_corpus_document(doc, settings.chunk_words, settings.chunk_overlap_sentences)
            if not chunks:
                raise IngestError(f"{rel}: no text content found after cleaning")
        except IngestError as exc:
            report.failed.append((rel, str(exc)))
            if old_id:  # keep the previous good version of a file that broke
                documents[old_id] = old_docs[old_id]
                keep.add(old_id)
            continue
        except Exception as exc:  # a loader bug must not take the other files down
            report.failed.append((rel, f"{rel}: unexpected error {exc.__class__.__name__}: {exc}"))
            if old_id:
                documents[old_id] = old_docs[old_id]
                keep.add(old_id)
            continue
        new_chunks[doc.doc_id] = chunks
        documents[doc.doc_id] = {
            "title": doc.title,
            "path": rel,
            "format": doc.format,
            "sha256": doc.sha256,
            "chunks": len(chunks),
            "pages": len(doc.pages) or None,
            "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        if old_id and old_id in old_docs:
            report.updated.append(rel)
        else:
            report.added.append(rel)
    report.removed = sorted(d["path"] for doc_id, d in old_docs.items() if doc_id not in documents)
    report.documents = len(documents)

    if manifest and not rebuild and not report.changed and same_chunking:
        report.chunks = manifest["chunk_count"]
        report.generation = manifest["generation"]
        report.seconds = time.perf_counter() - started
        return report

    old_chunks = read_generation_chunks(settings, manifest) if manifest else []
    old_collection = None
    if manifest and not rebuild:
        try:
            old_collection = client.get_collection(manifest["collection"], embedding_function=None)
        except Exception:
            old_collection = None  # lost collection: re-embed everything
    writer = GenerationWriter(settings, client, embedder.name, embedder.dim)
    try:
        # 1. chunks of unchanged documents, embeddings copied
        kept = [c for c in old_chunks if c.doc_id in keep]
        to_embed: list[Chunk] = [c for chunks in new_chunks.values() for c in chunks]
        reuse_src: dict[str, str] = {}  # text hash -> old chunk id
        if old_collection is not None:
            reuse_src = {text_hash(c): c.chunk_id for c in old_chunks}
        else:
            to_embed = kept + to_embed
            kept = []
        copy_ids = [c.chunk_id for c in kept]
        reuse_pairs = [(c, reuse_src[text_hash(c)]) for c in to_embed if text_hash(c) in reuse_src]
        reused = {c.chunk_id for c, _ in reuse_pairs}
        to_embed = [c for c in to_embed if c.chunk_id not in reused]
        wanted = copy_ids + [old_id for _, old_id in reuse_pairs]
        vectors = _fetch_embeddings(old_collection, wanted) if wanted else {}
        if len(vectors) < len(set(wanted)):  # old collection damaged: embed instead
            missing_kept = [c for c in kept if c.chunk_id not in vectors]
            missing_reuse = [c for c, old_id in reuse_pairs if old_id not in vectors]
            kept = [c for c in kept if c.chunk_id in vectors]
            reuse_pairs = [(c, o) for c, o in reuse_pairs if o in vectors]
            to_embed += missing_kept + missing_reuse
        if kept:
            writer.add(kept, np.stack([vectors[c.chunk_id] for c in kept]))
        if reuse_pairs:
            writer.add([c for c, _ in reuse_pairs], np.stack([vectors[o] for _, o in reuse_pairs]))
        report.reused = len(kept) + len(reuse_pairs)
        # 2. embed what is new
        bs = max(1, settings.embed_batch_size)
        with tqdm(total=len(to_embed), desc="embedding", unit="chunk", disable=not progress) as bar:
            for i in range(0, len(to_embed), bs):
                batch = to_embed[i : i + bs]
                writer.add(batch, embedder.embed_passages([embed_text(c) for c in batch]))
                bar.update(len(batch))
        report.embedded = len(to_embed)
        publish = None
        if cluster is not None:
            parent = manifest["generation"] if manifest and not rebuild else (cluster.head() or {}).get("generation")

            def publish(m: dict) -> None:
                publish_files(settings, cluster, m["documents"])
                if not cluster.holds_lease():
                    raise ClusterError("this ingest outlived its writer lease; nothing changed, retry")
                if not cluster.commit(m, parent):
                    raise ClusterError("another replica changed the index during this ingest; nothing changed, retry")

        extra = {"excluded": sorted(excluded_paths(settings))}
        new_manifest = writer.commit(documents, chunking, extra=extra, publish=publish)
    except BaseException:
        if not writer.published:  # once the cluster points at it, the generation must stay
            writer.abort()
        raise
    collect_garbage(settings, client)
    report.chunks = new_manifest["chunk_count"]
    report.generation = new_manifest["generation"]
    report.seconds = time.perf_counter() - started
    return report


def _fetch_embeddings(collection, ids: list[str]) -> dict[str, np.ndarray]:
    out: dict[str, np.ndarray] = {}
    unique = list(dict.fromkeys(ids))
    for i in range(0, len(unique), 1000):
        got = collection.get(ids=unique[i : i + 1000], include=["embeddings"])
        for cid, vec in zip(got["ids"], got["embeddings"], strict=True):
            out[cid] = np.asarray(vec, dtype=np.float32)
    return out
