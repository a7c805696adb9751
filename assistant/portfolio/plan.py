"""The plan's structure, read from the stored chunks: the impact portfolios, the action lines,
the conditions, the preconditions and the sentences naming regional actors (text only; the
embeddings are added by `assistant.portfolio.plan_model`)."""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from assistant.portfolio.errors import PlanStructureError
from assistant.retrieval import join_chunk_texts
from ingest.dutch import STOPWORDS, fold, words
from ingest.model import Chunk
from ingest.sentences import split_sentences

# generic Dutch function words that open or close a phrase of a description (no topic words)
_GENERIC = frozenset(
    [
        "daarbij",
        "daarmee",
        "daarnaast",
        "hierbij",
        "hiermee",
        "waarbij",
        "waarmee",
        "waardoor",
        "samen",
        "ten",
        "behoeve",
        "gebied",
        "diverse",
        "alle",
        "andere",
        "verder",
        "zowel",
        "onder",
    ]
)
_INTRO_PORTFOLIOS = re.compile(r"impact\s*portfolio'?s?\s+(?:zijn|are)\b[^\n]*:\s*$")
_INTRO_ACTIONS = re.compile(r"actielijnen\b[^\n]*:\s*$|action lines\b[^\n]*:\s*$")
_INTRO_PRECONDITIONS = re.compile(r"randvoorwaarden\b[^\n]*:\s*$|preconditions\b[^\n]*:\s*$")
_NAMED_ITEM = re.compile(r"^\**\s*(?P<name>[^:*\n]{2,80}?)\s*\**\s*:\s*\**\s*(?P<desc>\S.*)$", re.S)
# a condition a project must meet (generic modal wording, no topic words)
_CONDITION = re.compile(
    r"\b(?:alleen|uitsluitend|slechts|only)\b.{0,120}\b(?:als|indien|wanneer|mits|if|when)\b"
    r"|\bvoorwaarden?\b|\bco-?financi|\bminimaal\s+(?:een|één|1)\b",
    re.I | re.S,
)
_ACTORS = re.compile(r"\bactoren\b|\bactors\b", re.I)
_NAME = re.compile(r"(?<=\s)[A-Z][\w-]*[A-Za-z]")  # a capitalised word after the first: a name
_ENDS = (".", ";", ":", "!", "?")
_SPLIT_TOP = re.compile(r"(\(|\)|,|;|(?<!–) en (?!\w+\)))")


def slug(name: str) -> str:
    """Stable id: lowercase, accents folded, '&' and punctuation dropped, spaces to '-'."""
    s = fold(name).replace("&", " ")
    s = re.sub(r"[^a-z0-9\s-]", "", s)
    return re.sub(r"[\s-]+", "-", s).strip("-")


@dataclass
class SectionText:
    chunks: list[Chunk]
    text: str

    @property
    def first(self) -> Chunk:
        return self.chunks[0]

    def chunk_for(self, snippet: str) -> Chunk:
        probe = snippet.strip()[:60]
        for c in self.chunks:
            if probe and probe in c.text:
                return c
        return self.chunks[0]


@dataclass
class PlanList:
    intro: str
    items: list[str]  # item texts without the "- " bullet
    section: SectionText


@dataclass
class Topic:
    """One portfolio or action line as the plan describes it (the vectors and word weights are
    filled in by `build_plan_model`)."""

    id: str
    name: str
    description: str
    text: str  # "Name: description", as in the plan
    chunk: Chunk
    phrases: list[str]
    # empty until `build_plan_model` embeds them
    item_vector: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.float32))  # E5 query
    phrase_vectors: np.ndarray = field(  # E5 queries, one row per phrase
        default_factory=lambda: np.empty((0, 0), dtype=np.float32)
    )
    phrase_tokens: list[dict[str, float]] = field(default_factory=list)  # stem -> idf weight
    # per phrase: True when another portfolio names the same thing ("artificiële intelligentie
    # (AI)" under Digitalisering and Sleuteltechnologieën): vocabulary, not what tells them apart
    shared: list[bool] = field(default_factory=list)


