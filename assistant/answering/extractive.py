"""Extractive composition: the answer is made of the best evidence sentences, quoted with markers."""

from __future__ import annotations

import re
from collections.abc import Callable

from assistant.answering.citations import citation_for, quoted_citation, section_label
from assistant.answering.compose import compose_span
from assistant.answering.evidence import ScoredSentence
from assistant.answering.prompts import TEXTS
from assistant.answering.question import QuestionForm, analyse, second_question
from assistant.answering.span import Span, shown, with_other_part
from assistant.answering.text import MARKER, clean_output
from assistant.retrieval import Retrieval
from assistant.schema import Answer

_COUNT_WORDS = {
    "nl": ("nul", "één", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien"),
    "en": ("none", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten"),
}


def count_word(n: int, lang: str) -> str:
    """'Twee', 'Two'; digits past ten."""
    words = _COUNT_WORDS.get(lang, _COUNT_WORDS["nl"])
    return words[n].capitalize() if 0 <= n < len(words) else str(n)


def select_sentences(sentences: list[ScoredSentence], limit: int, margin: float = 0.035) -> list[ScoredSentence]:
    """Best sentences within `margin` of the best; a list comes whole with its intro; read in
    passage order, then document order."""
    if not sentences:
        return []
    ranked = sorted(sentences, key=lambda s: -s.score)
    top = ranked[0].score
    picked = [s for s in ranked if s.score >= top - margin][:limit]
    keys = {(s.passage_index, s.position) for s in picked}
    by_passage: dict[int, list[ScoredSentence]] = {}
    for s in sentences:
        by_passage.setdefault(s.passage_index, []).append(s)
    for s in list(picked):
        group = by_passage[s.passage_index]
        idx = next(i for i, x in enumerate(group) if x.position == s.position)
        is_item = s.text.startswith("- ")
        is_intro = s.text.rstrip().endswith(":")
        if not (is_item or is_intro):
            continue
        # walk back to the intro, forward over the items
        start = idx
        while start > 0 and group[start].text.startswith("- "):
            start -= 1
        end = idx + 1
        while end < len(group) and group[end].text.startswith("- "):
            end += 1
        for x in group[start:end]:
            keys.add((x.passage_index, x.position))
    chosen = [s for s in sentences if (s.passage_index, s.position) in keys]
    order = {pi: rank for rank, pi in enumerate(dict.fromkeys(s.passage_index for s in ranked))}
    out, seen = [], set()
    for s in sorted(chosen, key=lambda s: (order[s.passage_index], s.position)):
        key = " ".join(s.text.split()).lower()
        if key not in seen:  # overlap sentences repeat at chunk boundaries
            seen.add(key)
            out.append(s)
    return out


def not_found_answer(question: str, standalone: str, retrieval: Retrieval, lang: str, backend: str) -> Answer:
    """The documents do not answer: say so, and show the nearest passages as sources."""
    t = TEXTS[lang]
    nearest = retrieval.passages[:3]
    citations = [citation_for(i + 1, p) for i, p in enumerate(nearest)]
    lines = [t["not_found"]]
    if nearest:
        lines.append(t["nearest"])
        lines += [f"- {section_label(p)} [{i + 1}]" for i, p in enumerate(nearest)]
    return Answer(
        answer="\n".join(lines),
        status="not_found",
        citations=citations,
        backend=backend,
        question=question,
        standalone_question=standalone,
    )


def quoted_span(sentences: list[ScoredSentence], max_sentences: int, form: QuestionForm | None = None) -> Span:
    """The sentences an extractive answer quotes: the span the question's form asks for, or
    (without a form) the best sentences within a margin of the best."""
    if form is not None:
        return compose_span(form, sentences)
    return Span(select_sentences(sentences, max_sentences))


def with_second_question(
    span: Span, question: str, score: Callable[[str], list[ScoredSentence]], max_sentences: int
) -> Span:
    """Two questions joined in one ("Welke kansen ..., en in welk portfolio ...?"): the span of
    the first, and after it the span answering the second from the same passages (`score`: the
    passages' sentences scored against a question), made of sentences the first does not hold.
    The span as it is when the question is one, or when it draws on two passages already
    (lists.with_second_part)."""
    second = second_question(question)
    if second is None or len({x.passage_index for x in span.sentences}) > 1:
        return span
    given = {x.text for x in span.sentences}
    sentences = [x for x in score(second) if x.text not in given]
    if not sentences:
        return span
    return with_other_part(span, quoted_span(sentences, max_sentences, analyse(second)))


def compose_extractive(
    question: str,
    standalone: str,
    retrieval: Retrieval,
    sentences: list[ScoredSentence],
    lang: str,
    max_sentences: int,
    form: QuestionForm | None = None,
    rendered: dict[str, str] | None = None,
    span: Span | None = None,
    intro: str | None = None,
) -> Answer:
    """The answer made of quoted evidence (`span`, else `quoted_span`), each sentence cited.
    `rendered` maps a sentence to the text shown instead of the quote (its checked translation);
    an answer with translations carries no "quoted in Dutch" header."""
    span = span or quoted_span(sentences, max_sentences, form)
    chosen, overview = span.sentences, span.overview
    rendered = rendered or {}
    numbering: dict[int, int] = {}
    lines: list[str] = []
    prose: list[str] = []
    for i, s in enumerate(chosen):
        n = numbering.setdefault(s.passage_index, len(numbering) + 1)
        key = shown(s, span)
        # bracketed numbers inside the quoted document would pass for citation markers
        text = MARKER.sub("", clean_output(rendered.get(key, key))).replace("  ", " ").strip()
        if i in span.joined and prose and prose[-1].endswith(f". [{n}]") and not overview:
            # an elaboration reads as the rest of the sentence before it: "A: daarbij gaat het om B"
            prose[-1] = f"{prose[-1][: -len(f'. [{n}]')]}: {text[:1].lower()}{text[1:]} [{n}]"
            continue
        if s.text.lstrip().startswith("- ") and not text.startswith("- "):
            text = f"- {text.lstrip('-•* ')}"
        if key != s.text:  # an item given by its name
            text = f"- {text.lstrip('-•* ')}"
        if overview:
            lines.append(f"- {s.section_label}: {text} [{n}]")
        elif text.startswith("- "):
            if prose:
                lines.append(" ".join(prose))
                prose = []
            lines.append(f"{text} [{n}]")
        else:
            prose.append(f"{text} [{n}]")
    if prose:
        lines.append(" ".join(prose))
    if span.count and lines:  # asked how many: the count first, then the sentence naming them
        lines[0] = (
            f"{count_word(span.count, lang)}: {re.sub(r'^(De|Het|The) ', lambda m: m.group(1).lower() + ' ', lines[0])}"
        )
    if lines and not lines[-1].startswith("- "):
        # an intro quoted without its list ("... bestaan uit 4 centrale actielijnen:") ends the answer
        lines[-1] = re.sub(r":(\s*(?:\[\d+\])?)$", r".\1", lines[-1])
    body = "\n".join(([intro] if intro else []) + lines)
    if lang == "en" and not any(shown(s, span) in rendered for s in chosen):
        body = f"{TEXTS['en']['quoted']}\n{body}"
    quotes: dict[int, list[str]] = {}
    for s in chosen:
        quotes.setdefault(s.passage_index, [])
        if s.text not in quotes[s.passage_index]:
            quotes[s.passage_index].append(s.text)
    citations = [quoted_citation(n, retrieval.passages[pi], quotes.get(pi, [])) for pi, n in numbering.items()]
    return Answer(
        answer=body,
        status="answered",
        citations=citations,
        backend="extractive",
        question=question,
        standalone_question=standalone,
    )
