"""Settings for a test: everything under tmp dirs, nothing read from the environment."""

from __future__ import annotations

from pathlib import Path

from assistant.settings import REPO_ROOT, Settings

PLAN = REPO_ROOT / "corpus" / "twente-board-strategisch-plan-2020-2025.md"
PLAN_PATH = PLAN


def make_settings(data_dir: Path, corpus_dir: Path | None = None, **overrides) -> Settings:
    return Settings(
        _env_file=None,
        data_dir=data_dir,
        corpus_dir=corpus_dir or (REPO_ROOT / "corpus"),
        reports_dir=data_dir / "reports",
        **overrides,
    )
