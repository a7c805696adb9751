"""Sentence-level evidence: which sentences of the retrieved passages answer the question, and
whether the documents answer it at all (decided here, in code, not by a language model).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Collection
from dataclasses import dataclass

import numpy as np

from assistant.answering.cognates import english_roots, roots_in
from assistant.answering.markers import enumerated_names, has_number, has_time
from assistant.answering.not_found_rules import NOT_FOUND_RULES
from assistant.answering.question import HOW_MANY, analyse
from assistant.answering.ranking import LEARNED_WEIGHTS, Candidate, features, ranked_score
from assistant.answering.sentence_bank import SentenceBank, section_label_of
from assistant.retrieval import Retrieval
from assistant.settings import Settings
from ingest.dutch import FUNCTION_WORDS, STOPWORDS, Analyzer, words
from ingest.language import detect_language

# questions that ask for an amount: only answerable when a passage sentence carries a number
_ASKS_AMOUNT = re.compile(
    r"\b(hoeveel|hoe\s+groot|hoe\s+hoog|welk\s+bedrag|bedrag|budget|begroting|percentage|procent|"
    r"aantal\s+(?:banen|euro|medewerkers|inwoners)|how\s+much|how\s+many|amount|budget|percent|"
    r"euros?|miljoen|million|billion)\b",
    re.I,
)


@dataclass
class ScoredSentence:
    text: str
    passage_index: int  # into Retrieval.passages
    position: int  # order inside the passage
    score: float
    dense: float
    lexical: float
    section_key: str = ""  # document and section the sentence stands in
    section_label: str = ""  # "§6.1 Focus op impactportfolio's"
    chunk_kind: str = "body"  # body | quote | members | front (ingest/structure)
    # the score with the Dutch terms, where `score` has an English question's roots instead:
    # what `judge` ranks by, so the roots change which sentences answer, never whether any does
    judged: float | None = None
    features: tuple[float, ...] = ()  # the ranker's features (ranking.FEATURES), when it ranked
    learned: float | None = None  # the ranker's score (ranking.py), on the cosine's scale

    @property
    def judge_score(self) -> float:
        return self.score if self.judged is None else self.judged


def content_terms(analyzer: Analyzer, text: str) -> set[str]:
    return set(analyzer.tokens(text))


def score_sentences(
    question: str,
    retrieval: Retrieval,
    bank: SentenceBank,
    analyzer: Analyzer,
    max_passages: int = 4,
    lexical_weight: float = 0.1,
    idf: bool = False,
    cognate_weight: float = 0.0,
    ranker: dict[str, float] | None = None,
    section_weight: float = 0.0,
) -> list[ScoredSentence]:
    """Every sentence of the best passages, scored by its cosine with the question plus
    `lexical_weight` x the share of the question's terms it holds (with `idf`, each term weighted
    by how rare it is among these sentences: "basistaken" counts, "Twente" hardly) plus a small
    bonus for the passage's rank. With `cognate_weight`, an English question's terms are the
    roots of its words that Dutch shares (cognates.py), weighted by that instead. With `ranker`
    (feature weights, ranking.py), each sentence also gets the ranker's features and its score
    in `learned`; `score` and `judged` stay as they are (the "not found" threshold and the list
    rules were tuned on them). With `section_weight`, the score also gains that share of what the
    sentence's cosine gains behind its section label (SentenceBank.titled_vectors); `judged` keeps
    the score without it, so whether the documents answer is decided as before."""
    roots = english_roots(question) if cognate_weight and detect_language(question) == "en" else []
    q_terms = set(analyzer.tokens(question, join_pairs=True))
    qv = retrieval.query_vector
    rows: list[tuple[str, int, int, float, set[str], str, str, str, set[str], float]] = []
    for pi, passage in enumerate(retrieval.passages[:max_passages]):
        position = 0
        for chunk in passage.chunks:
            sentences, vectors = bank.get(chunk.chunk_id, chunk.text)
            dense = vectors @ qv if qv is not None else np.zeros(len(sentences))
            titled = bank.titled_vectors(chunk) @ qv if section_weight and qv is not None else dense
            key = f"{chunk.doc_id}#{chunk.section_number or ''}#{chunk.heading_path}"
            label = section_label_of(chunk)
            for s, d, t in zip(sentences, dense, titled, strict=True):
                found = roots_in(roots, s) if roots else set()
                terms = content_terms(analyzer, s)
                rows.append((s, pi, position, float(d), terms, key, label, chunk.kind, found, float(t)))
                position += 1
    dutch = _shares(q_terms, [r[4] for r in rows], idf)
    cognate = _shares(set(roots), [r[8] for r in rows], idf) if roots else None
    if ranker is not None:
        form = analyse(question)
        rarest = _rarest(set(roots) if roots else q_terms, [r[8] if roots else r[4] for r in rows])
        # overlap sentences repeat at chunk boundaries: a sentence's context is the nearest
        # earlier sentence of its passage with other words, and the three closest are distinct
        previous = _previous_distinct(rows)
        distinct = {" ".join(r[0].split()).lower(): i for i, r in reversed(list(enumerate(rows)))}
        closest = set(sorted(distinct.values(), key=lambda i: -rows[i][3])[:3])
    out: list[ScoredSentence] = []
    for i, (s, pi, position, d, _, key, label, kind, _, t) in enumerate(rows):
        rank_bonus = 0.02 * (max_passages - pi) / max_passages
        judged = d + lexical_weight * dutch[i] + rank_bonus
        score = judged if cognate is None else d + cognate_weight * cognate[i] + rank_bonus
        score += section_weight * (t - d)
        values: tuple[float, ...] = ()
        learned = None
        if ranker is not None:
            p = previous[i]
            before = rows[p][0] if p is not None else ""
            candidate = Candidate(
                s,
                score,
                d,
                dutch[i],
                cognate[i] if cognate else 0.0,
                rarest[i],
                (max_passages - pi) / max_passages,
                position == 0,
                kind,
                before,
                bool(before) and distinct[" ".join(before.split()).lower()] in closest,
            )
            values = features(candidate, form)
            learned = ranked_score(values, ranker)
        lexical = dutch[i] if cognate is None else cognate[i]
        # `judged` only where the score has the roots instead of the Dutch terms, or the label's gain
        kept = None if cognate is None and not section_weight else judged
        out.append(ScoredSentence(s, pi, position, score, d, lexical, key, label, kind, kept, values, learned))
    return out


def _previous_distinct(rows: list[tuple]) -> list[int | None]:
    """Per row, the index of the nearest earlier row of the same passage whose text differs."""
    out: list[int | None] = []
    for i, row in enumerate(rows):
        key = " ".join(row[0].split()).lower()
        j = i - 1
        while j >= 0 and rows[j][1] == row[1] and " ".join(rows[j][0].split()).lower() == key:
            j -= 1
        out.append(j if j >= 0 and rows[j][1] == row[1] else None)
    return out


def _rarest(q_terms: set[str], sentence_terms: list[set[str]]) -> list[float]:
    """Per sentence, the idf of the rarest question term it holds over the idf of the rarest asked."""
    weight = _term_weights(q_terms, sentence_terms)
    top = max(weight.values(), default=0.0)
    return [max((weight[t] for t in q_terms & terms), default=0.0) / top if top else 0.0 for terms in sentence_terms]


def _shares(q_terms: set[str], sentence_terms: list[set[str]], idf: bool) -> list[float]:
    """Per sentence, the share of the question's terms it holds (idf-weighted, or all alike)."""
    weight = _term_weights(q_terms, sentence_terms) if idf else dict.fromkeys(q_terms, 1.0)
    total = sum(weight.values())
    return [sum(weight[t] for t in q_terms & terms) / total if total else 0.0 for terms in sentence_terms]


