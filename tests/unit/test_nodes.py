"""Chunks as llama-index TextNodes (ingest.nodes) and the chunker as a NodeParser (ingest.node_parser)."""

from __future__ import annotations

import itertools
import random

from llama_index.core import SimpleDirectoryReader
from llama_index.core.schema import MetadataMode, NodeRelationship, ObjectType
from llama_index.core.vector_stores.utils import node_to_metadata_dict
from support.config import PLAN

from ingest.chunking import chunk_corpus_document
from ingest.node_parser import StructureNodeParser, document_from_loaded
from ingest.nodes import METADATA_KEYS, chunk_to_node, node_to_chunk, nodes_from_chunks, section_node_id
from ingest.store import embed_text


def dumps(nodes) -> list[dict]:
    return [n.model_dump() for n in nodes]


def test_a_node_holds_the_chunk_and_gives_it_back(plan_chunks):
    for chunk, node in zip(plan_chunks, nodes_from_chunks(plan_chunks), strict=True):
        assert node.node_id == chunk.chunk_id and node.text == chunk.text
        assert (node.start_char_idx, node.end_char_idx) == (chunk.start, chunk.end)
        assert node.metadata == {key: getattr(chunk, key) for key in METADATA_KEYS}
        assert node_to_chunk(node) == chunk


def test_embed_and_llm_content_are_what_the_store_embeds(plan_chunks):
    for chunk, node in zip(plan_chunks, nodes_from_chunks(plan_chunks), strict=True):
        assert node.get_content(MetadataMode.EMBED) == embed_text(chunk)
        assert node.get_content(MetadataMode.LLM) == embed_text(chunk)
        assert node.get_content() == chunk.text


def test_relationships_source_previous_next_and_section_parent(plan_chunks):
    nodes = nodes_from_chunks(plan_chunks)
    for i, node in enumerate(nodes):
        source = node.relationships[NodeRelationship.SOURCE]
        assert source.node_id == plan_chunks[i].doc_id == node.ref_doc_id
        assert source.node_type == ObjectType.DOCUMENT
        assert (node.prev_node.node_id if node.prev_node else None) == (nodes[i - 1].node_id if i else None)
        assert (node.next_node.node_id if node.next_node else None) == (
            nodes[i + 1].node_id if i + 1 < len(nodes) else None
        )
    for a, ca in zip(nodes, plan_chunks, strict=True):
        for b, cb in zip(nodes, plan_chunks, strict=True):
            same = (ca.doc_id, ca.section_number, ca.heading_path, ca.kind) == (
                cb.doc_id,
                cb.section_number,
                cb.heading_path,
                cb.kind,
            )
            assert (a.parent_node.node_id == b.parent_node.node_id) == same
    assert nodes[0].parent_node.node_id == section_node_id(plan_chunks[0])


def test_neighbours_follow_the_ordinal_within_each_document_whatever_the_input_order(plan_chunks):
    other = [
        c.__class__(**{**c.__dict__, "doc_id": "other", "chunk_id": "other:" + c.chunk_id}) for c in plan_chunks[:5]
    ]
    mixed = [*plan_chunks, *other]
    random.Random(7).shuffle(mixed)
    nodes = nodes_from_chunks(mixed)
    assert [n.node_id for n in nodes] == [c.chunk_id for c in mixed]
    by_id = {n.node_id: n for n in nodes}
    for chunks in (plan_chunks, other):
        for a, b in itertools.pairwise(chunks):
            assert by_id[a.chunk_id].next_node.node_id == b.chunk_id
            assert by_id[b.chunk_id].prev_node.node_id == a.chunk_id
        assert by_id[chunks[0].chunk_id].prev_node is None and by_id[chunks[-1].chunk_id].next_node is None


def test_node_metadata_is_flat_enough_for_a_vector_store(plan_chunks):
    for node in nodes_from_chunks(plan_chunks):
        stored = node_to_metadata_dict(node, remove_text=True, flat_metadata=True)  # raises when not flat
        assert stored["doc_id"] == node.metadata["doc_id"]  # llama-index writes the SOURCE id there


def test_single_chunk_node_has_no_neighbours(plan_chunks):
    node = chunk_to_node(plan_chunks[3])
    assert node.prev_node is None and node.next_node is None and node.parent_node is not None


def test_node_parser_chunks_our_documents_as_the_indexer_does(plan_doc, plan_chunks):
    parser = StructureNodeParser()
    got = parser.get_nodes_from_documents([document_from_loaded(plan_doc)])
    assert dumps(got) == dumps(nodes_from_chunks(plan_chunks))
    assert dumps(parser([document_from_loaded(plan_doc)])) == dumps(got)  # as an ingestion transform


def test_node_parser_takes_simple_directory_reader_documents(plan_chunks):
    documents = SimpleDirectoryReader(input_files=[str(PLAN)]).load_data()
    got = StructureNodeParser().get_nodes_from_documents(documents)
    assert dumps(got) == dumps(nodes_from_chunks(plan_chunks))


def test_node_parser_chunk_size_fields(plan_doc):
    parser = StructureNodeParser(chunk_words=60, overlap_sentences=0)
    got = parser.get_nodes_from_documents([document_from_loaded(plan_doc)])
    want = chunk_corpus_document(plan_doc, 60, 0)
    assert [node_to_chunk(n) for n in got] == want
    assert len(want) > len(chunk_corpus_document(plan_doc, 120, 1))
