"""Questions inside a saved conversation: the history comes from the store, the answered turn goes
back into it. Without a conversation id this is the plain answer service."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING

from assistant.answering.errors import QuestionError
from assistant.answering.question import analyse
from assistant.answering.service import AnswerService, Event, final_answer
from assistant.conversations.store import ConversationStore
from assistant.schema import Answer, ChatMessage
from ingest.language import detect_language

if TYPE_CHECKING:
    from assistant.settings import Settings

# the settings that shape an answer, recorded with each piece of feedback
CONFIG_KEYS = (
    "embedder",
    "top_k",
    "chunk_words",
    "chunk_overlap_sentences",
    "dense_weight",
    "bm25_weight",
    "expand_context",
    "reranker_model",
    "not_found_threshold",
    "question_aware_answers",
    "llm_prompt",
    "english_answers",
    "llamacpp_model_path",
)


def answer_config(settings: Settings, backend: str) -> dict:
    out = {k: getattr(settings, k, None) for k in CONFIG_KEYS}
    out["backend"] = backend
    return {k: (str(v) if v is not None and not isinstance(v, (int, float, bool, str)) else v) for k, v in out.items()}


class ConversationChat:
    def __init__(self, answers: AnswerService, store: ConversationStore, settings: Settings):
        self.answers = answers
        self.store = store
        self.settings = settings

    def _history(
        self, owner: str, conversation_id: str | None, history: Sequence[ChatMessage] | None
    ) -> list[ChatMessage] | None:
        if conversation_id is None:
            return list(history or [])
        if history:
            raise QuestionError("send either history or conversation_id: a saved conversation has its own history")
        self.store.check_room(owner, conversation_id)  # ConversationNotFound for another's, or full
        return self.store.history(owner, conversation_id)

    def stream(
        self,
        owner: str,
        question: str,
        conversation_id: str | None = None,
        history: Sequence[ChatMessage] | None = None,
        backend: str | None = None,
        top_k: int | None = None,
        documents: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        past = self._history(owner, conversation_id, history)
        for event in self.answers.stream(question, past, backend, top_k, documents):
            if conversation_id is not None and event.type == "final" and isinstance(event.data, Answer):
                saved = self.store.add_turn(owner, conversation_id, event.data, list(documents) if documents else None)
                event.data.conversation_id, event.data.turn_id = conversation_id, saved["id"]
            yield event

    def ask(self, owner: str, question: str, conversation_id: str | None = None, **kw) -> Answer:
        return final_answer(self.stream(owner, question, conversation_id, **kw))

    def feedback(self, owner: str, conversation_id: str, turn_id: str, rating: str, comment: str = "") -> dict:
        """Thumbs up/down on a saved answer, with the configuration that produced it."""
        if rating not in ("up", "down"):
            raise QuestionError("rating must be 'up' or 'down'")
        turn = next((t for t in self.store.get(owner, conversation_id)["turns"] if t["id"] == turn_id), None)
        question = turn["standalone_question"] if turn else ""
        return self.store.set_feedback(
            owner,
            conversation_id,
            turn_id,
            1 if rating == "up" else -1,
            comment,
            kind=analyse(question).kind if question else "",
            language=detect_language(question) if question else "",
            config=answer_config(self.settings, turn["backend"] if turn else ""),
        )
