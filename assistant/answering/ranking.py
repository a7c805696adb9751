"""Which sentence answers: a learned linear ranker over the candidate sentences of a question.

E5's similarities of one passage's sentences bunch within a few hundredths, so the cosine alone
often ranks a neighbour of the answer first. The ranker adds what the cosine cannot see: the
question's rarest term in the sentence, whether the sentence states what the question's kind asks
for (a number, a moment, names, a reason, a list), whether it is a list item or intro, a short
line, a sentence that only says the question again or leans on the one before.

A sentence's score is `plain + sum(weight * feature)`: the plain score (cosine + lexical share +
passage bonus) keeps weight 1, so the score is on the cosine scale the composer's margins are
measured in (a correction may exceed a margin: the sentence after a restatement gains 0.2), and the fit is shrunk towards the plain ranking (only the corrections are penalised). With `sentence_ranker = "learned"`
the composer ranks by it for the kinds of question in `compose.RANKED_KINDS` (a fact, how, why, when,
how much, a definition, yes/no); lists, names and overviews keep the plain score their rules were
tuned on. It is not the default: fitted on dev it put the gold sentence first more often on dev
but less often on test (evals/CHOICES.md, "Sixth round"), so it waits for a larger dev set. The weights were fitted on the
dev split's gold evidence sentences only (a conditional logit: each question's gold sentences
against its other candidates), with `python -m evals.sentence_ranker`, which also reports them on
the test split and the ablation of each feature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from assistant.answering.markers import ENUMERATION, has_number, has_reason, has_time, names_in
from assistant.answering.question import QuestionForm
from ingest.dutch import FUNCTION_WORDS, fold, words

FEATURES: tuple[str, ...] = (
    "plain",
    "dense",
    "lexical",
    "cognate",
    "rarest",
    "passage",
    "first",
    "item",
    "intro",
    "short",
    "length",
    "states_number",
    "states_time",
    "states_names",
    "states_reason",
    "states_list",
    "names_term",
    "members_off",
    "aside",
    "restates",
    "leans_back",
    "after_restatement",
    "after_top",
)

# fitted on the dev split by `python -m evals.sentence_ranker --write` (evals/CHOICES.md)
LEARNED_WEIGHTS: dict[str, float] = {
    "dense": -0.0658,
    "lexical": 0.0235,
    "cognate": -0.0633,
    "rarest": 0.0385,
    "passage": 0.0520,
    "first": -0.0024,
    "item": 0.0438,
    "intro": 0.0008,
    "short": -0.0373,
    "length": -0.0138,
    "states_number": 0.1251,
    "states_time": 0.0525,
    "states_names": 0.0079,
    "states_reason": 0.0367,
    "states_list": 0.0037,
    "names_term": 0.0351,
    "aside": 0.0267,
    "restates": -0.0619,
    "leans_back": -0.0035,
    "after_restatement": 0.2105,
    "after_top": 0.0219,
}

# a sentence whose content words are all in the question, but for this many, restates it
RESTATES_NEW_WORDS = 1
_LEANS_BACK = re.compile(
    r"^\s*(?:\S+\s+){0,2}?(?:dit|deze|die|dat|zij|ze|hun|hiermee|daarmee|hierdoor|daardoor|hiervoor|daarvoor|"
    r"this|these|those|they|their|it)\b",
    re.I,
)


@dataclass(frozen=True)
class Candidate:
    """What the ranker knows of one sentence beside its text."""

    text: str
    plain: float  # the plain score: cosine + lexical share + passage bonus (evidence.score_sentences)
    dense: float
    lexical: float  # share of the question's (idf-weighted) terms it holds
    cognate: float  # share of an English question's roots it holds (0 for Dutch questions)
    rarest: float  # the rarest question term it holds, as a share of the rarest term asked
    passage: float  # the passage's rank as a bonus: 1 for the best passage, falling to 0
    first: bool  # the first sentence of its passage
    chunk_kind: str = "body"
    previous: str = ""  # the sentence before it in its passage
    after_top: bool = False  # the sentence before it is among the three closest to the question


def features(c: Candidate, form: QuestionForm) -> tuple[float, ...]:
    text = c.text.strip()
    n_words = len(text.split())
    item = text.startswith("- ")
    intro = text.endswith(":")
    kind = form.kind
    values = {
        "plain": c.plain,
        "dense": c.dense,
        "lexical": c.lexical,
        "cognate": c.cognate,
        "rarest": c.rarest,
        "passage": c.passage,
        "first": float(c.first),
        "item": float(item),
        "intro": float(intro),
        "short": float(n_words <= 3),
        "length": min(n_words, 60) / 60,
        "states_number": float(kind == "amount" and has_number(text)),
        "states_time": float(kind == "date" and has_time(text)),
        "states_names": float(kind == "names" and (names_in(text) >= 1 or c.chunk_kind == "members")),
        "states_reason": float(kind == "reason" and has_reason(text)),
        "states_list": float(form.wants_many and (item or intro or bool(ENUMERATION.search(text)))),
        "names_term": float(bool(form.term) and _names(text, form.term or "")),
        "members_off": float(c.chunk_kind == "members" and kind != "names"),
        "aside": float(c.chunk_kind in ("quote", "front")),
        "restates": float(restates(text, form)),
        "leans_back": float(bool(_LEANS_BACK.match(text))),
        "after_restatement": float(bool(c.previous) and restates(c.previous, form)),
        "after_top": float(c.after_top),
    }
    return tuple(values[name] for name in FEATURES)


def ranked_score(values: tuple[float, ...], weights: dict[str, float]) -> float:
    """The plain score plus the weighted features (the plain score's own weight is 1)."""
    score = values[0]
    for name, value in zip(FEATURES[1:], values[1:], strict=True):
        score += weights.get(name, 0.0) * value
    return score


def _names(text: str, term: str) -> bool:
    needed = [fold(w)[:7] for w in words(term) if len(w) > 2 and w not in FUNCTION_WORDS]
    have = [fold(w) for w in words(text)]
    return bool(needed) and all(any(h.startswith(n) for h in have) for n in needed)


def restates(text: str, form: QuestionForm) -> bool:
    """The sentence's content words are the question's but for RESTATES_NEW_WORDS: it says again
    what was asked ("Voor de toekomst van Twente zijn het mkb ... van groot belang" to "Waarom zijn
    het mkb ... belangrijk voor de toekomst van Twente?")."""
    if not form.words:
        return False
    asked = {fold(w)[:6] for w in form.words}
    own = [fold(w) for w in words(text) if len(w) > 2 and w not in FUNCTION_WORDS]
    return len(own) >= 3 and sum(w[:6] not in asked for w in own) <= RESTATES_NEW_WORDS
