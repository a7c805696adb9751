"""The checks the "not found" decision makes before its score, by name (settings.not_found_rules
turns them on; the evaluation's sweep-rules measures each one switched off)."""

from __future__ import annotations

NOT_FOUND_RULES = (
    "off_topic",
    "unknown_names",
    "amount",
    "percentage",
    "money",
    "date",
    "role_holder",
    "members",
    "member_line",
)
