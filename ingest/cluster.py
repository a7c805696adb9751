"""Replicas over one Chroma server: the index's shared state lives in Chroma.

With ``cluster`` set (Chroma in ``http`` mode), every process with the same cluster name serves
one index. Chroma holds, under the prefix ``<collection_prefix>-<cluster>-``:

    <gen>     a generation's chunks: texts, metadata and vectors (as on one machine)
    state     the manifests, as a chain: record ``next:<gen>`` holds the manifest that followed
              generation <gen> (``next:root`` the first one); ``head`` points near the end; the
              writer lease ``lease:<k>`` / ``release:<k>``
    files     uploaded files by sha256 (base64, in parts)

A replica's data dir is only a cache, rebuilt from Chroma: ``current.json``, the generation
folders (chunks, vocabulary, BM25) and ``uploads/``.

Chroma's ``add`` keeps the first record of an id and ignores later ones (chromadb 1.5.9,
checked by ``tests/integration/test_cluster.py``): adding ``next:<parent>`` and reading it back
is a compare-and-set. So two replicas that commit on the same parent cannot both win, and the
lease ``lease:<k+1>`` has one holder.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import threading
import time
import uuid
from pathlib import Path

from ingest.config import IngestConfig
from ingest.files import atomic_write_text, sha256_file
from ingest.generation_files import write_generation_files
from ingest.model import Chunk
from ingest.store_errors import StoreError

ROOT = "root"
PART_BYTES = 4 * 1024 * 1024
UPLOADS = "uploads"
EXCLUDED = "excluded.json"
MANIFEST = "current.json"
_UNIT = [1.0]  # Chroma wants a vector per record; state records have no meaning as vectors


class ClusterError(StoreError):
    """The shared index could not be changed (another replica won, or the lease timed out)."""


class Cluster:
    """The shared state of one cluster, read and written through a Chroma client."""

    def __init__(self, settings: IngestConfig, client) -> None:
        if settings.chroma_mode != "http":
            raise ClusterError("a cluster needs Chroma in http mode (ASSISTANT_CHROMA_MODE=http)")
        self.settings = settings
        self.client = client
        prefix = f"{settings.collection_prefix}-{settings.cluster}-"
        self.state = client.get_or_create_collection(prefix + "state", embedding_function=None)
        self.files = client.get_or_create_collection(prefix + "files", embedding_function=None)
        self.owner = f"{os.uname().nodename}-{os.getpid()}-{uuid.uuid4().hex[:8]}"

    # ---- records ------------------------------------------------------------------------------
    def _get(self, key: str) -> dict | None:
        got = self.state.get(ids=[key], include=["documents", "metadatas"])
        if not got["ids"]:
            return None
        return {"document": got["documents"][0], **(got["metadatas"][0] or {})}

    def _claim(self, key: str, document: str, **meta) -> bool:
        """Add `key` unless it exists; True when the stored record is ours. An add whose reply
        was lost may still have landed: the record is read back either way."""
        token = uuid.uuid4().hex
        try:
            self.state.add(ids=[key], documents=[document], embeddings=[_UNIT], metadatas=[{"token": token, **meta}])
        except Exception:
            stored = self._get(key)  # raises in turn when the server is really away
            if stored is None:
                raise
            return stored.get("token") == token
        stored = self._get(key)
        return stored is not None and stored.get("token") == token

    # ---- the manifest chain -------------------------------------------------------------------
    def head(self) -> dict | None:
        """The newest manifest: from the `head` hint, follow `next:` records to the end."""
        hint = self._get("head")
        manifest = json.loads(hint["document"]) if hint else None
        while True:
            following = self._get(f"next:{manifest['generation'] if manifest else ROOT}")
            if following is None:
                return manifest
            manifest = json.loads(following["document"])

    def commit(self, manifest: dict, parent: str | None) -> bool:
        """Make `manifest` the successor of generation `parent` (None: the first); False when
        another manifest already followed it."""
        text = json.dumps(manifest, ensure_ascii=False)
        if not self._claim(f"next:{parent or ROOT}", text, generation=manifest["generation"]):
            return False
        with contextlib.suppress(Exception):  # only a hint: readers follow the chain past it
            self.state.upsert(ids=["head"], documents=[text], embeddings=[_UNIT], metadatas=[{"token": "head"}])
        return True

    def holds_lease(self) -> bool:
        """This process holds the lease, and it has not run out (checked before a commit)."""
        if Cluster._epoch is None:
            return False
        lease = self._get(f"lease:{Cluster._epoch}")
        newer = self._get(f"lease:{Cluster._epoch + 1}")
        return lease is not None and newer is None and float(lease.get("expires", 0.0)) > time.time()

    # ---- the writer lease ---------------------------------------------------------------------
    _local = threading.RLock()
    _depth = 0
    _epoch: int | None = None

    @contextlib.contextmanager
    def lease(self):
        """One writer in the cluster at a time (re-entrant within a process; yields whether this
        call acquired it). A lease whose holder died expires after `cluster_lease_seconds`."""
        with Cluster._local:
            fresh = Cluster._depth == 0
            if fresh:
                Cluster._epoch = self._acquire()
            Cluster._depth += 1
            try:
                yield fresh  # False: re-entered by the lease's holder
            finally:
                Cluster._depth -= 1
                if Cluster._depth == 0 and Cluster._epoch is not None:
                    self._claim(f"release:{Cluster._epoch}", "", kind="release")
                    Cluster._epoch = None

    def _acquire(self) -> int:
        deadline = time.monotonic() + self.settings.cluster_wait_seconds
        while True:
            leases = self.state.get(where={"kind": "lease"}, include=["metadatas"])
            epochs = [int(i.split(":", 1)[1]) for i in leases["ids"]]
            latest = max(epochs, default=-1)
            free = latest < 0 or self._get(f"release:{latest}") is not None
            if not free:
                meta = leases["metadatas"][epochs.index(latest)] or {}
                free = float(meta.get("expires", 0.0)) < time.time()
            if free:
                expires = time.time() + self.settings.cluster_lease_seconds
                if self._claim(f"lease:{latest + 1}", self.owner, kind="lease", expires=expires):
                    return latest + 1
            if time.monotonic() > deadline:
                raise ClusterError(f"another replica is changing the index (lease {latest}); try again shortly")
            time.sleep(0.2)

    # ---- files --------------------------------------------------------------------------------
    def put_file(self, sha256: str, data: bytes) -> None:
        if self.files.get(ids=[f"{sha256}:0"], include=[])["ids"]:
            return  # content-addressed: already there
        text = base64.b64encode(data).decode("ascii")
        parts = [text[i : i + PART_BYTES] for i in range(0, len(text), PART_BYTES)] or [""]
        # the parts first, the count last: a reader never sees half a file
        for k, part in enumerate(parts[1:], start=1):
            self.files.upsert(ids=[f"{sha256}:{k}"], documents=[part], embeddings=[_UNIT])
        self.files.upsert(
            ids=[f"{sha256}:0"], documents=[parts[0]], embeddings=[_UNIT], metadatas=[{"parts": len(parts)}]
        )

    def get_file(self, sha256: str) -> bytes | None:
        first = self.files.get(ids=[f"{sha256}:0"], include=["documents", "metadatas"])
        if not first["ids"]:
            return None
        n = int((first["metadatas"][0] or {}).get("parts", 1))
        rest = self.files.get(ids=[f"{sha256}:{k}" for k in range(1, n)], include=["documents"]) if n > 1 else None
        by_id = dict(zip(rest["ids"], rest["documents"], strict=True)) if rest else {}
        text = first["documents"][0] + "".join(by_id[f"{sha256}:{k}"] for k in range(1, n))
        return base64.b64decode(text)


def read_chunks(collection) -> list[Chunk]:
    """Every chunk of a generation's collection, in document order."""
    got = collection.get(include=["documents", "metadatas"])
    chunks = [
        Chunk.from_metadata(text, dict(meta)) for text, meta in zip(got["documents"], got["metadatas"], strict=True)
    ]
    chunks.sort(key=lambda c: (c.doc_id, c.ordinal))
    return chunks


