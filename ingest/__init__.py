"""Ingestion: files -> documents -> sections -> chunks -> store."""
