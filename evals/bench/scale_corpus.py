"""A synthetic Dutch corpus for the scale benchmark, generated deterministically from the plan.

The plan's own sentences (its body sections, in document order) are recombined into many
Markdown documents with numbered chapters and sections ("## 3 ...", "### 3.2 ..."): every
paragraph is a short run of consecutive sentences of one plan paragraph plus one or two sentences
from elsewhere, shuffled. The vocabulary, sentence lengths and structure are therefore those of
the real plan, at any size. Nothing is random between runs: document ``i`` depends only on the
seed and ``i``, so a corpus of N chunks is a prefix of the corpus of M > N chunks.

    python -m evals.bench.scale_corpus OUT_DIR --chunks 10000   # writes OUT_DIR/*.md, prints the counts

The chunk count is exact: every generated document is chunked with the indexer's own chunker
(same chunk size and overlap as the settings) until the target is reached.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import shutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from evals.datasets import PLAN

DEFAULT_SEED = 20202025

_TOPICS = [
    "Beleidsnotitie",
    "Uitvoeringsplan",
    "Voortgangsrapportage",
    "Werkprogramma",
    "Regiodeal-notitie",
    "Investeringsagenda",
    "Actieplan",
    "Jaarverslag",
    "Discussienota",
    "Kadernota",
]
_PLACES = [
    "Enschede",
    "Hengelo",
    "Almelo",
    "Oldenzaal",
    "Borne",
    "Haaksbergen",
    "Rijssen-Holten",
    "Hof van Twente",
    "Dinkelland",
    "Tubbergen",
    "Losser",
    "Wierden",
    "Twenterand",
    "Hellendoorn",
]


@dataclass(frozen=True)
class Source:
    paragraphs: tuple[tuple[str, ...], ...]  # body paragraphs of the plan, as sentences
    titles: tuple[str, ...]  # section titles of the plan


@lru_cache(maxsize=1)
def plan_source(plan: Path = PLAN) -> Source:
    """The plan's body paragraphs (each a tuple of sentences) and its section titles."""
    from ingest.loaders import load_file
    from ingest.sentences import split_sentences
    from ingest.structure import parse_sections

    doc = load_file(plan, plan.parent)
    paragraphs: list[tuple[str, ...]] = []
    titles: list[str] = []
    for section in parse_sections(doc):
        if section.kind != "body":
            continue
        if section.title and section.title not in titles:
            titles.append(section.title)
        for para in section.text.split("\n\n"):
            sentences = tuple(
                s.strip()
                for s in split_sentences(para.replace("\n", " "))
                if len(s.split()) >= 4 and not s.lstrip().startswith("- ")
            )
            if sentences:
                paragraphs.append(sentences)
    if not paragraphs:
        raise RuntimeError(f"no body paragraphs found in {plan}")
    return Source(tuple(paragraphs), tuple(titles))


def _paragraph(rng: random.Random, src: Source) -> str:
    base = src.paragraphs[rng.randrange(len(src.paragraphs))]
    n = min(len(base), rng.randint(2, 4))
    start = rng.randrange(len(base) - n + 1)
    sentences = list(base[start : start + n])
    for _ in range(rng.randint(1, 2)):
        other = src.paragraphs[rng.randrange(len(src.paragraphs))]
        sentences.insert(rng.randint(0, len(sentences)), other[rng.randrange(len(other))])
    return " ".join(sentences)


def document(index: int, seed: int = DEFAULT_SEED, src: Source | None = None) -> tuple[str, str]:
    """(file name, Markdown text) of synthetic document ``index``; depends only on seed and index."""
    src = src or plan_source()
    rng = random.Random(f"{seed}:{index}")
    kind = _TOPICS[rng.randrange(len(_TOPICS))]
    place = _PLACES[rng.randrange(len(_PLACES))]
    year = 2020 + rng.randrange(6)
    title = f"{kind} {place} {year} (nr. {index + 1})"
    lines = [f"# {title}", ""]
    for chapter in range(1, rng.randint(5, 8) + 1):
        lines += [f"## {chapter} {src.titles[rng.randrange(len(src.titles))]}", ""]
        for _ in range(rng.randint(1, 2)):  # chapter introduction
            lines += [_paragraph(rng, src), ""]
        for section in range(1, rng.randint(2, 4) + 1):
            lines += [f"### {chapter}.{section} {src.titles[rng.randrange(len(src.titles))]}", ""]
            for _ in range(rng.randint(2, 4)):
                lines += [_paragraph(rng, src), ""]
    name = f"synthetisch-{index + 1:05d}-{place.lower().replace(' ', '-')}.md"
    return name, "\n".join(lines)


def count_chunks(path: Path, root: Path, chunk_words: int = 120, overlap: int = 1) -> int:
    from ingest.chunking import chunk_corpus_document
    from ingest.loaders import load_file

    return len(chunk_corpus_document(load_file(path, root), chunk_words, overlap))


def generate_corpus(
    out_dir: Path,
    target_chunks: int = 10_000,
    seed: int = DEFAULT_SEED,
    chunk_words: int = 120,
    overlap: int = 1,
    clean: bool = True,
) -> dict:
    """Write synthetic documents into ``out_dir`` until they hold at least ``target_chunks`` chunks
    (as the indexer chunks them). Returns a summary: documents, chunks, words, bytes, sha256."""
    out_dir = Path(out_dir)
    if clean and out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    src = plan_source()
    chunks = words = size = 0
    digest = hashlib.sha256()
    files: list[str] = []
    index = 0
    while chunks < target_chunks:
        name, text = document(index, seed, src)
        path = out_dir / name
        path.write_text(text, encoding="utf-8")
        chunks += count_chunks(path, out_dir, chunk_words, overlap)
        words += len(text.split())
        size += len(text.encode("utf-8"))
        digest.update(text.encode("utf-8"))
        files.append(name)
        index += 1
    return {
        "documents": len(files),
        "chunks": chunks,
        "words": words,
        "bytes": size,
        "seed": seed,
        "chunk_words": chunk_words,
        "overlap_sentences": overlap,
        "sha256": digest.hexdigest(),
        "source_paragraphs": len(src.paragraphs),
        "source_sentences": sum(len(p) for p in src.paragraphs),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench.scale_corpus", description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--chunks", type=int, default=10_000, help="target number of chunks (default 10000)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--chunk-words", type=int, default=120)
    parser.add_argument("--overlap", type=int, default=1)
    args = parser.parse_args(argv)
    summary = generate_corpus(args.out_dir, args.chunks, args.seed, args.chunk_words, args.overlap)
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