def sync_local(settings: IngestConfig, cluster: Cluster, files: bool, manifest: bool = True) -> dict | None:
    """Make the data dir a copy of the cluster's head: the generation folder (chunks, vocabulary,
    BM25 built from Chroma's chunks), with `manifest` ``current.json`` and, with `files`,
    ``uploads/`` and the excluded list. Returns the head (None: nothing ingested yet).
    Only the lease's holder writes ``current.json`` and ``uploads/``: a reader that read an older
    head could otherwise move them back."""
    head = cluster.head()
    if head is None:
        return None
    data_dir = settings.data_dir
    gen_dir = data_dir / "generations" / head["generation"]
    if not (gen_dir / "chunks.jsonl").exists():
        collection = cluster.client.get_collection(head["collection"], embedding_function=None)
        staging = data_dir / "generations" / f".{head['generation']}-{uuid.uuid4().hex[:6]}"
        staging.mkdir(parents=True)
        write_generation_files(staging, read_chunks(collection))
        with contextlib.suppress(OSError):  # another thread built it first: same content
            os.replace(staging, gen_dir)
        shutil.rmtree(staging, ignore_errors=True)
    if files:
        _sync_files(settings, cluster, head)
    path = data_dir / MANIFEST
    if manifest and (
        not path.exists() or json.loads(path.read_text(encoding="utf-8")).get("generation") != head["generation"]
    ):
        atomic_write_text(path, json.dumps(head, ensure_ascii=False, indent=1))
    return head


