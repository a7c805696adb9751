"""The one settings object. Built once (``Settings()``) and passed in; nothing reads env at import."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from assistant.answering.not_found_rules import NOT_FOUND_RULES
from assistant.llm.names import BackendName
from ingest.config import REPO_ROOT, IngestConfig

__all__ = ["REPO_ROOT", "Settings"]


class Settings(BaseSettings, IngestConfig):
    """Everything, read from ``ASSISTANT_*`` variables (or ``.env``). The ingest fields come from
    ``IngestConfig``, so a ``Settings`` can be handed to the ingest layer as it is."""

    model_config = SettingsConfigDict(env_prefix="ASSISTANT_", env_file=".env", extra="ignore")

    reports_dir: Path = REPO_ROOT / "reports"

    # conversations (assistant/conversations): SQLite in the data dir unless a path is given
    conversations_db: Path | None = None
    # replicas: a PostgreSQL server every replica reaches (postgresql://user:pass@host:port/db);
    # when set it is used instead of the SQLite file
    conversations_url: str = Field(default="", pattern=r"^(|postgres(ql)?://.+)$")
    max_conversations_per_owner: int = Field(default=500, ge=1)
    max_turns_per_conversation: int = Field(default=200, ge=1)
    max_conversation_title_chars: int = Field(default=200, ge=10)
    max_feedback_comment_chars: int = Field(default=2000, ge=10)

    # retrieval
    top_k: int = 5
    candidates: int = 30
    rrf_k: int = 10
    dense_weight: float = 1.0
    bm25_weight: float = 0.75
    expand_context: bool = True
    reranker_model: str = ""

    # answering
    backend: BackendName = "auto"
    # "auto": English questions, and the kinds of question listed, go to the language model
    # (chosen by measurement, see evals/CHOICES.md); everything else is answered extractively
    auto_model_backend: str = "llamacpp"
    route_english_to_model: bool = True
    # several documents (assistant/answering/documents.py, sections.py)
    prefer_named_documents: bool = Field(
        default=True, description="a question that names a document is answered from it first (all documents if not)"
    )
    whole_section_answers: bool = Field(
        default=True, description="'vat hoofdstuk 5 samen': an overview of the whole section, one line per subsection"
    )
    route_kinds_to_model: list[str] = Field(default_factory=lambda: ["yes_no"])
    not_found_threshold: float = 0.2
    not_found_rules: list[str] = Field(
        default_factory=lambda: list(NOT_FOUND_RULES),
        description="the checks made before the score (assistant/answering/evidence.py); each has its ablation",
    )
    max_answer_sentences: int = 4
    # a sentence's score: cosine with the question + this x the share of the question's terms it
    # holds, each term weighted by its rarity among the candidate sentences (idf) or all alike
    sentence_lexical_weight: float = 0.1
    sentence_lexical_idf: bool = True
    # ... and for an English question, this x the share of its words' roots a Dutch sentence
    # shares (technology / technologie); 0: the Dutch terms with sentence_lexical_weight
    sentence_cognate_weight: float = 0.2
    # ... plus this x what its cosine gains when the sentence is read behind its section label
    # ("§6.1 Focus op impactportfolio's: ..."; evals/sentence_signals.py); 0: off
    sentence_section_weight: float = 0.5
    # "plain": sentences ranked by the cosine + lexical score above; "learned": by the linear ranker
    # fitted on dev (answering/ranking.py; not the default: it did worse on test, evals/CHOICES.md)
    sentence_ranker: Literal["learned", "plain"] = "plain"
    question_aware_answers: bool = Field(
        default=True, description="compose the span the question's kind asks for (off: the best sentences)"
    )
    llamacpp_model_path: str = ""
    llamacpp_cache_dir: Path = Path.home() / ".cache" / "twente-assistant"
    llamacpp_n_ctx: int = 4096
    llamacpp_threads: int = 2
    llm_max_tokens: int = 320
    llm_context_passages: int = 4
    # a generated sentence is supported by a passage sentence this similar (E5 cosine); a sentence
    # in another language than the passage (English answers, Dutch plan) by the second figure
    support_min_similarity: float = 0.90
    support_min_similarity_translated: float = 0.90
    english_answers: Literal["write", "translate"] = Field(
        default="write",
        description="with a language model, an English question gets: the model's answer written from the "
        "evidence sentences (but a member line or an item headed by what was asked is translated), or the "
        "composed extractive answer translated sentence by sentence",
    )
    english_fallback_translation: bool = Field(
        default=True,
        description="when none of the model's English sentences is supported, translate the composed answer",
    )
    # a translated sentence is kept when its E5 embedding is this close to its Dutch source's
    translation_min_similarity: float = 0.93
    translate_queries: bool = Field(
        default=False, description="with a language model: an English question is searched for in Dutch"
    )
    translated_search: Literal["replace", "fuse"] = Field(
        default="fuse",
        description="with translate_queries: the Dutch question replaces the English one everywhere, or only "
        "adds its passages (fused by rank) and scores the sentences, the question as asked deciding 'not found'",
    )
    llm_evidence_words: int = Field(
        default=80, description="the grounded writer's evidence budget in words (the prompt's size)"
    )
    answer_both_parts: bool = Field(
        default=True, description="a question of two joined questions ('..., en welke ...?') gets both answered"
    )
    llm_prompt: Literal["evidence", "passages"] = Field(
        default="evidence",
        description="what the model writes from: the selected evidence sentences, or whole passages",
    )
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
    # the UI's own upload route (Gradio's, which the API key does not guard): assistant/ui/upload_guard.py
    ui_uploads_per_client: int = Field(
        default=20, ge=1, description="files one client may send to the UI's upload route per ui_upload_window_seconds"
    )
    ui_upload_window_seconds: int = Field(default=600, ge=1)
    ui_upload_space_bytes: int = Field(
        default=200 * 1024 * 1024, ge=0, description="the UI's upload folder takes no more files beyond this size"
    )
    ui_upload_keep_seconds: int = Field(
        default=1800, ge=60, description="files in the UI's upload folder are deleted after this long"
    )
    # watching the corpus folder (`assistant serve --watch`, assistant/watch.py)
    watch: bool = Field(default=False, description="ingest files added, changed or removed in corpus_dir while serving")
    watch_debounce_seconds: float = Field(
        default=0.5, ge=0, description="a burst of changes is over when no new one came for this long"
    )
    watch_quiet_seconds: float = Field(
        default=1.0,
        ge=0,
        description="then a changed file is read once its size and modification time stayed the same this long",
    )

    # api
    max_request_bytes: int = Field(default=1024 * 1024, description="limit for JSON request bodies")

    # portfolio check (calibrated on the dev split, see evals/PORTFOLIO.md)
    portfolio_strong: float = Field(
        default=0.0122, description="raw score at or above which the best portfolio is 'strong' (verdict 'fit')"
    )
    portfolio_partial: float = Field(
        default=0.0118,
        description="raw score at or above which a portfolio is at "
        "least 'partial'; the best below it gives verdict 'no_fit'",
    )
    portfolio_margin: float = Field(
        default=0.0204,
        description="a second portfolio shows ('partial') when at or above 'partial' and within this of the best",
    )
    portfolio_action: float = Field(
        default=0.0578,
        description="raw score at or above which an action line is "
        "served on its own (lines a fitting portfolio drives are served anyway)",
    )
    portfolio_action_margin: float = Field(
        default=0.004, description="an action line served on its own lies within this of the best line"
    )
    portfolio_item_weight: float = Field(
        default=0.5, description="weight of the whole portfolio description against its best phrases in the raw score"
    )
    portfolio_top_phrases: int = Field(
        default=2, ge=1, description="the raw score averages this many best phrase similarities"
    )
    portfolio_technology: str = Field(
        default="sleuteltechnologieen",
        description="id of the portfolio about technologies themselves; an application portfolio close to it "
        "comes first ('' = plain ranking by score)",
    )
    portfolio_application_margin: float = Field(
        default=0.008,
        ge=0,
        description="how far the technology portfolio may lead an application portfolio that still comes first",
    )
    portfolio_skip_shared: bool = Field(
        default=True, description="phrases two portfolios share (AI) do not count towards either one's score"
    )
    portfolio_lexical_weight: float = Field(
        default=0.01, description="raw-score bonus for an idea that uses all rare words of a phrase"
    )
    portfolio_rare_share: float = Field(
        default=0.05, description="words in more than this share of the plan's chunks carry no lexical evidence"
    )
    portfolio_llm_max_tokens: int = Field(
        default=48, ge=16, description="tokens the model may write for the why of a portfolio check (backend named)"
    )
    portfolio_score_scale: float = Field(
        default=0.015, gt=0, description="logistic scale of the reported 0..1 score (0.5 at 'partial')"
    )
