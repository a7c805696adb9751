"""Twente strategy assistant: corpus -> ingest -> store -> retrieve -> answer -> API/UI."""
