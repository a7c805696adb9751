"""Markdown and plain-text files: the text as written (raw HTML code blocks blanked), title from the first heading."""

from __future__ import annotations

import re

from ingest.loaders.common import clean_title, read_text
from ingest.loaders.markup import blank_raw_html_blocks
from ingest.model import PageSpan

_MD_H1 = re.compile(r"^#\s+(.+?)\s*#*\s*$", re.M)
_MD_ANY_H = re.compile(r"^#{1,6}\s+(.+?)\s*#*\s*$", re.M)


def _text_and_heading_title(data: bytes, name: str) -> tuple[str, str]:
    text = blank_raw_html_blocks(read_text(data, name))
    m = _MD_H1.search(text) or _MD_ANY_H.search(text)
    return text, clean_title(m.group(1)) if m else ""


def load_markdown(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, pages, title) of a Markdown file; the title is its first (level-1) heading."""
    text, title = _text_and_heading_title(data, name)
    return text, [], title


def load_plain_text(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, pages, title) of a .txt file; without a '#' heading a short first line is the title."""
    text, title = _text_and_heading_title(data, name)
    if not title:
        first = next((" ".join(ln.split()) for ln in text.split("\n") if ln.strip()), "")
        if len(first) <= 100 and not first.endswith("."):
            title = first
    return text, [], title