@dataclass
class PlanSentence:
    text: str
    chunk: Chunk
    # support sentences: how close their section is to the portfolios ("portfolios") and to each
    # action line (by id); decides which actors are named for which kind of idea
    affinity: dict[str, float] = field(default_factory=dict)


def section_texts(chunks: list[Chunk]) -> list[SectionText]:
    """Consecutive chunks of one document section, joined (overlap sentences dropped)."""
    groups: list[list[Chunk]] = []
    ordered = sorted(chunks, key=lambda c: (c.doc_id, c.ordinal))
    for c in ordered:
        key = (c.doc_id, c.section_number, c.heading_path, c.kind)
        if (
            groups
            and (groups[-1][0].doc_id, groups[-1][0].section_number, groups[-1][0].heading_path, groups[-1][0].kind)
            == key
        ):
            groups[-1].append(c)
        else:
            groups.append([c])
    return [SectionText(g, join_chunk_texts(g)) for g in groups]


def find_lists(section: SectionText, intro: re.Pattern) -> list[PlanList]:
    """Bulleted lists whose introducing sentence (ending with ':') matches `intro`."""
    lines = section.text.split("\n")
    out: list[PlanList] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        last = split_sentences(line)[-1] if line and not line.startswith("- ") else ""
        if last and intro.search(fold(last)):
            items: list[str] = []
            j = i + 1
            blank = False
            while j < len(lines):
                nxt = lines[j].strip()
                if not nxt:
                    blank = True
                elif nxt.startswith("- "):
                    items.append(nxt[2:].strip())
                    blank = False
                elif items and (nxt[:1].islower() or (not blank and not items[-1].rstrip().endswith(_ENDS))):
                    items[-1] = f"{items[-1]} {nxt}"  # a wrapped item (or one cut by a page break)
                    blank = False
                else:
                    break
                j += 1
            if items:
                out.append(PlanList(last, items, section))
            i = j
        else:
            i += 1
    return out


def _frame_words(descriptions: list[str]) -> set[str]:
    """Words most descriptions share ("focus ligt op", "stimuleren we investeringen in"): the
    frame of the list, not its content."""
    df: Counter = Counter()
    for d in descriptions:
        df.update(set(words(d)))
    need = max(2, math.ceil(0.6 * len(descriptions)))
    return {w for w, n in df.items() if n >= need}


def _trim(phrase: str, frame: set[str]) -> str:
    ws = phrase.split()

    def is_filler(w: str) -> bool:
        parts = words(w)
        return all(p in STOPWORDS or p in frame or p in _GENERIC for p in parts) if parts else True

    while ws and is_filler(ws[0]):
        ws = ws[1:]
    while ws and is_filler(ws[-1]):
        ws = ws[:-1]
    return " ".join(ws).strip(" ,;:.–-")


def split_phrases(description: str, frame: set[str]) -> list[str]:
    """The items a description enumerates: comma / ';' / 'en' separated, outside parentheses,
    with the list's frame words trimmed ("Focus ligt op kringlooplandbouw" -> "kringlooplandbouw")."""
    out: list[str] = []
    for sentence in split_sentences(description):
        sentence = sentence.strip().rstrip(";.")
        parts: list[str] = []
        cur, depth = "", 0
        for tok in _SPLIT_TOP.split(sentence):
            if tok == "(":
                depth += 1
            elif tok == ")":
                depth = max(0, depth - 1)
            if depth == 0 and tok in (",", ";", " en "):
                parts.append(cur)
                cur = ""
            else:
                cur += tok
        parts.append(cur)
        for p in parts:
            p = _trim(p.strip(), frame)
            if len(p) >= 3 and p not in out:
                out.append(p)
    return out


def _topics(plan_list: PlanList) -> list[Topic]:
    named = []
    for item in plan_list.items:
        m = _NAMED_ITEM.match(item.replace("**", ""))
        if m:
            named.append((m.group("name").strip(), m.group("desc").strip(), item.replace("**", "")))
    frame = _frame_words([d for _, d, _ in named])
    topics = []
    for name, desc, text in named:
        phrases = split_phrases(desc, frame) or [desc.rstrip(";.")]
        topics.append(
            Topic(
                id=slug(name),
                name=name,
                description=desc.rstrip(";").strip(),
                text=text.rstrip(";"),
                chunk=plan_list.section.chunk_for(text),
                phrases=phrases,
            )
        )
    return topics


