"""The plan as the check uses it: its structure (`read_plan`) with the embeddings and word
weights of every portfolio and action line, built once per store generation."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from assistant.portfolio.plan import PlanSentence, Topic, read_plan
from assistant.settings import Settings


@dataclass
class PlanModel:
    """The plan of one store generation, ready for scoring."""

    generation: str
    doc_id: str
    doc_title: str
    portfolios: list[Topic]
    action_lines: list[Topic]
    background: np.ndarray  # section titles of the plan, E5 passages
    conditions: list[PlanSentence]  # sentences of the portfolio section that state a condition
    preconditions: list[PlanSentence]  # the randvoorwaarden list of the chapter
    support: list[PlanSentence]  # sentences naming regional actors
    idf: dict[str, float]
    drivers: PlanSentence | None = None
    links: dict[str, str] = field(default_factory=dict)  # portfolio id -> the action line it drives


def mark_shared(topics: list[Topic], analyzer) -> None:
    """Mark the phrases whose stemmed words equal a phrase of another topic."""
    keys = [[frozenset(analyzer.tokens(p)) for p in t.phrases] for t in topics]
    for i, topic in enumerate(topics):
        others = {k for j, ks in enumerate(keys) if j != i for k in ks if k}
        topic.shared = [bool(k) and k in others for k in keys[i]]


def build_plan_model(store, embedder, settings: Settings) -> PlanModel:
    """Read the plan from `store` and embed its portfolios, action lines, section titles and
    support sections. Raises PlanStructureError when a list is missing."""
    text = read_plan(store.chunks)
    portfolios, action_lines, support = text.portfolios, text.action_lines, text.support
    analyzer = store.analyzer
    doc_id = portfolios[0].chunk.doc_id
    doc_chunks = [c for c in store.chunks if c.doc_id == doc_id]
    df: Counter = Counter()
    for c in doc_chunks:
        df.update(set(analyzer.tokens(c.text)))
    n = max(1, len(doc_chunks))
    idf = {t: max(0.0, math.log(n / k)) for t, k in df.items()}
    rare = max(3, int(settings.portfolio_rare_share * n))
    default_idf = math.log(n) if n > 1 else 1.0
    for topic in portfolios + action_lines:
        topic.item_vector = np.asarray(embedder.embed_query(topic.description), dtype=np.float32)
        topic.phrase_vectors = np.vstack([embedder.embed_query(p) for p in topic.phrases]).astype(np.float32)
        # lexical evidence counts only the plan's rarer words (in at most `portfolio_rare_share`
        # of its chunks, at least 3): "robotica", "textiel", not "nieuw" or "ontwikkeling"
        topic.phrase_tokens = [
            {t: idf.get(t, default_idf) for t in analyzer.tokens(p) if df.get(t, 0) <= rare} for p in topic.phrases
        ]
    mark_shared(portfolios, analyzer)
    titles = sorted({c.section_title for c in doc_chunks if c.section_title})
    background = embedder.embed_passages(titles or [doc_chunks[0].doc_title])
    # which support sentence serves which kind of idea: the one whose section lies closest to
    # the portfolios (for ideas that fit), or to an action line (for ideas that serve it)
    section_of = {c.chunk_id: s for s in text.doc_sections for c in s.chunks}
    if support:
        texts = [
            " ".join(section_of[p.chunk.chunk_id].text.split()[:200]) if p.chunk.chunk_id in section_of else p.text
            for p in support
        ]
        vecs = np.asarray(embedder.embed_passages(texts), dtype=np.float32)
        items = np.vstack([tp.item_vector for tp in portfolios])
        for p, v in zip(support, vecs, strict=True):
            p.affinity = {
                "portfolios": float((items @ v).mean()),
                **{a.id: float(a.item_vector @ v) for a in action_lines},
            }
    # which driven action line each portfolio drives: the one its item lies closest to
    links: dict[str, str] = {}
    driven = [a for a in action_lines if a.id in text.driven]
    if driven:
        line_vecs = np.asarray(embedder.embed_passages([a.text for a in driven]), dtype=np.float32)
        for tp in portfolios:
            links[tp.id] = driven[int(np.argmax(line_vecs @ tp.item_vector))].id
    return PlanModel(
        generation=store.generation,
        doc_id=doc_id,
        doc_title=portfolios[0].chunk.doc_title,
        portfolios=portfolios,
        action_lines=action_lines,
        background=np.asarray(background, dtype=np.float32),
        conditions=text.conditions,
        preconditions=text.preconditions,
        support=support,
        idf=idf,
        drivers=text.drivers,
        links=links,
    )