def scored_for(
    question: str, retrieval: Retrieval, bank: SentenceBank, analyzer: Analyzer, settings: Settings
) -> list[ScoredSentence]:
    """`score_sentences` with the settings' lexical weighting (what the service and the evaluation call)."""
    return score_sentences(
        question,
        retrieval,
        bank,
        analyzer,
        lexical_weight=settings.sentence_lexical_weight,
        idf=settings.sentence_lexical_idf,
        cognate_weight=settings.sentence_cognate_weight,
        ranker=LEARNED_WEIGHTS if settings.sentence_ranker == "learned" else None,
        section_weight=settings.sentence_section_weight,
    )


def _term_weights(q_terms: set[str], sentence_terms: list[set[str]]) -> dict[str, float]:
    """log(1 + N / (1 + df)) over the candidate sentences: a term in every sentence weighs little."""
    n = len(sentence_terms)
    return {t: float(np.log1p(n / (1 + sum(t in terms for terms in sentence_terms)))) for t in q_terms}


@dataclass
class Evidence:
    answerable: bool
    score: float
    reason: str


# expected answer types (a question of that type is only answerable when the best sentences hold one)
_ASKS_PERCENT = re.compile(r"\b(?:percentage|procent|percent)\b|%", re.I)
_HAS_PERCENT = re.compile(r"%|\b(?:procent|percent)\b", re.I)
_MONEY_WORD = re.compile(r"\b(?:budget|begroting|bedrag|geld|subsidie|euro'?s?|money|funding)\b", re.I)
_HAS_MONEY = re.compile(r"€|\b(?:euro|miljoen|miljard|million|billion)\b", re.I)
# explicit date questions only: Dutch "wanneer" / English "when" also ask for a condition
# ("Wanneer krijgt een project geld?"), so they do not count
_ASKS_TIME = re.compile(
    r"\b(?:in\s+welk\s+jaar|welk\s+jaar|sinds\s+wanneer|tot\s+wanneer|vanaf\s+wanneer|welke\s+datum|"
    r"(?:in\s+)?(?:what|which)\s+year|since\s+when|until\s+when|by\s+when|what\s+date)\b",
    re.I,
)
# "Wanneer is/wordt X klaar?": plain "wanneer" also asks for a condition (see above), but with a
# completion or opening verb it asks for a moment
_ASKS_COMPLETION_TIME = re.compile(
    r"\b(?:wanneer\b.*\b(?:klaar|gereed|afgerond|voltooid|opgeleverd|af|open|geopend|van\s+start)|"
    r"when\b.*\b(?:ready|finished|completed|done|open(?:ed)?|start(?:s|ed)?))\b",
    re.I,
)
# "Wie is de voorzitter van X?" / "Who is the mayor of X?" / "Who chairs X?": the role and all of
# X's words must stand in one sentence of the passages. Otherwise the passages name the role for
# something else (the chair of the Twente Board for the Young Twente Board; the mayor of Enschede
# for Hengelo), which the similarity score cannot tell apart.
ROLE_WORDS = {
    "voorzitter": "voorzitter",
    "chair": "voorzitter",
    "chairman": "voorzitter",
    "chairwoman": "voorzitter",
    "chairperson": "voorzitter",
    "president": "voorzitter",
    "burgemeester": "burgemeester",
    "mayor": "burgemeester",
    "directeur": "directeur",
    "director": "directeur",
    "wethouder": "wethouder",
    "alderman": "wethouder",
    "gedeputeerde": "gedeputeerde",
    "secretaris": "secretaris",
    "secretary": "secretaris",
    "rector": "rector",
    "ceo": "ceo",
}
_ROLE_QUESTION = re.compile(
    r"^\s*(?:wie\s+(?:is|was|zijn|waren|wordt)|who\s+(?:is|was|are|were|will\s+be))\s+(?:de|het|the)?\s*"
    rf"(?P<role>{'|'.join(ROLE_WORDS)})\s+(?:van|of|bij|at)\s+(?P<org>[^?]+?)\s*\??\s*$"
    r"|^\s*who\s+(?P<verb>chairs|heads|leads)\s+(?P<org2>[^?]+?)\s*\??\s*$",
    re.I,
)


