"""The llama-index retrieval parts (assistant.retrieval) over the plan indexed with the fake embedder
in an embedded Chroma in a tmp dir: each part against what it stands for, and the facade built from
them once per store generation."""

from __future__ import annotations

import shutil

import numpy as np
import pytest
from llama_index.core.llms import MockLLM
from llama_index.core.query_engine import RetrieverQueryEngine
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle, TextNode
from support.config import ingest_plan, make_settings
from support.fakes import FakeEmbedder

from assistant.retrieval import (
    DenseRetriever,
    KeywordRetriever,
    Retriever,
    SectionContextExpander,
    WeightedRRFRetriever,
    join_chunk_texts,
)
from assistant.retrieval.expansion import CONTEXT_KEY
from assistant.services import Services
from ingest.indexer import ingest
from ingest.store import StoreReader

QUERIES = [
    "Welke impactportfolio's kiest de Twente Board?",
    "Wie is de voorzitter van de Twente Board?",
    "arbeidsmarkt en onderwijs in de regio",
    "What does Twente Board Development do?",
    "textielrecycling circulaire economie",
]


@pytest.fixture(scope="module")
def embedder():
    return FakeEmbedder()


@pytest.fixture(scope="module")
def settings(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("retrievers")
    data_dir = ingest_plan(root, embedder)
    return make_settings(data_dir, root / "corpus")


@pytest.fixture(scope="module")
def store(settings, embedder):
    return StoreReader(settings, embedder.name, embedder.dim)


@pytest.fixture(scope="module")
def retriever(settings, embedder, store):
    return Retriever(settings, embedder, store)


def bundle(embedder, query: str) -> QueryBundle:
    return QueryBundle(query_str=query, embedding=embedder.vector(query).tolist())


def test_dense_retriever_equals_a_direct_collection_query(store, embedder):
    dense = DenseRetriever(store, embedder, similarity_top_k=12)
    for query in QUERIES:
        hits = dense.retrieve(bundle(embedder, query))
        direct = store.collection.query(
            query_embeddings=[embedder.vector(query).tolist()], n_results=12, include=["distances"]
        )
        assert [h.node.node_id for h in hits] == direct["ids"][0]
        assert np.allclose([h.score for h in hits], [1.0 - d for d in direct["distances"][0]], rtol=0, atol=1e-9)
        assert all(isinstance(h, NodeWithScore) and h.node is store.nodes[store.index_of[h.node.node_id]] for h in hits)


def test_dense_retriever_uses_the_bundle_embedding_and_embeds_a_bare_query(store, embedder):
    dense = DenseRetriever(store, embedder, similarity_top_k=5)
    before = embedder.query_calls
    given = dense.retrieve(bundle(embedder, QUERIES[0]))
    assert embedder.query_calls == before
    embedded = dense.retrieve(QUERIES[0])
    assert embedder.query_calls == before + 1
    assert [(h.node.node_id, h.score) for h in embedded] == [(h.node.node_id, h.score) for h in given]


def test_keyword_retriever_is_the_dutch_bm25_of_the_store(store):
    keyword = KeywordRetriever(store, similarity_top_k=10)
    for query in QUERIES:
        hits = keyword.retrieve(query)
        assert [(store.index_of[h.node.node_id], h.score) for h in hits] == store.keyword(query, 10)
    # the Dutch analyser splits the compound: a chunk about textiel recycling matches
    assert keyword.retrieve("textielrecycling")


def test_weighted_rrf_scores_and_ties():
    nodes = {name: TextNode(id_=name, text=name) for name in "abcd"}

    class Fixed(BaseRetriever):
        def __init__(self, names):  # a retriever with a fixed ranking
            super().__init__()
            self.names = names

        def _retrieve(self, query_bundle):
            return [NodeWithScore(node=nodes[n], score=1.0) for n in self.names]

    fusion = WeightedRRFRetriever([Fixed("abc"), Fixed("cd")], [1.0, 0.75], rrf_k=10, similarity_top_k=3)
    got = fusion.retrieve("q")
    expected = {"a": 1 / 11, "b": 1 / 12, "c": 1 / 13 + 0.75 / 11, "d": 0.75 / 12}
    assert [h.node.node_id for h in got] == sorted(expected, key=lambda n: -expected[n])[:3]
    assert all(h.score == expected[h.node.node_id] for h in got)
    tie = WeightedRRFRetriever([Fixed("ab"), Fixed("ba")], [1.0, 1.0], rrf_k=10).retrieve("q")
    assert [h.node.node_id for h in tie] == ["a", "b"]  # equal scores: first seen first
    with pytest.raises(ValueError):
        WeightedRRFRetriever([Fixed("a")], [1.0, 0.5])


def test_the_hybrid_retriever_is_the_facade_ranking(retriever, embedder):
    for query in QUERIES:
        hybrid = retriever.hybrid.retrieve(bundle(embedder, query))
        facade = retriever.retrieve(query, top_k=len(hybrid), expand=False)
        assert [(h.node.node_id, h.score) for h in hybrid] == [(p.chunk.chunk_id, p.score) for p in facade.passages]


def test_facade_modes_fuse_one_or_two_rankings(retriever, settings):
    query = QUERIES[0]
    got = {mode: retriever.retrieve(query, mode=mode, expand=False) for mode in ("hybrid", "dense", "bm25")}
    assert got["bm25"].query_vector is None and "embed_query" not in got["bm25"].timings
    assert set(got["hybrid"].timings) == {"embed_query", "retrieve", "fuse"}
    dense_first = got["dense"].passages[0]
    assert dense_first.score == settings.dense_weight / (settings.rrf_k + 1) and dense_first.bm25 is None
    assert got["dense"].dense_top == dense_first.dense
    assert got["bm25"].passages[0].score == settings.bm25_weight / (settings.rrf_k + 1)


def test_expander_merges_only_same_section_neighbours(retriever, store, embedder):
    merged_any = False
    for query in QUERIES:
        hits = retriever.hybrid.retrieve(bundle(embedder, query))
        for hit, context in retriever.expander.expand(hits):
            for neighbour in context:
                merged_any = True
                assert neighbour.parent_node.node_id == hit.node.parent_node.node_id
                assert neighbour.node_id in {hit.node.prev_node.node_id, hit.node.next_node.node_id}
        ids = [n.node_id for hit, ctx in retriever.expander.expand(hits) for n in [hit.node, *ctx]]
        assert len(ids) == len(set(ids))  # a merged neighbour is not a hit of its own
    assert merged_any


def test_expander_as_postprocessor_gives_the_passage_text(retriever, embedder):
    for query in QUERIES:
        facade = retriever.retrieve(query)
        nodes = retriever.expander.postprocess_nodes(retriever.hybrid.retrieve(bundle(embedder, query)))
        assert len(nodes) == len(facade.passages) == retriever.settings.top_k
        for node, passage in zip(nodes, facade.passages, strict=True):
            assert node.node.get_content() == passage.text == join_chunk_texts(passage.chunks)
            assert node.node.metadata.get(CONTEXT_KEY, []) == [
                c.chunk_id for c in passage.chunks if c is not passage.chunk
            ]
            assert node.score == passage.score


def test_expander_never_changes_the_shared_nodes(retriever, store, embedder):
    before = [n.model_dump() for n in store.nodes]
    for query in QUERIES:
        retriever.expander.postprocess_nodes(retriever.hybrid.retrieve(bundle(embedder, query)))
        retriever.retrieve(query)
    assert [n.model_dump() for n in store.nodes] == before


def test_expander_top_n_and_a_node_without_neighbours():
    lone = TextNode(id_="x", text="kort")
    expander = SectionContextExpander([lone], top_n=1)
    out = expander.postprocess_nodes(
        [NodeWithScore(node=lone, score=1.0), NodeWithScore(node=TextNode(id_="y"), score=0.5)]
    )
    assert [n.node.node_id for n in out] == ["x"] and out[0].node is lone


def test_a_plain_retriever_query_engine_returns_the_facade_passages(retriever):
    engine = RetrieverQueryEngine.from_args(retriever.hybrid, llm=MockLLM(), node_postprocessors=[retriever.expander])
    for query in QUERIES:
        response = engine.query(query)
        passages = retriever.retrieve(query).passages
        assert [n.node.node_id for n in response.source_nodes] == [p.chunk.chunk_id for p in passages]
        assert [n.node.get_content() for n in response.source_nodes] == [p.text for p in passages]


def test_parts_are_built_once_per_generation(settings, embedder, tmp_path):
    corpus = tmp_path / "corpus"
    shutil.copytree(settings.corpus_dir, corpus)
    own = make_settings(tmp_path / "data", corpus)
    ingest(own, embedder, progress=False)
    services = Services(own, embedder=embedder)
    first = services.retriever()
    parts = (first.dense, first.keyword, first.hybrid, first.expander)
    for query in QUERIES:
        services.answers.ask(query)
    assert services.retriever() is first
    assert (first.dense, first.keyword, first.hybrid, first.expander) == parts
    assert first.reranker is None
    (corpus / "extra.md").write_text("# Extra\n\nDe ijsbaan in Deventer krijgt zonnepanelen.\n", encoding="utf-8")
    ingest(own, embedder, progress=False)  # a new generation
    second = services.retriever()
    assert second is not first and second.store.generation != first.store.generation
    assert second.hybrid is not first.hybrid and len(second.store.nodes) == len(first.store.nodes) + 1
    assert services.retriever() is second
