"""Answer-level checks: does the answer satisfy the person who asked?

An answer to an answerable question is *acceptable* when all of these hold:

- **complete**: every required fact is in it (a list with all its items);
- **first**: its first sentence (or list line) carries a required fact, so the asked thing comes
  first (a yes/no question: the first sentence says yes or no);
- **language**: its own words are in the question's language (quoted list items may stay Dutch);
- **length**: it is no longer than the question needs (the item's `max_words`, else a default per
  kind of question);
- **cited**: every cited passage supports what cites it (citation precision 1).

An unanswerable question's answer is acceptable when it is refused. Pure functions over strings,
unit-tested in tests/unit/test_answer_metrics.py.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from evals.metrics import fact_present
from ingest.language import detect_language, language_counts
from ingest.sentences import split_sentences

# how many words an answer of each kind may take when the item does not say
DEFAULT_MAX_WORDS = {
    "fact": 45,
    "names": 45,
    "date": 35,
    "amount": 35,
    "definition": 75,
    "reason": 75,
    "how": 90,
    "yes_no": 70,
    "overview": 160,
    "follow_up": 90,
}
LIST_WORDS_PER_ITEM = 14
LIST_EXTRA_WORDS = 30

_MARKER = re.compile(r"\s*\[\d+\]")
_YES_NO_START = re.compile(r"^\W*(?:ja|nee|jazeker|zeker|niet|yes|no|not)\b", re.I)
_WORD = re.compile(r"\w+")


def prose_of(answer: str) -> str:
    """The answer without citation markers."""
    return _MARKER.sub("", answer or "").strip()


def first_unit(answer: str) -> str:
    """The first sentence; when it introduces a list (ends with ':') or the answer opens with a
    list, the list that follows belongs to it."""
    lines = [ln for ln in prose_of(answer).splitlines() if ln.strip()]
    if not lines:
        return ""
    sentences = split_sentences(lines[0])
    head = sentences[0] if sentences else lines[0]
    is_item = head.lstrip().startswith(("-", "•", "*"))
    if head.rstrip().endswith(":") or is_item:
        items = [ln for ln in lines[(0 if is_item else 1) :] if ln.lstrip().startswith(("-", "•", "*"))]
        return "\n".join(([] if is_item else [head]) + items)
    return head


def own_words(answer: str) -> str:
    """The answer's own words: list items and quoted passages left out (they may stay Dutch)."""
    lines = [ln for ln in prose_of(answer).splitlines() if ln.strip() and not ln.lstrip().startswith(("-", "•", "*"))]
    text = " ".join(lines)
    text = re.sub(r"[\"“”„][^\"“”„]{0,400}[\"“”]", " ", text)
    # 'single quotes' too, but not an apostrophe (portfolio's, don't): no letter before the
    # opening mark or after the closing one
    return re.sub(r"(?<!\w)['‘][^'‘’\n]{1,400}['’](?!\w)", " ", text)


def word_count(answer: str) -> int:
    return len(_WORD.findall(prose_of(answer)))


def max_words_for(kind: str, facts: Sequence[Sequence[str]], given: int | None = None) -> int:
    if given:
        return given
    if kind == "list":
        return LIST_WORDS_PER_ITEM * max(1, len(facts)) + LIST_EXTRA_WORDS
    return DEFAULT_MAX_WORDS.get(kind, DEFAULT_MAX_WORDS["fact"])


def answer_checks(
    *,
    answer: str,
    refused: bool,
    answerable: bool,
    language: str,
    kind: str,
    facts: Sequence[Sequence[str]],
    citation_precision: float | None,
    max_words: int | None = None,
) -> dict[str, bool | None]:
    """Each check (True/False; None where it does not apply) and `acceptable`."""
    if not answerable:
        return {"complete": None, "first": None, "language": None, "length": None, "cited": None, "acceptable": refused}
    if refused:
        return {"complete": False, "first": False, "language": None, "length": None, "cited": None, "acceptable": False}
    complete = all(fact_present(answer, variants) for variants in facts) if facts else None
    head = first_unit(answer)
    if kind == "yes_no":
        first: bool | None = bool(_YES_NO_START.search(head))
    elif facts:
        first = any(fact_present(head, variants) for variants in facts)
    else:
        first = None
    words = own_words(answer) or first_unit(answer)
    nl, en = language_counts(words)
    # too few function words to tell ("Strategisch plan 2020-2025"): no verdict
    lang_ok = detect_language(words) == language if nl + en >= 2 else None
    length_ok = word_count(answer) <= max_words_for(kind, facts, max_words)
    cited = None if citation_precision is None else citation_precision >= 1.0 - 1e-9
    checks = {"complete": complete, "first": first, "language": lang_ok, "length": length_ok, "cited": cited}
    checks["acceptable"] = all(v is not False for v in checks.values()) and cited is not None
    return checks
