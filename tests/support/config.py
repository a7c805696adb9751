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


def services_with(root: Path, indexed_dir: Path, embedder, files: dict[str, bytes | str | Path]):
    """Services over a private copy of the session index and a corpus of the plan plus `files`
    (name -> content, or a path to copy), ingested; the caller closes them."""
    import shutil

    from assistant.services import Services

    data_dir, corpus = root / "data", root / "corpus"
    shutil.copytree(indexed_dir, data_dir)
    corpus.mkdir(parents=True)
    shutil.copy(PLAN, corpus / PLAN.name)
    for name, content in files.items():
        if isinstance(content, Path):
            shutil.copy(content, corpus / name)
        elif isinstance(content, bytes):
            (corpus / name).write_bytes(content)
        else:
            (corpus / name).write_text(content, encoding="utf-8")
    services = Services(make_settings(data_dir, corpus), embedder=embedder)
    report = services.ingest(progress=False)
    assert report.failed == [], report.failed
    return services
