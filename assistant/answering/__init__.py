"""Answering: passages -> grounded Answer, with extractive or language-model backends."""
