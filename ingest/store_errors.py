"""The store's errors (a module of their own so that every part of the store can raise them)."""

from __future__ import annotations


class StoreError(Exception):
    """The store cannot be used as asked; the message says what to do."""


class EmbedderMismatch(StoreError):
    pass


class StoreUnavailable(StoreError):
    """The Chroma server cannot be reached."""
