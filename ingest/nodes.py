"""Chunks as llama-index TextNodes, and back.

A node's id is the chunk id; its metadata holds the document id and title, the section number and
title, the chapter, the heading path, the page span, the ordinal and the kind (None where the
chunk has none); ``start_char_idx``/``end_char_idx`` are the chunk's offsets into the loaded
document text. Relationships: SOURCE is the document (its id is ``doc_id``), PREVIOUS/NEXT the
neighbouring chunks in document order, PARENT an id standing for the section (``section_node_id``;
two chunks share it exactly when they share document, section number, heading path and kind).

In EMBED and LLM mode a node's content is the heading path, a newline, the text: what the store
embeds and keyword-indexes (``ingest.store.embed_text``), so a stock llama-index index over these
nodes embeds the same strings.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from llama_index.core.schema import BaseNode, NodeRelationship, ObjectType, RelatedNodeInfo, TextNode

from ingest.model import Chunk

# Chunk fields kept in node metadata (chunk_id is the node id; text, start, end are node fields)
METADATA_KEYS = (
    "doc_id",
    "doc_title",
    "ordinal",
    "section_number",
    "section_title",
    "chapter_number",
    "chapter_title",
    "heading_path",
    "kind",
    "page",
    "page_end",
)
_SHOWN_KEY = "heading_path"  # the one metadata value in EMBED/LLM content


def section_node_id(chunk: Chunk) -> str:
    """The PARENT id of a chunk: one per (document, section number, heading path, kind)."""
    key = json.dumps([chunk.section_number, chunk.heading_path, chunk.kind], ensure_ascii=False)
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:10]
    return f"{chunk.doc_id}:section:{chunk.section_number or '-'}:{digest}"


def chunk_to_node(chunk: Chunk, previous: Chunk | None = None, following: Chunk | None = None) -> TextNode:
    """The node of one chunk; `previous`/`following` are its neighbours in the document, if any."""
    metadata = {key: getattr(chunk, key) for key in METADATA_KEYS}
    relationships = {
        NodeRelationship.SOURCE: RelatedNodeInfo(
            node_id=chunk.doc_id, node_type=ObjectType.DOCUMENT, metadata={"title": chunk.doc_title}
        ),
        NodeRelationship.PARENT: RelatedNodeInfo(
            node_id=section_node_id(chunk),
            metadata={"section_number": chunk.section_number, "section_title": chunk.section_title},
        ),
    }
    if previous is not None:
        relationships[NodeRelationship.PREVIOUS] = RelatedNodeInfo(node_id=previous.chunk_id, node_type=ObjectType.TEXT)
    if following is not None:
        relationships[NodeRelationship.NEXT] = RelatedNodeInfo(node_id=following.chunk_id, node_type=ObjectType.TEXT)
    hidden = [key for key in METADATA_KEYS if key != _SHOWN_KEY]
    return TextNode(
        id_=chunk.chunk_id,
        text=chunk.text,
        metadata=metadata,
        relationships=relationships,
        start_char_idx=chunk.start,
        end_char_idx=chunk.end,
        excluded_embed_metadata_keys=hidden,
        excluded_llm_metadata_keys=list(hidden),
        metadata_template="{value}",
        text_template="{metadata_str}\n{content}",
    )


def nodes_from_chunks(chunks: Sequence[Chunk]) -> list[TextNode]:
    """Nodes in the order of `chunks`, linked PREVIOUS/NEXT within each document by ordinal."""
    by_doc: dict[str, list[Chunk]] = {}
    for chunk in chunks:
        by_doc.setdefault(chunk.doc_id, []).append(chunk)
    neighbours: dict[str, tuple[Chunk | None, Chunk | None]] = {}
    for doc_chunks in by_doc.values():
        doc_chunks.sort(key=lambda c: c.ordinal)
        for i, chunk in enumerate(doc_chunks):
            previous = doc_chunks[i - 1] if i > 0 else None
            following = doc_chunks[i + 1] if i + 1 < len(doc_chunks) else None
            neighbours[chunk.chunk_id] = (previous, following)
    return [chunk_to_node(c, *neighbours[c.chunk_id]) for c in chunks]


def node_to_chunk(node: BaseNode) -> Chunk:
    """The chunk a node of `chunk_to_node` stands for (text without the heading prefix)."""
    meta = node.metadata
    start = getattr(node, "start_char_idx", None)
    end = getattr(node, "end_char_idx", None)
    return Chunk(
        chunk_id=node.node_id,
        doc_id=meta["doc_id"],
        doc_title=meta["doc_title"],
        ordinal=int(meta["ordinal"]),
        text=node.get_content(),
        section_number=meta.get("section_number"),
        section_title=meta.get("section_title", ""),
        chapter_number=meta.get("chapter_number"),
        chapter_title=meta.get("chapter_title"),
        heading_path=meta.get("heading_path", ""),
        kind=meta.get("kind", "body"),
        start=int(start or 0),
        end=int(end or 0),
        page=meta.get("page"),
        page_end=meta.get("page_end"),
    )
