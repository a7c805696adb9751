"""Evaluation metrics as pure functions (no index, no model): retrieval, answers, refusals, latency.

Definitions (also in the report):

Relevance. A passage is relevant to a gold evidence item when its text contains the item's quote
after `normalize` (markdown/HTML markup removed, typographic quotes and dashes unified, case folded,
whitespace collapsed). A passage that holds several gold items covers each of them.

A ranking is given as a list of sets: for every retrieved passage, best first, the indexes of the
gold items it contains.

- hit@k: 1 when any of the top k passages covers a gold item, else 0.
- recall@k: gold items covered by the top k passages / gold items of the question (each item
  counts once, however many passages contain it).
- reciprocal rank (MRR = its mean): 1 / rank of the first passage covering a gold item; 0 when none
  is retrieved.
- nDCG@k: binary relevance per gold item; the gain of a passage is the number of gold items it is
  the first to cover (a repeat of an item already covered gains nothing), discounted by
  1 / log2(rank + 1). IDCG is the DCG of the ideal ranking, which puts the relevant passages first:
  computed exactly over the passages that exist (the index's units plus the retrieved ones) and the
  gold items that can be found in them. When every findable item sits in a different passage this is
  the textbook sum_{i=1..min(n, k)} 1 / log2(i + 1) over the n findable items. 0 when none can be found.

Answers (only for questions whose answer has status "answered"; a refusal of an answerable question
scores 0 on fact recall and is counted by the refusal figures):

- fact recall: share of the required facts present in the answer (a fact is a list of variants; any
  variant counts), compared after case folding, accent folding and whitespace/markup normalisation.
- claims: the answer split into sentences at its [n] citation markers; fixed service phrases
  ("The documents are in Dutch; quoted from the source:") are not claims.
- support: a passage supports a claim when it contains the claim's text (normalised; always true for
  extractive quotes), or when >= `SUPPORT_OVERLAP` of the claim's words (>= 3 letters, accent-folded)
  occur in the passage.
- citation precision: share of the answer's cited passages that contain a gold quote or support a
  claim that cites them.
- citation recall: share of claims that carry a citation to a passage that supports them.

Refusals (positive class = not_found): precision = correct refusals / all refusals, recall = correct
refusals / unanswerable questions, refusal rate = refused answerable questions / answerable questions.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence

from evals.figures import percentile

K_VALUES = (1, 3, 5, 10)
SUPPORT_OVERLAP = 0.8

_TAG = re.compile(r"</?[A-Za-z!/?][^<>]*>")
_MD_MARK = re.compile(r"[*_`#>|~]+")
_RULE = re.compile(r"(?m)^\s*[-=]{3,}\s*$")
_MARKER = re.compile(r"\[(\d+)\]")
_CLAIM = re.compile(r"(.*?)((?:\s*\[\d+\])+)", re.S)
_WORD = re.compile(r"\w+", re.U)
_TRANSLATE = str.maketrans(
    {
        "‘": "'",
        "’": "'",
        "‚": "'",
        "`": "'",
        "´": "'",
        "“": '"',
        "”": '"',
        "„": '"',
        "«": '"',
        "»": '"',
        "–": "-",
        "—": "-",
        "‐": "-",
        "‑": "-",
        "−": "-",
        "\u00a0": " ",
        "\u200b": "",
    }
)


# --------------------------------------------------------------------------------------------
# normalisation and matching
# --------------------------------------------------------------------------------------------


def normalize(text: str) -> str:
    """Markup removed, quotes/dashes unified, case folded, whitespace collapsed (accents kept)."""
    text = unicodedata.normalize("NFKC", text or "").translate(_TRANSLATE)
    text = _RULE.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _MD_MARK.sub("", text)
    return " ".join(text.casefold().split())


def fold(text: str) -> str:
    """`normalize` plus accent folding (for facts: "Sleuteltechnologieen" matches "...ieën")."""
    text = unicodedata.normalize("NFKD", normalize(text))
    return unicodedata.normalize("NFKC", "".join(c for c in text if not unicodedata.combining(c)))


def contains_quote(passage: str, quote: str) -> bool:
    q = normalize(quote)
    return bool(q) and q in normalize(passage)


def covered_items(passage: str, quotes: Sequence[str]) -> set[int]:
    """Indexes of the gold quotes the passage contains."""
    p = normalize(passage)
    return {i for i, q in enumerate(quotes) if (nq := normalize(q)) and nq in p}


# --------------------------------------------------------------------------------------------
# retrieval
# --------------------------------------------------------------------------------------------


def hit_at_k(ranking: Sequence[set[int]], k: int) -> float:
    return 1.0 if any(ranking[:k]) else 0.0


def recall_at_k(ranking: Sequence[set[int]], n_gold: int, k: int) -> float:
    if n_gold <= 0:
        raise ValueError("recall needs at least one gold item")
    covered = set().union(*ranking[:k]) if ranking[:k] else set()
    return len(covered) / n_gold


def reciprocal_rank(ranking: Sequence[set[int]], k: int | None = None) -> float:
    for rank, items in enumerate(ranking[:k] if k else ranking, start=1):
        if items:
            return 1.0 / rank
    return 0.0


def dcg_at_k(ranking: Sequence[set[int]], k: int) -> float:
    """Gain of a passage = gold items it is the first to cover; discount 1/log2(rank+1)."""
    seen: set[int] = set()
    total = 0.0
    for rank, items in enumerate(ranking[:k], start=1):
        new = set(items) - seen
        if new:
            total += len(new) / math.log2(rank + 1)
            seen |= new
    return total


def ideal_dcg_at_k(pool: Iterable[set[int]], k: int) -> float:
    """DCG of the best ranking that can be built from the passages in `pool` (exact).

    Dynamic programme over the set of items covered so far: a passage's gain depends only on
    which items earlier passages already covered. Gold item counts here are small (<= ~12)."""
    units = {frozenset(u) for u in pool if u}
    if not units:
        return 0.0
    items = sorted(set().union(*units))
    bit = {item: 1 << i for i, item in enumerate(items)}
    masks = {sum(bit[x] for x in u) for u in units}
    full = (1 << len(items)) - 1
    best: dict[int, float] = {0: 0.0}  # covered mask -> best DCG so far
    result = 0.0
    for rank in range(1, k + 1):
        disc = 1.0 / math.log2(rank + 1)
        nxt: dict[int, float] = {}
        for covered, value in best.items():
            for m in masks:
                new = m & ~covered
                if not new:
                    continue
                v = value + bin(new).count("1") * disc
                key = covered | m
                if v > nxt.get(key, -1.0):
                    nxt[key] = v
        if not nxt:
            break
        result = max(result, max(nxt.values()))
        best = nxt
        if full in best and len(best) == 1:
            break
    return result


def ndcg_at_k(ranking: Sequence[set[int]], pool: Iterable[set[int]], k: int = 10) -> float:
    """nDCG@k with the ideal computed over `pool` (all passages that exist) plus the ranking."""
    ideal = ideal_dcg_at_k([*pool, *ranking], k)
    if ideal <= 0:
        return 0.0
    return dcg_at_k(ranking, k) / ideal


def textbook_idcg(n_findable: int, k: int) -> float:
    """IDCG when each findable gold item sits in its own passage."""
    return sum(1.0 / math.log2(i + 1) for i in range(1, min(n_findable, k) + 1))


def retrieval_scores(
    ranking: Sequence[set[int]], n_gold: int, pool: Iterable[set[int]], ks: Sequence[int] = K_VALUES
) -> dict[str, float]:
    out: dict[str, float] = {}
    for k in ks:
        out[f"hit@{k}"] = hit_at_k(ranking, k)
    for k in ks:
        out[f"recall@{k}"] = recall_at_k(ranking, n_gold, k)
    out["mrr"] = reciprocal_rank(ranking, max(ks))
    out["ndcg@10"] = ndcg_at_k(ranking, pool, 10)
    return out


# --------------------------------------------------------------------------------------------
# answers
# --------------------------------------------------------------------------------------------


def fact_present(answer: str, variants: Sequence[str]) -> bool:
    a = fold(answer)
    return any((v := fold(x)) and v in a for x in variants)


def fact_recall(answer: str, facts: Sequence[Sequence[str]]) -> float | None:
    """Share of required facts (each: a list of variants) present in the answer; None without facts."""
    if not facts:
        return None
    return sum(fact_present(answer, f) for f in facts) / len(facts)


def split_claims(answer: str, skip: Iterable[str] = ()) -> list[tuple[str, list[int]]]:
    """(claim, cited ids) pairs. The answer is cut after every run of [n] markers; a piece holding
    several sentences gives the markers to its last sentence (the others are uncited claims).
    Fixed service phrases in `skip` are removed first; fragments under 2 words are dropped."""
    from ingest.sentences import split_sentences  # pure, shared with the answering stage

    text = answer or ""
    for phrase in skip:
        if phrase:
            text = text.replace(phrase, "\n")
    pieces: list[tuple[str, list[int]]] = []
    pos = 0
    for m in _CLAIM.finditer(text):
        pieces.append((m.group(1), [int(x) for x in _MARKER.findall(m.group(2))]))
        pos = m.end()
    if text[pos:].strip():
        pieces.append((text[pos:], []))
    out: list[tuple[str, list[int]]] = []
    for body, ids in pieces:
        body = body.lstrip(" \t.,;:!?")
        sentences = [s for s in split_sentences(body) if s.strip()]
        for j, sentence in enumerate(sentences):
            clean = re.sub(r"^[-*\u2022]\s+", "", " ".join(sentence.split()))
            if len(clean.split()) < 2:
                continue
            out.append((clean, ids if j == len(sentences) - 1 else []))
    return out


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(fold(text)) if len(w) >= 3}


def supports(passage: str, claim: str, overlap: float = SUPPORT_OVERLAP) -> bool:
    """The passage contains the claim (normalised), or >= `overlap` of its words."""
    c = normalize(claim).rstrip(" .;:")
    if c and c in normalize(passage):
        return True
    words = _content_words(claim)
    if not words:
        return False
    return len(words & _content_words(passage)) / len(words) >= overlap


def citation_scores(
    claims: Sequence[tuple[str, list[int]]],
    cited: dict[int, str],
    gold_quotes: Sequence[str] = (),
    gold_documents: Sequence[str] = (),
    cited_documents: dict[int, str] | None = None,
) -> dict[str, float | None]:
    """Citation precision and recall of one answer.

    `cited`: citation id -> passage text (the answer's citation list). A marker to an id that is
    not in the list counts as a cited passage that supports nothing. With several documents,
    `gold_documents` gives each gold quote's doc id ("": any) and `cited_documents` each cited
    passage's: a quote then only counts in a passage of its own document."""
    ids = set(cited) | {i for _, refs in claims for i in refs}
    good = set()
    for i in ids:
        text = cited.get(i)
        if text is None:
            continue
        quotes = gold_quotes
        if gold_documents and cited_documents is not None:
            doc = cited_documents.get(i, "")
            quotes = [q for q, d in zip(gold_quotes, gold_documents, strict=True) if not d or d == doc]
        if quotes and covered_items(text, quotes):
            good.add(i)
            continue
        if any(i in refs and supports(text, claim) for claim, refs in claims):
            good.add(i)
    precision = len(good) / len(ids) if ids else None
    supported = [any(i in cited and supports(cited[i], claim) for i in refs) for claim, refs in claims]
    recall = sum(supported) / len(supported) if supported else None
    return {"citation_precision": precision, "citation_recall": recall}


# --------------------------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------------------------


def refusal_scores(pairs: Iterable[tuple[bool, bool]]) -> dict[str, float | int | None]:
    """`pairs`: (answerable, refused) per question. Positive class: refused (not_found)."""
    tp = fp = fn = tn = 0
    for answerable, refused in pairs:
        if refused and not answerable:
            tp += 1
        elif refused and answerable:
            fp += 1
        elif not refused and not answerable:
            fn += 1
        else:
            tn += 1
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    f1 = (
        2 * precision * recall / (precision + recall)
        if precision is not None and recall is not None and precision + recall > 0
        else None
    )
    return {
        "not_found_precision": precision,
        "not_found_recall": recall,
        "not_found_f1": f1,
        "refusal_rate_answerable": fp / (fp + tn) if fp + tn else None,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
    }


# --------------------------------------------------------------------------------------------
# aggregation and latency
# --------------------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return sum(vals) / len(vals) if vals else None


def latency_summary(timings: Iterable[dict[str, float]]) -> dict[str, dict[str, float | int | None]]:
    """Per stage: median and p95 milliseconds, and how many answers had the stage."""
    stages: dict[str, list[float]] = {}
    for t in timings:
        for stage, ms in t.items():
            stages.setdefault(stage, []).append(float(ms))
    return {s: {"median": percentile(v, 50), "p95": percentile(v, 95), "n": len(v)} for s, v in stages.items()}