def role_holder_found(question: str, sentences: list[str]) -> bool | None:
    """None when the question does not ask who holds a role in something; otherwise whether one
    sentence names the role (Dutch word) together with every word of that something. A name the
    documents never use cannot be confirmed, so it makes the answer False too (an English
    question naming a place the documents write in Dutch, The Hague / Den Haag, is refused: rare
    in these documents, and the lesser error than naming the wrong person)."""
    m = _ROLE_QUESTION.match(question)
    if m is None:
        return None
    role = ROLE_WORDS[m.group("role").lower()] if m.group("role") else "voorzitter"
    return _said_of(re.compile(rf"\b{role}", re.I), m.group("org") or m.group("org2") or "", sentences)


def _said_of(marker: re.Pattern, subject: str, texts: list[str]) -> bool | None:
    """Whether one text has `marker` and every word of `subject` (None: the subject has no words)."""
    needed = {w for w in words(subject) if w not in FUNCTION_WORDS}
    if not needed:
        return None
    return any(marker.search(t) and needed <= set(words(t)) for t in texts)


# "Welke leden zitten er in X?" / "Wie zijn de leden van X?" / "Which companies are members of X?":
# only passages about X's membership answer it (a heading or sentence with "leden"/"lid" and
# every word of X); the Twente Board's member list does not answer it for the Young Twente Board
_MEMBERS_QUESTION = re.compile(
    r"^\s*(?:welke\s+(?:leden|bedrijven|organisaties|partijen)\s+(?:zitten|zijn)\s+(?:er\s+)?(?:in|lid\s+van)"
    r"|wie\s+(?:zitten|zaten)\s+(?:er\s+)?in"
    r"|wie\s+(?:zijn|waren)\s+(?:de\s+)?(?:leden\s+van|lid\s+van)"
    r"|welke\s+leden\s+(?:heeft|telt)"
    r"|(?:who|which\s+\w+)\s+(?:are|were)\s+(?:the\s+)?members\s+of"
    r"|who\s+(?:sits|sit)\s+(?:on|in))\s+(?P<org>[^?]+?)\s*\??\s*$",
    re.I,
)
_MEMBERSHIP_WORD = re.compile(r"\b(?:leden|lid|ledenlijst|members?|aangesloten)\b", re.I)


