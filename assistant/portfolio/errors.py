"""What the portfolio check refuses: a wrong idea, or a store without the plan's lists."""

from __future__ import annotations

from ingest.store import StoreError


class IdeaError(ValueError):
    """The idea itself is wrong (empty, too long, NUL bytes, unknown backend): a 4xx."""


class PlanStructureError(StoreError):
    """The store holds no list of impact portfolios (or action lines) to check against."""
