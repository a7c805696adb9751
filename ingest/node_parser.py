"""The structure-aware chunker as a llama-index NodeParser.

``StructureNodeParser`` turns llama-index Documents into the TextNodes of ``ingest.nodes``, chunked
exactly as the indexer chunks (``ingest.chunking.chunk_corpus_document``). A Document made by
``document_from_loaded`` (from our loaders) carries the document id, title, format and pages; one
from ``SimpleDirectoryReader`` (one Document per file) gets them from its file name the way our
loaders do: the id from the file name, Markdown/plain text cleaned as our text loaders clean it,
the title from the first heading.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from llama_index.core.bridge.pydantic import Field
from llama_index.core.node_parser import NodeParser
from llama_index.core.schema import BaseNode, Document, MetadataMode

from ingest.chunking import chunk_corpus_document
from ingest.loaders.paths import doc_id_for, readable_stem
from ingest.loaders.text import load_markdown, load_plain_text
from ingest.model import LoadedDocument, PageSpan
from ingest.nodes import nodes_from_chunks

_TEXT_FORMATS = {".md": ("md", load_markdown), ".markdown": ("md", load_markdown), ".txt": ("txt", load_plain_text)}
_DOCUMENT_KEYS = ("doc_id", "title", "path", "format", "sha256", "pages")


def document_from_loaded(doc: LoadedDocument) -> Document:
    """A llama-index Document with everything StructureNodeParser needs to chunk `doc` as the indexer does."""
    metadata = {
        "doc_id": doc.doc_id,
        "title": doc.title,
        "path": doc.path,
        "format": doc.format,
        "sha256": doc.sha256,
        "pages": [[p.number, p.start, p.end] for p in doc.pages],
    }
    return Document(
        id_=doc.doc_id,
        text=doc.text,
        metadata=metadata,
        excluded_embed_metadata_keys=list(_DOCUMENT_KEYS),
        excluded_llm_metadata_keys=list(_DOCUMENT_KEYS),
    )


def loaded_from_document(document: BaseNode) -> LoadedDocument:
    """The LoadedDocument a Document stands for (see the module docstring for Documents of other readers)."""
    meta = document.metadata
    text = document.get_content(metadata_mode=MetadataMode.NONE)
    if "doc_id" in meta:
        return LoadedDocument(
            doc_id=meta["doc_id"],
            title=meta.get("title") or meta["doc_id"],
            path=meta.get("path", ""),
            text=text,
            format=meta.get("format", "txt"),
            sha256=meta.get("sha256") or hashlib.sha256(text.encode("utf-8")).hexdigest(),
            pages=[PageSpan(int(n), int(s), int(e)) for n, s, e in meta.get("pages", [])],
        )
    name = str(meta.get("file_name") or meta.get("file_path") or document.node_id)
    path = Path(name)
    title = ""
    fmt = path.suffix.lower().lstrip(".") or "txt"
    if path.suffix.lower() in _TEXT_FORMATS:
        fmt, loader = _TEXT_FORMATS[path.suffix.lower()]
        text, _, title = loader(text.encode("utf-8"), name)
    return LoadedDocument(
        doc_id=doc_id_for(path.name),
        title=title or readable_stem(path),
        path=path.name,
        text=text,
        format=fmt,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
    )


class StructureNodeParser(NodeParser):
    """Headings -> sections -> sentence-aligned chunks with sentence overlap, as TextNodes.

    The nodes come with their offsets, metadata and relationships set (``ingest.nodes``); the base
    class's post-processing is skipped because it would re-find each node's text in the document
    (wrong for repaired text) and copy the reader's file metadata into every node.
    """

    chunk_words: int = Field(default=120, gt=0, description="Target words per chunk.")
    overlap_sentences: int = Field(default=1, ge=0, description="Sentences repeated at a chunk boundary.")

    @classmethod
    def class_name(cls) -> str:
        return "StructureNodeParser"

    def _parse_nodes(self, nodes: Sequence[BaseNode], show_progress: bool = False, **kwargs: Any) -> list[BaseNode]:
        out: list[BaseNode] = []
        for document in nodes:
            chunks = chunk_corpus_document(loaded_from_document(document), self.chunk_words, self.overlap_sentences)
            out.extend(nodes_from_chunks(chunks))
        return out

    def _postprocess_parsed_nodes(self, nodes: list[BaseNode], parent_doc_map: dict[str, Document]) -> list[BaseNode]:
        return nodes