def membership_found(question: str, texts: list[str]) -> bool | None:
    """None when the question does not ask who the members of something are; otherwise whether
    one text (a sentence or a section heading) speaks of membership together with every word of
    that something."""
    m = _MEMBERS_QUESTION.match(question)
    return None if m is None else _said_of(_MEMBERSHIP_WORD, m.group("org"), texts)


# a capitalised word inside the question (not its first word) and years: names the question relies on
_NAME = re.compile(r"(?<![.?!:]\s)(?<!^)\b[A-ZÀ-Þ][\w'’-]+")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")


ENGLISH_NAME_MIN_SIMILARITY = 0.78


def unknown_names(question: str, vocabulary: set[str]) -> list[str]:
    """Names (capitalised words of 4+ letters) and years in the question that occur nowhere in the
    indexed documents: "Wie is de burgemeester van Hengelo?" when no document mentions Hengelo.

    An English question names places and things in English (Germany, The Hague) while the
    documents write Duitsland, Den Haag: `judge` only trusts an English name that is missing when
    nothing in the documents is close to the question either. Years count in both."""
    if not vocabulary:
        return []
    q = question.strip()
    out = [
        w
        for m in _NAME.finditer(q)
        for w in words(m.group(0))
        if len(w) >= 4 and w not in STOPWORDS and w not in vocabulary
    ]
    out += [y for y in _YEAR.findall(q) if y not in vocabulary]
    return list(dict.fromkeys(out))


_STEMMED_VOCABULARY: weakref.WeakKeyDictionary[Analyzer, set[str]] = weakref.WeakKeyDictionary()


def off_topic(question: str, analyzer: Analyzer) -> bool:
    """A Dutch question none of whose words (4+ letters, no stop words; compared as stems) occurs
    in the indexed documents ("Wat is het recept voor appeltaart?"). An English question shares
    few words with Dutch documents anyway, so this says nothing there."""
    if not analyzer.vocabulary or detect_language(question) != "nl":
        return False
    stems = _STEMMED_VOCABULARY.get(analyzer)
    if stems is None:
        stems = _STEMMED_VOCABULARY[analyzer] = set(analyzer.tokens(" ".join(sorted(analyzer.vocabulary))))
    content = " ".join(w for w in words(question) if len(w) >= 4 and w not in STOPWORDS)
    q_stems = set(analyzer.tokens(content)) if content else set()
    return bool(q_stems) and not (q_stems & stems)


