"""Context expansion as a llama-index node postprocessor: a hit grows by its neighbours in the same
section, so an answer that runs over a chunk boundary comes back whole."""

from __future__ import annotations

from collections.abc import Sequence

from llama_index.core.bridge.pydantic import Field, PrivateAttr
from llama_index.core.postprocessor.types import BaseNodePostprocessor
from llama_index.core.schema import BaseNode, NodeWithScore, QueryBundle

from assistant.retrieval.passages import join_texts

CONTEXT_KEY = "context_node_ids"  # metadata of a merged node: the ids merged into it, in document order


class SectionContextExpander(BaseNodePostprocessor):
    """Merges into each hit its PREVIOUS/NEXT neighbours of the same section (same PARENT) that are
    hits too, or that are short (or the hit is); a neighbour merged into a hit is not a hit of its own.

    The hits passed in are the pool the expansion draws on (the answer service passes 3 x top_k
    fused candidates). `postprocess_nodes` returns merged nodes, at most `top_n`; `expand` returns
    every hit with the nodes merged into it.
    """

    short_hit_words: int = Field(default=40, description="A hit with fewer words takes any same-section neighbour.")
    short_neighbour_words: int = Field(default=25, description="A neighbour with fewer words is always merged.")
    top_n: int | None = Field(default=None, description="Merged nodes to return; None for all.")
    _nodes: dict[str, BaseNode] = PrivateAttr(default_factory=dict)

    def __init__(self, nodes: Sequence[BaseNode], **kwargs) -> None:
        super().__init__(**kwargs)
        self._nodes = {n.node_id: n for n in nodes}

    @classmethod
    def class_name(cls) -> str:
        return "SectionContextExpander"

    def expand(self, hits: Sequence[NodeWithScore]) -> list[tuple[NodeWithScore, list[BaseNode]]]:
        """(hit, neighbours merged into it in document order) for the hits that stay hits, in order."""
        pool = {h.node.node_id for h in hits}
        used: set[str] = set()
        out: list[tuple[NodeWithScore, list[BaseNode]]] = []
        for hit in hits:
            node = hit.node
            if node.node_id in used:
                continue
            used.add(node.node_id)
            context: list[BaseNode] = []
            for related in (node.prev_node, node.next_node):
                neighbour = self._nodes.get(related.node_id) if related is not None else None
                if neighbour is None or neighbour.node_id in used or not _same_section(neighbour, node):
                    continue
                short = _words(node) < self.short_hit_words or _words(neighbour) < self.short_neighbour_words
                if neighbour.node_id in pool or short:
                    context.append(neighbour)
                    used.add(neighbour.node_id)
            out.append((hit, context))
        return out

    def _postprocess_nodes(
        self, nodes: list[NodeWithScore], query_bundle: QueryBundle | None = None
    ) -> list[NodeWithScore]:
        merged = [
            NodeWithScore(node=_merged(hit.node, context), score=hit.score) for hit, context in self.expand(nodes)
        ]
        return merged if self.top_n is None else merged[: self.top_n]


def _words(node: BaseNode) -> int:
    return len(node.get_content().split())


def _same_section(a: BaseNode, b: BaseNode) -> bool:
    return a.parent_node is not None and b.parent_node is not None and a.parent_node.node_id == b.parent_node.node_id


def _merged(node: BaseNode, context: list[BaseNode]) -> BaseNode:
    """A copy of `node` whose text runs over the neighbours merged into it (the original is shared)."""
    if not context:
        return node
    previous = node.prev_node.node_id if node.prev_node is not None else None
    parts = [c for c in context if c.node_id == previous] + [node] + [c for c in context if c.node_id != previous]
    starts = [s for p in parts if (s := getattr(p, "start_char_idx", None)) is not None]
    ends = [e for p in parts if (e := getattr(p, "end_char_idx", None)) is not None]
    return node.model_copy(
        update={
            "text": join_texts([p.get_content() for p in parts]),
            "start_char_idx": min(starts, default=None),
            "end_char_idx": max(ends, default=None),
            "metadata": {**node.metadata, CONTEXT_KEY: [c.node_id for c in parts if c is not node]},
            "excluded_embed_metadata_keys": [*node.excluded_embed_metadata_keys, CONTEXT_KEY],
            "excluded_llm_metadata_keys": [*node.excluded_llm_metadata_keys, CONTEXT_KEY],
        }
    )
