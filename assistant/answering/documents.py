"""Answers over several documents: which documents a question names ("wat staat er in de notitie
over ...", "the Regio Deal paper"), and an answer that says which document each statement comes
from when it cites more than one.

A document is named by the words of its title and file name that no other document's title has
(its distinctive words), together with a word for a document: its own kind of document
("notitie", "plan", "agenda") or a general one ("document", "paper"). A topic word of a title
alone ("arbeidsmarkt") does not name a document: the plan treats that topic too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from assistant.schema import Citation
from ingest.dutch import words
from ingest.store import StoreReader

# words for a kind of document; those in a title (also as the end of a compound: uitvoeringsagenda)
# tell that document's kind
DOCUMENT_NOUNS = frozenset(
    [
        "notitie",
        "nota",
        "plan",
        "agenda",
        "rapport",
        "brief",
        "visie",
        "strategie",
        "programma",
        "memo",
        "verslag",
        "paper",
        "note",
        "report",
        "document",
        "stuk",
        "publicatie",
        "beleidsstuk",
        "beleidsnota",
    ]
)
# words that stand for any document: they name one only together with its distinctive words
GENERAL_NOUNS = frozenset(["document", "stuk", "paper", "publicatie", "beleidsstuk"])
# words of titles that name nothing
_FILLER = frozenset(["de", "het", "een", "van", "voor", "en", "in", "op", "the", "of", "a", "an", "and", "for", "to"])


def terms(text: str) -> set[str]:
    """Word forms for matching names: folded, a plural -s dropped (Regio Deals = Regio Deal)."""
    out = set()
    for w in words(text):
        if w in _FILLER or len(w) < 2:
            continue
        out.add(w[:-1] if len(w) > 4 and w.endswith("s") else w)
    return out


@dataclass(frozen=True)
class DocumentNames:
    """The naming words of each document of an index (doc id -> word forms)."""

    words: Mapping[str, frozenset[str]]
    distinctive: Mapping[str, frozenset[str]]
    kinds: Mapping[str, frozenset[str]]  # the document nouns its title has

    @classmethod
    def build(cls, documents: Mapping[str, Mapping]) -> DocumentNames:
        """`documents`: the manifest's documents (id -> entry with title and path)."""
        named = {
            doc_id: frozenset(terms(f"{d.get('title', '')} {_path_words(str(d.get('path', '')))}"))
            for doc_id, d in documents.items()
        }
        distinctive = {
            doc_id: frozenset(w - set().union(*(o for other, o in named.items() if other != doc_id)))
            for doc_id, w in named.items()
        }
        kinds = {
            doc_id: frozenset(n for n in DOCUMENT_NOUNS if any(t == n or t.endswith(n) for t in w))
            for doc_id, w in named.items()
        }
        return cls(words=named, distinctive=distinctive, kinds=kinds)

    def named_in(self, question: str) -> list[str]:
        """The ids of the documents `question` names (none with fewer than two documents): by a
        word for its kind that no other title has ("de notitie"), or by its distinctive words
        together with a word for a document ("the Regio Deal paper", "de agenda arbeidsmarkt")."""
        if len(self.words) < 2:
            return []
        asked = terms(question)
        nouns = {n for n in DOCUMENT_NOUNS for t in asked if t == n or t.endswith(n)}  # uitvoeringsagenda
        named = []
        for doc_id in self.words:
            distinctive = bool(self.distinctive[doc_id] & asked)
            own_kind = nouns & self.kinds[doc_id]
            unique_kind = any(all(k not in self.kinds[o] for o in self.kinds if o != doc_id) for k in own_kind)
            if unique_kind or (distinctive and (own_kind or nouns & GENERAL_NOUNS)):
                named.append(doc_id)
        return named


class NamesCache:
    """`DocumentNames` of the live store generation, built once per generation."""

    def __init__(self) -> None:
        self._cached: tuple[str, DocumentNames] | None = None

    def of(self, store: StoreReader) -> DocumentNames:
        cached = self._cached
        if cached is None or cached[0] != store.generation:
            cached = (store.generation, DocumentNames.build(store.manifest["documents"]))
            self._cached = cached
        return cached[1]

    def named(self, question: str, store: StoreReader) -> frozenset[str]:
        return frozenset(self.of(store).named_in(question))


def _path_words(path: str) -> str:
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return re.sub(r"[-_]+", " ", stem)


_MARKERS = re.compile(r"(?:\s*\[\d+\])+")
_NUMBER = re.compile(r"\[(\d+)\]")


def name_documents(text: str, citations: list[Citation]) -> str:
    """`text` with the document's title before the markers of each statement, when the answer
    cites more than one document; a statement from the same document as the one before it is not
    named again."""
    titles = {c.id: c.document for c in citations}
    if len({c.document_id for c in citations}) < 2:
        return text
    previous: str | None = None
    out, pos = [], 0
    for m in _MARKERS.finditer(text):
        named = list(dict.fromkeys(titles[int(n)] for n in _NUMBER.findall(m.group()) if int(n) in titles))
        label = "; ".join(named)
        out.append(text[pos : m.start()])
        if label and label != previous:
            out.append(f" ({label})")
        out.append(m.group())
        previous = label or previous
        pos = m.end()
    out.append(text[pos:])
    return "".join(out)
