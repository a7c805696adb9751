"""Reading HTML fragments in tests: their tags, attributes and visible text."""

from __future__ import annotations

from html.parser import HTMLParser


class Collected(HTMLParser):
    """Tags, attributes and visible text of an HTML fragment."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data):
        self.text.append(data)


def parse(fragment: str) -> Collected:
    p = Collected()
    p.feed(fragment)
    p.close()
    return p