def judge(
    question: str,
    retrieval: Retrieval,
    sentences: list[ScoredSentence],
    threshold: float,
    analyzer: Analyzer,
    rules: Collection[str] = NOT_FOUND_RULES,
) -> Evidence:
    """Do the passages answer the question? Score = how far the best sentence stands above the
    background similarity of the candidate pool (E5 similarities bunch, so absolute cosine says
    little), plus keyword coverage. Before the score, checks that measurement showed the score
    cannot make (evals/CHOICES.md): a Dutch question sharing no word with the documents, or one
    that names something (a name, a year) the documents never mention, is not answerable; a
    question asking for an amount, a percentage, a sum of money or a date needs one in its best
    sentences."""
    if not retrieval.passages or not sentences:
        return Evidence(False, 0.0, "no passages")
    best = sorted(sentences, key=lambda s: -s.judge_score)[:3]
    top = best[0]
    gap = top.dense - retrieval.dense_mean
    q_terms = set(analyzer.tokens(question, join_pairs=True))
    covered = set()
    for p in retrieval.passages[:3]:
        covered |= q_terms & content_terms(analyzer, p.text)
    coverage = len(covered) / len(q_terms) if q_terms else 0.0
    score = 10 * gap + coverage * 0.5 + (top.dense - 0.8) * 5
    text = " ".join(s.text for s in best)
    if "off_topic" in rules and off_topic(question, analyzer):
        return Evidence(False, score, "the documents use none of the question's words")
    unknown = unknown_names(question, analyzer.vocabulary) if "unknown_names" in rules else []
    if unknown and detect_language(question) == "en" and not any(u.isdigit() for u in unknown):
        # a translated name (Germany/Duitsland) is no evidence by itself; a general-knowledge
        # question ("capital of France") also finds nothing close (best sentence ~0.74 vs >= 0.80
        # for questions the plan touches)
        unknown = unknown if top.dense < ENGLISH_NAME_MIN_SIMILARITY else []
    if unknown:
        return Evidence(False, score, f"names what the documents never mention: {', '.join(unknown)}")
    # "how many X" is answered by a sentence that names them, too ("A en B": two)
    counts = HOW_MANY.search(question) and any(len(enumerated_names(s.text)) >= 2 for s in best)
    if "amount" in rules and _ASKS_AMOUNT.search(question) and not has_number(text) and not counts:
        return Evidence(False, score, "asks for an amount; the best passages give none")
    if "percentage" in rules and _ASKS_PERCENT.search(question) and not _HAS_PERCENT.search(text):
        return Evidence(False, score, "asks for a percentage; the best passages give none")
    if (
        "money" in rules
        and _ASKS_AMOUNT.search(question)
        and _MONEY_WORD.search(question)
        and not _HAS_MONEY.search(text)
    ):
        return Evidence(False, score, "asks for a sum of money; the best passages name none")
    asks_time = _ASKS_TIME.search(question) or _ASKS_COMPLETION_TIME.search(question)
    if "date" in rules and asks_time and not has_time(text):
        return Evidence(False, score, "asks when; the best passages give no date")
    if "role_holder" in rules and role_holder_found(question, [s.text for s in sentences]) is False:
        return Evidence(False, score, "asks who holds a role; no passage names it for what was asked")
    if "member_line" in rules and member_line_off_question(question, top):
        return Evidence(False, score, "the best passage is a member line, which does not answer this")
    headings = [" ".join(filter(None, (p.chunk.heading_path, p.chunk.section_title))) for p in retrieval.passages[:4]]
    if "members" in rules and membership_found(question, [s.text for s in sentences] + headings) is False:
        return Evidence(False, score, "asks who the members are; no passage lists them for what was asked")
    return Evidence(score >= threshold, score, f"gap={gap:.3f} coverage={coverage:.2f} top={top.dense:.3f}")


def member_line_off_question(question: str, top: ScoredSentence) -> bool:
    """A member line ("Dennis Schipper, founder CEO Demcon") holds a person and a role: it answers
    who holds a role, or what a person named in the question does, and nothing else."""
    if top.chunk_kind != "members" or analyse(question).kind == "names":
        return False
    person = set(words(top.text.split(",")[0])) - FUNCTION_WORDS
    return not (person & set(words(question)))


def tokens_overlap(a: str, b: str) -> float:
    """Share of a's content words found in b (crude support check for generated sentences)."""
    aw = {w for w in words(a) if w not in STOPWORDS and len(w) > 2}
    bw = set(words(b))
    return len(aw & bw) / len(aw) if aw else 1.0
