"""The one settings object. Built once (``Settings()``) and passed in; nothing reads env at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ingest.config import REPO_ROOT, IngestConfig

__all__ = ["REPO_ROOT", "Settings"]


class Settings(BaseSettings, IngestConfig):
    """Everything, read from ``ASSISTANT_*`` variables (or ``.env``). The ingest fields come from
    ``IngestConfig``, so a ``Settings`` can be handed to the ingest layer as it is."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    reports_dir: Path = REPO_ROOT / "reports"

    # retrieval
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 10
    dense_weight: float = 1.0
    bm25_weight: float = 0.75
    expand_context: bool = True
    reranker_model: str = ""

    # answering
    backend: Literal["extractive", "llamacpp", "openai"] = "extractive"
    not_found_threshold: float = 0.2
    max_answer_sentences: int = 4
    llamacpp_model_path: str = ""
    llamacpp_cache_dir: Path = Path.home() / ".cache" / "twente-assistant"
    llamacpp_n_ctx: int = 4096
    llamacpp_threads: int = 2
    llm_max_tokens: int = 320
    llm_context_passages: int = 4
    openai_base_url: str = "http://127.0.0.1:8080/v1"
    openai_model: str = "local"
    openai_api_key: SecretStr = SecretStr("not-needed")
    openai_timeout: float = 120.0
    llm_queue_size: int = 4

    # service
    host: str = "127.0.0.1"
    port: int = 8000
    api_key: SecretStr | None = None
    max_question_chars: int = 2000
    max_upload_bytes: int = 10 * 1024 * 1024

    # api
    max_request_bytes: int = Field(default=1024 * 1024, description="limit for JSON request bodies")
