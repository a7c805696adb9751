"""Settings for a test: everything under tmp dirs, nothing read from the environment."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import REPO_ROOT, Settings

PLAN = REPO_ROOT / "corpus" / "twente-board-strategisch-plan-2020-2025.md"
PLAN_PATH = PLAN


def make_settings(data_dir: Path, corpus_dir: Path | None = None, **overrides) -> Settings:
    """The extractive backend unless a test asks for another: a test of the answer flow should not
    load the 1 GB model because its question happens to be English (the "auto" default)."""
    overrides.setdefault("backend", "extractive")
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        corpus_dir=corpus_dir or (REPO_ROOT / "corpus"),
        reports_dir=data_dir / "reports",
        **overrides,
    )


def ingest_plan(root: Path, embedder) -> Path:
    """A data dir under `root` holding the shipped plan, ingested with `embedder`; returns it."""
    import shutil

    from ingest.indexer import ingest

    corpus = root / "corpus"
    corpus.mkdir(parents=True, exist_ok=True)
    shutil.copy(PLAN, corpus / PLAN.name)
    report = ingest(make_settings(root / "data", corpus), embedder, progress=False)
    assert report.failed == [] and report.chunks > 20
    return root / "data"
