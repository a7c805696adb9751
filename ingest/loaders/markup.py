"""HTML markup inside text: the tag pattern, blanking of raw code/data elements, stripping for short texts."""

from __future__ import annotations

import re

TAG = re.compile(r"</?[A-Za-z!/?][^<>]*>")
# Raw HTML elements whose content is code or data, never prose: blanked in Markdown/text files
_RAW_HTML_BLOCK = re.compile(
    r"<(script|style|noscript|template|iframe|object|svg|textarea)\b[^>]*>.*?</\1\s*>"
    r"|<(script|style|noscript|template|iframe|object|svg|textarea)\b[^>]*>(?:(?!\n[ \t]*\n).)*(?=\n[ \t]*\n|\Z)",
    re.I | re.S,
)


def blank_raw_html_blocks(text: str) -> str:
    """Replace <script>/<style>/... elements embedded in Markdown or text, content included, by
    spaces (newlines kept), so their code never becomes a passage while every offset into the
    file stays valid. An unclosed element is blanked to the end of its paragraph."""
    if "<" not in text:
        return text
    return _RAW_HTML_BLOCK.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)


def strip_markup(text: str) -> str:
    """Text without HTML: script/style-like elements with their content, other tags alone;
    whitespace collapsed. For short texts such as questions (offsets are not kept)."""
    return re.sub(r" (?=[?.!,;:])", "", " ".join(TAG.sub(" ", blank_raw_html_blocks(text)).split()))
