"""Text rules every answer obeys: what a request may contain, and no raw HTML in what leaves."""

from __future__ import annotations

import html
import re
import unicodedata

MARKER = re.compile(r"\[(\d+)\]")  # a citation marker [n]
_TAG = re.compile(r"<[^>]{0,200}>")


def text_problem(text: str) -> str | None:
    """Why a text from a request cannot be processed, or None. Catches what JSON lets through:
    lone UTF-16 surrogates (no UTF-8 form) and text made only of invisible format characters."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an invalid character (a lone UTF-16 surrogate)"
    if not "".join(c for c in text if unicodedata.category(c) != "Cf").strip():
        return "is empty"
    return None


def clean_output(text: str) -> str:
    """No raw HTML ever leaves the service: tags are dropped, stray < > & escaped."""
    return html.escape(_TAG.sub("", text), quote=False).replace("&amp;", "&")
