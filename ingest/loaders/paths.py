"""Corpus paths: the files of a corpus folder, and a document's id and fallback title from its path."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path


def discover(corpus_dir: Path) -> list[Path]:
    """All files below `corpus_dir` (recursive, sorted), skipping hidden files and folders.

    Unsupported extensions are included so the caller can report them."""
    corpus_dir = Path(corpus_dir)
    if not corpus_dir.is_dir():
        return []
    out = []
    for p in corpus_dir.rglob("*"):
        rel = p.relative_to(corpus_dir)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if p.is_file():
            out.append(p)
    return sorted(out, key=lambda p: p.relative_to(corpus_dir).as_posix())


def _ascii_fold(s: str) -> str:
    return unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode("ascii")


def doc_id_for(rel_path: str) -> str:
    """Stable slug of a corpus-relative path without extension: lowercase [a-z0-9-], '/' -> '--'."""
    rel = str(rel_path).replace("\\", "/").strip("/")
    p = Path(rel)
    stem_path = p.with_suffix("") if p.suffix else p
    parts = []
    for part in stem_path.as_posix().split("/"):
        slug = re.sub(r"[^a-z0-9]+", "-", _ascii_fold(part).lower()).strip("-")
        if slug:
            parts.append(slug)
    return "--".join(parts) or "document"


def readable_stem(path: Path) -> str:
    """The file name without extension as a title: separators as spaces, first letter capitalised."""
    stem = re.sub(r"[-_]+", " ", path.stem).strip()
    stem = re.sub(r"\s+", " ", stem)
    return (stem[:1].upper() + stem[1:]) if stem else path.name
