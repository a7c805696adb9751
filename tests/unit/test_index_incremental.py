"""Indexing the shipped plan with the fake embedder: what is embedded when, what a broken file
does, and that an index only opens with the embedder that built it (embedded Chroma in tmp)."""

from __future__ import annotations

import json
import math
import shutil

import pytest
from support.config import PLAN, make_settings
from support.fakes import FakeEmbedder

from assistant.services import Services
from ingest import indexer
from ingest.indexer import ingest
from ingest.store import EmbedderMismatch, StoreError, StoreReader, read_manifest

# one sentence of the plan, and the word a test changes in it
SENTENCE = "Ook is de vraag hoe het coronavirus zich ontwikkelt, zolang er geen vaccin is."
OLD_WORD, NEW_WORD = "vaccin", "tegengif"


@pytest.fixture
def corpus(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    return corpus


@pytest.fixture
def settings(tmp_path, corpus):
    return make_settings(tmp_path / "data", corpus)


@pytest.fixture
def embedder():
    return FakeEmbedder()


@pytest.fixture
def indexed(settings, embedder):
    """The plan ingested once; the embedder's counters start at zero afterwards."""
    report = ingest(settings, embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    embedder.reset()
    return report


def manifest_bytes(settings) -> bytes:
    return (settings.data_dir / "current.json").read_bytes()


def store(settings, embedder) -> StoreReader:
    return StoreReader(settings, embedder.name, embedder.dim)


def test_first_ingest_embeds_every_chunk_once(settings, embedder):
    report = ingest(settings, embedder, progress=False)
    assert report.added == [PLAN.name] and report.failed == [] and report.exit_code == 0
    assert report.embedded == report.chunks == len(embedder.passages) and report.reused == 0
    assert embedder.passage_calls == math.ceil(report.chunks / settings.embed_batch_size)
    assert embedder.query_calls == 0
    reader = store(settings, embedder)
    assert len(reader.chunks) == report.chunks
    assert reader.chroma_ids() == {c.chunk_id for c in reader.chunks}
    assert read_manifest(settings.data_dir)["embedder"] == {"name": embedder.name, "dim": embedder.dim}


def test_second_ingest_with_nothing_changed_embeds_and_reads_nothing(settings, embedder, indexed, monkeypatch):
    before = manifest_bytes(settings)
    loads = []
    real_load = indexer.load_file
    monkeypatch.setattr(indexer, "load_file", lambda *a, **kw: loads.append(a) or real_load(*a, **kw))
    report = ingest(settings, embedder, progress=False)
    assert embedder.calls == 0 and report.embedded == 0
    assert loads == []  # an unchanged file (same sha256) is not even re-read
    assert report.unchanged == [PLAN.name] and not report.changed
    assert report.generation == indexed.generation and report.chunks == indexed.chunks
    assert manifest_bytes(settings) == before


def test_changing_one_sentence_reembeds_only_its_chunks(settings, corpus, embedder, indexed):
    path = corpus / PLAN.name
    text = path.read_text(encoding="utf-8")
    assert text.count(SENTENCE) == 1 and NEW_WORD not in text
    path.write_text(text.replace(SENTENCE, SENTENCE.replace(OLD_WORD, NEW_WORD)), encoding="utf-8")

    report = ingest(settings, embedder, progress=False)
    assert report.updated == [PLAN.name] and report.failed == []
    assert report.generation != indexed.generation
    assert 1 <= report.embedded <= 3, report.summary()  # the chunk(s) holding that sentence
    assert report.embedded + report.reused == report.chunks == indexed.chunks
    assert len(embedder.passages) == report.embedded
    assert all(NEW_WORD in t for t in embedder.passages)  # only texts that changed were embedded
    reader = store(settings, embedder)
    assert any(NEW_WORD in c.text for c in reader.chunks)
    assert not any("geen vaccin" in c.text for c in reader.chunks)
    assert reader.chroma_ids() == {c.chunk_id for c in reader.chunks}


def test_a_running_service_answers_from_an_ingest_made_elsewhere(settings, corpus, embedder, indexed):
    svc = Services(settings, embedder=embedder)
    question = SENTENCE.replace(OLD_WORD, NEW_WORD)
    before = svc.answers.ask(question)
    assert not any(NEW_WORD in c.text for c in before.citations)
    path = corpus / PLAN.name
    path.write_text(path.read_text(encoding="utf-8").replace(SENTENCE, question), encoding="utf-8")
    ingest(settings, embedder, progress=False)  # e.g. `assistant ingest` in another process
    after = svc.answers.ask(question)
    assert any(NEW_WORD in c.text for c in after.citations)
    # the quoted sentence comes from the new text too, not from sentences cached for the old chunk
    assert NEW_WORD in after.answer and OLD_WORD not in after.answer
    assert svc.retriever().store.generation == read_manifest(settings.data_dir)["generation"]


def test_removing_the_file_empties_the_index(settings, corpus, embedder, indexed):
    (corpus / PLAN.name).unlink()
    report = ingest(settings, embedder, progress=False)
    assert report.removed == [PLAN.name] and report.chunks == 0 and report.documents == 0
    assert report.embedded == 0 and embedder.calls == 0
    assert read_manifest(settings.data_dir)["documents"] == {}
    reader = store(settings, embedder)
    assert reader.chunks == [] and reader.chroma_ids() == set()
    answer = Services(settings, embedder=embedder).answers.ask("Wat zijn de impactportfolio's?")
    assert answer.status == "not_found" and answer.citations == []


@pytest.mark.parametrize(
    "name, content",
    [
        ("leeg.md", b""),
        ("spaties.md", b"  \n\n \t\n"),
        ("geen-pdf.pdf", b"this is plain text pretending to be a PDF"),
        ("kapot.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50),
    ],
)
def test_a_broken_new_file_is_reported_and_the_index_stays(settings, corpus, embedder, indexed, name, content):
    before = manifest_bytes(settings)
    (corpus / name).write_bytes(content)
    report = ingest(settings, embedder, progress=False)
    assert [path for path, _ in report.failed] == [name] and report.exit_code == 1
    assert name in report.failed[0][1]  # the message names the file
    assert "Traceback" not in report.failed[0][1]
    assert report.unchanged == [PLAN.name] and report.generation == indexed.generation
    assert embedder.calls == 0
    assert manifest_bytes(settings) == before


def test_a_file_that_breaks_keeps_its_previous_version(settings, corpus, embedder, indexed):
    extra = corpus / "notitie.md"
    extra.write_text(
        "# Notitie waterstof\n\nDe waterstofhub in Almelo levert groene waterstof aan de industrie in de regio.\n",
        encoding="utf-8",
    )
    first = ingest(settings, embedder, progress=False)
    assert first.added == ["notitie.md"]
    good = read_manifest(settings.data_dir)
    embedder.reset()

    extra.write_bytes(b"")  # the file breaks
    report = ingest(settings, embedder, progress=False)
    assert [path for path, _ in report.failed] == ["notitie.md"]
    assert report.removed == [] and embedder.calls == 0
    now = read_manifest(settings.data_dir)
    assert now["documents"] == good["documents"]  # its previous good version is still indexed
    assert any("waterstofhub" in c.text for c in store(settings, embedder).chunks)


def test_switching_the_embedder_is_refused_with_a_message(settings, embedder, indexed):
    before = manifest_bytes(settings)
    for other in (FakeEmbedder(name="fake/another-model@2"), FakeEmbedder(name=embedder.name, dim=32)):
        with pytest.raises(EmbedderMismatch) as err:
            ingest(settings, other, progress=False)
        msg = str(err.value)
        assert embedder.name in msg and other.name in msg and "--rebuild" in msg
        assert str(other.dim) in msg
        assert other.calls == 0
        # the service refuses the index too, before it embeds a question
        with pytest.raises(StoreError, match="--rebuild"):
            Services(settings, embedder=other).answers.ask("Wat zijn de impactportfolio's?")
        assert other.calls == 0
    assert manifest_bytes(settings) == before

    # --rebuild re-embeds everything with the new embedder
    other = FakeEmbedder(name="fake/another-model@2")
    report = ingest(settings, other, rebuild=True, progress=False)
    assert report.embedded == report.chunks == indexed.chunks and report.reused == 0
    assert json.loads(manifest_bytes(settings))["embedder"]["name"] == other.name
    with pytest.raises(EmbedderMismatch):
        store(settings, embedder)