def _sync_files(settings: IngestConfig, cluster: Cluster, head: dict) -> None:
    data_dir: Path = settings.data_dir
    wanted = {d["path"]: d["sha256"] for d in head["documents"].values() if d["path"].startswith(f"{UPLOADS}/")}
    uploads = data_dir / UPLOADS
    if uploads.is_dir():
        for path in uploads.rglob("*"):
            rel = path.relative_to(data_dir).as_posix()
            if path.is_file() and rel not in wanted and not path.name.startswith("."):
                path.unlink()  # removed through another replica (".name.x": a fetch being written)
    for rel, sha in wanted.items():
        target = data_dir / rel
        if not (target.is_file() and sha256_file(target) == sha):
            _write_upload(data_dir, cluster, rel, sha)
    atomic_write_text(data_dir / EXCLUDED, json.dumps(sorted(head.get("excluded", []))))


def _write_upload(data_dir: Path, cluster: Cluster, rel: str, sha: str) -> None:
    data = cluster.get_file(sha)
    if data is None:
        raise ClusterError(f"{rel} is in the shared index but its file is missing from Chroma")
    target = data_dir / rel
    if not target.resolve().is_relative_to((data_dir / UPLOADS).resolve()):
        raise ClusterError(f"{rel} is not an upload path")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:6]}")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def fetch_upload(settings: IngestConfig, client, rel: str, sha256: str) -> None:
    """Bring one upload of the shared index into this replica's uploads/ (to serve its file)."""
    _write_upload(settings.data_dir, Cluster(settings, client), rel, sha256)


def publish_files(settings: IngestConfig, cluster: Cluster, documents: dict) -> None:
    """Put the uploads a manifest lists into the cluster's file store (before it is committed)."""
    for d in documents.values():
        if d["path"].startswith(f"{UPLOADS}/"):
            cluster.put_file(d["sha256"], (settings.data_dir / d["path"]).read_bytes())
