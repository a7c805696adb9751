"""The service container: builds the parts once from one Settings and hands them out.

Used by the CLI, the API and the UI alike. The store is re-opened when another process (a CLI
ingest) or an upload swapped in a new generation.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from assistant.answering.sentence_bank import SentenceBank
from assistant.answering.service import AnswerService
from assistant.llm.base import Generator
from assistant.llm.registry import make_generator
from assistant.retrieval import Retriever
from assistant.settings import Settings
from ingest.embedding import Embedder, make_embedder
from ingest.store import StoreReader

if TYPE_CHECKING:
    from assistant.conversations import ConversationStore
    from assistant.conversations.chat import ConversationChat
    from assistant.portfolio import PortfolioService


class Services:
    def __init__(
        self, settings: Settings, embedder: Embedder | None = None, generators: dict[str, Generator] | None = None
    ):
        self.settings = settings
        self._embedder = embedder
        self._lock = threading.RLock()
        self._retriever: Retriever | None = None
        self._generators: dict[str, Generator] = dict(generators or {})
        self._bank: SentenceBank | None = None
        self._answers: AnswerService | None = None
        self._portfolio: PortfolioService | None = None
        self._warm_stop = threading.Event()
        self._conversations: ConversationStore | None = None

    @property
    def embedder(self) -> Embedder:
        with self._lock:
            if self._embedder is None:
                self._embedder = make_embedder(self.settings)
            return self._embedder

    @property
    def bank(self) -> SentenceBank:
        with self._lock:
            if self._bank is None:
                self._bank = SentenceBank(self.embedder, titled=self.settings.sentence_section_weight > 0)
            return self._bank

    def retriever(self) -> Retriever:
        """The retriever over the live generation (re-opened when it changed)."""
        with self._lock:
            if self._retriever is None or not self._retriever.store.is_current():
                store = StoreReader(self.settings, self.embedder.name, self.embedder.dim)
                self._retriever = Retriever(self.settings, self.embedder, store)
            return self._retriever

    def generator(self, name: str) -> Generator:
        with self._lock:
            if name not in self._generators:
                self._generators[name] = make_generator(name, self.settings)
            return self._generators[name]

    @property
    def answers(self) -> AnswerService:
        with self._lock:
            if self._answers is None:
                self._answers = AnswerService(self.settings, self.retriever, self.generator, self.bank)
            return self._answers

    @property
    def portfolio(self) -> PortfolioService:
        with self._lock:
            if self._portfolio is None:
                from assistant.portfolio import PortfolioService

                self._portfolio = PortfolioService(self.settings, self)
            return self._portfolio

    @property
    def conversations(self) -> ConversationStore:
        """The conversation database, opened once per process (on first use)."""
        with self._lock:
            if self._conversations is None:
                from assistant.conversations import ConversationStore

                s = self.settings
                self._conversations = ConversationStore(
                    s.conversations_url or s.conversations_db or (s.data_dir / "conversations.sqlite3"),
                    max_conversations=s.max_conversations_per_owner,
                    max_turns=s.max_turns_per_conversation,
                    max_title_chars=s.max_conversation_title_chars,
                    max_comment_chars=s.max_feedback_comment_chars,
                )
            return self._conversations

    @property
    def chat(self) -> ConversationChat:
        from assistant.conversations.chat import ConversationChat

        return ConversationChat(self.answers, self.conversations, self.settings)

    def ingest(self, corpus_dir: Path | None = None, rebuild: bool = False, progress: bool = False):
        from ingest.indexer import ingest

        report = ingest(self.settings, self.embedder, corpus_dir=corpus_dir, rebuild=rebuild, progress=progress)
        with self._lock:
            self._retriever = None
            self._portfolio = None
        return report

    def warm(self, limit: int = 3000) -> None:
        """Embed the sentences of the stored chunks in the background (small corpora only)."""
        retriever = self.retriever()
        if len(retriever.store.chunks) > limit:
            return
        thread = threading.Thread(target=self.bank.warm, args=(retriever.store.chunks, self._warm_stop), daemon=True)
        thread.start()

    def close(self) -> None:
        self._warm_stop.set()
        with self._lock:
            if self._conversations is not None:
                self._conversations.close()
                self._conversations = None
