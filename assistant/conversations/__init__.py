"""Conversations kept server-side: the SQLite store (`store`), a chat that saves each turn and
reads its history from there (`chat`), and exports (`export`)."""

from assistant.conversations.store import (
    ConversationError,
    ConversationLimit,
    ConversationNotFound,
    ConversationSchemaError,
    ConversationStore,
)

__all__ = [
    "ConversationError",
    "ConversationLimit",
    "ConversationNotFound",
    "ConversationSchemaError",
    "ConversationStore",
]