def _named_list(sections: list[SectionText], intro: re.Pattern) -> list[PlanList]:
    found = []
    for s in sections:
        for pl in find_lists(s, intro):
            named = sum(bool(_NAMED_ITEM.match(it.replace("**", ""))) for it in pl.items)
            if named >= 2:
                found.append(pl)
    return found


@dataclass
class PlanText:
    portfolios: list[Topic]
    action_lines: list[Topic]
    conditions: list[PlanSentence]
    preconditions: list[PlanSentence]
    support: list[PlanSentence]
    drivers: PlanSentence | None  # the sentence of the portfolio section naming the action lines they drive
    driven: list[str]  # ids of those action lines
    doc_sections: list[SectionText]


def read_plan(chunks: list[Chunk]) -> PlanText:
    """Portfolios, action lines, conditions, preconditions and support sentences from the stored
    chunks (no embeddings). Raises PlanStructureError when a list is missing."""
    body = [c for c in chunks if c.kind == "body"]
    sections = section_texts(body)
    lists = _named_list(sections, _INTRO_PORTFOLIOS)
    if not lists:
        raise PlanStructureError(
            "the store holds no list of impact portfolios (a sentence like \"Deze impactportfolio's "
            'zijn:" followed by items "- Naam: Focus ligt op ..."); ingest the strategy plan first'
        )
    # several documents with such a list (e.g. two plan versions): the longest list, then doc order
    plist = max(lists, key=lambda pl: len(pl.items))
    doc_id = plist.section.first.doc_id
    portfolios = _topics(plist)
    doc_sections = [s for s in sections if s.first.doc_id == doc_id]
    alists = _named_list(doc_sections, _INTRO_ACTIONS) or _named_list(sections, _INTRO_ACTIONS)
    if not alists:
        raise PlanStructureError(
            'the store holds no list of action lines (a sentence mentioning "actielijnen" and ending '
            "with ':' followed by items \"- Naam: omschrijving\"); ingest the strategy plan first"
        )
    action_lines = _topics(max(alists, key=lambda pl: len(pl.items)))

    # conditions stated in the portfolio section itself (outside its lists)
    conditions: list[PlanSentence] = []
    for line in plist.section.text.split("\n"):
        if line.strip().startswith("- "):
            continue
        for sentence in split_sentences(line):
            if _CONDITION.search(sentence):
                conditions.append(PlanSentence(sentence, plist.section.chunk_for(sentence)))
    # the preconditions list of the same chapter (else anywhere in the document)
    chapter = plist.section.first.chapter_number
    pre_lists = [pl for s in doc_sections for pl in find_lists(s, _INTRO_PRECONDITIONS)]
    pre_lists.sort(key=lambda pl: pl.section.first.chapter_number != chapter)
    preconditions = (
        [PlanSentence(it.rstrip(";."), pre_lists[0].section.chunk_for(it)) for it in pre_lists[0].items]
        if pre_lists
        else []
    )
    support = []
    for s in doc_sections:
        for line in s.text.split("\n"):
            for sentence in split_sentences(line):
                if _ACTORS.search(sentence) and _NAME.search(sentence) and not sentence.startswith("- "):
                    support.append(PlanSentence(sentence, s.chunk_for(sentence)))
    # "De impactportfolio's zijn de 'drivers' voor de actielijnen 'Techniek als motor' en ...":
    # a sentence of the portfolio section that names action lines
    drivers: PlanSentence | None = None
    driven: list[str] = []
    for line in plist.section.text.split("\n"):
        if line.strip().startswith("- "):
            continue
        for sentence in split_sentences(line):
            folded = fold(sentence)
            named = [a.id for a in action_lines if fold(a.name) in folded]
            if named and re.search(r"actielijn|action line", folded) and len(named) > len(driven):
                drivers, driven = PlanSentence(sentence, plist.section.chunk_for(sentence)), named
    return PlanText(portfolios, action_lines, conditions, preconditions, support, drivers, driven, doc_sections)
