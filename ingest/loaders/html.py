"""HTML files: visible text only (BeautifulSoup), headings as '#' lines, list items and table rows one a line."""

from __future__ import annotations

import re

from ingest.loaders.common import clean_title, loader_error, read_text
from ingest.loaders.markup import TAG
from ingest.model import IngestError, PageSpan

_HTML_DROP = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "canvas",
    "head",
    "nav",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "math",
    "frame",
    "frameset",
    "applet",
    "link",
    "meta",
)
_HTML_BLOCKS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "blockquote",
    "pre",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "address",
    "details",
    "summary",
    "body",
    "html",
    "center",
    "fieldset",
    "caption",
}
_BREAK = "\x00BR\x00"
_PARA = "\x00P\x00"


def _render(soup) -> str:
    from bs4 import Comment, NavigableString, Tag

    out: list[str] = []

    def flat(node) -> str:
        """Text of a node: inline children glued as written, block children and <br> spaced."""
        if isinstance(node, NavigableString):
            return str(node) if type(node) is NavigableString else ""
        if not isinstance(node, Tag):
            return ""
        name = (node.name or "").lower()
        if name == "br":
            return " "
        inner = "".join(flat(c) for c in node.children)
        if name in _HTML_BLOCKS or name in ("li", "tr", "td", "th") or re.fullmatch(r"h[1-6]", name):
            return " " + inner + " "
        return inner

    def inline_text(node) -> str:
        return re.sub(r"\s+", " ", flat(node)).strip()

    def walk(node) -> None:
        for child in node.children:
            if isinstance(child, Comment):
                continue
            if isinstance(child, NavigableString):
                if type(child) is not NavigableString:  # CData, ProcessingInstruction, Doctype, ...
                    continue
                out.append(re.sub(r"\s+", " ", str(child)))
                continue
            if not isinstance(child, Tag):
                continue
            name = (child.name or "").lower()
            if re.fullmatch(r"h[1-6]", name):
                text = inline_text(child)
                if text:
                    out.append(_PARA + "#" * int(name[1]) + " " + text + _PARA)
            elif name == "li":
                own: list[str] = []
                nested = []
                for sub in child.children:
                    if isinstance(sub, Tag) and (sub.name or "").lower() in ("ul", "ol"):
                        nested.append(sub)
                    else:
                        own.append(flat(sub))
                text = re.sub(r"\s+", " ", "".join(own)).strip()
                if text:
                    out.append(_BREAK + "- " + text + _BREAK)
                for sub in nested:
                    walk(sub)
            elif name == "br":
                out.append(_BREAK)
            elif name == "hr":
                out.append(_PARA)
            elif name == "tr":
                cells = [inline_text(c) for c in child.find_all(["td", "th"])]
                cells = [c for c in cells if c]
                if cells:
                    out.append(_BREAK + " | ".join(cells) + _BREAK)
            elif name == "img":
                continue
            elif name in _HTML_BLOCKS:
                out.append(_PARA)
                walk(child)
                out.append(_PARA)
            else:
                walk(child)

    walk(soup)
    raw = "".join(out)
    blocks: list[str] = []
    for para in raw.split(_PARA):
        lines = [re.sub(r"[ \t]+", " ", ln).strip() for ln in para.split(_BREAK)]
        lines = [ln for ln in lines if ln and ln != "-"]
        if not lines:
            continue
        # a list item line and following non-list lines of the same paragraph
        blocks.append("\n".join(lines))
    text = "\n\n".join(blocks)
    # never carry raw HTML further (e.g. escaped "&lt;script&gt;" in text becomes "<script>")
    text = TAG.sub("", text)
    return text


def load_html(data: bytes, name: str) -> tuple[str, list[PageSpan], str]:
    """(text, pages, title) of an HTML page; the title from <title> or the first <h1>."""
    raw_text = read_text(data, name)
    try:
        from bs4 import BeautifulSoup, Comment

        soup = BeautifulSoup(raw_text, "html.parser")
        title = ""
        if soup.title is not None:
            title = clean_title(soup.title.get_text(" "))
        if not title:
            h1 = soup.find("h1")
            if h1 is not None:
                title = clean_title(h1.get_text(" "))
        for c in soup.find_all(string=lambda s: isinstance(s, Comment)):
            c.extract()
        for tag in soup.find_all(list(_HTML_DROP)):
            tag.decompose()
        text = _render(soup)
    except IngestError:
        raise
    except Exception as e:
        raise loader_error(
            name,
            f"the HTML could not be parsed ({type(e).__name__})",
            "Save the page again as HTML or as text and add that file",
        ) from None
    return text, [], title
