"""The explanation of a result: which idea fragment matches which phrase of the plan, the
composed (extractive) explanation, and the prompt for and the check of a language model's one."""

from __future__ import annotations

import re

import numpy as np

from assistant.answering.citations import check_citations, claim_sentences
from assistant.answering.text import clean_output
from assistant.portfolio.idea import idea_segments
from assistant.portfolio.plan_model import PlanModel
from assistant.portfolio.scoring import IdeaScores, TopicScore, shared_indices
from assistant.portfolio.texts import EXPLANATION_TEXTS, LLM_SOURCES, LLM_SYSTEM
from assistant.retrieval import Passage
from assistant.schema import ActionLineMatch, Citation, PlanCondition, PortfolioMatch

CITATION_MARKER = re.compile(r"\[(\d+)\]")


def matched_pairs(
    scores: IdeaScores, chosen: list[TopicScore], plan: PlanModel, embedder, first: int = -1, slack: float = 0.03
) -> dict[str, list[str]]:
    """'idea fragment -> plan phrase' for the chosen portfolios: words the idea shares with a
    phrase first, then the (fragment, phrase) pairs that match best (distinct phrases and
    fragments, within `slack` of the best pair)."""
    segments = idea_segments(scores.idea)
    seg_vecs = np.asarray(embedder.embed_passages(segments), dtype=np.float32) if segments else None
    if seg_vecs is not None and len(seg_vecs):
        all_phrases = np.vstack([t.phrase_vectors for t in plan.portfolios])
        seg_mean = (seg_vecs @ all_phrases.T).mean(axis=1)
    out: dict[str, list[str]] = {}
    for s in chosen:
        per_topic = 2 if s is scores.portfolios[first] else 1  # the best portfolio: two pairs
        pairs: list[str] = []
        used_phrases: set[str] = set()
        used_segments: set[str] = set()
        for word, phrase in s.lexical_terms:
            if phrase not in used_phrases and len(pairs) < per_topic:
                pairs.append(f"{word} -> {phrase}")
                used_phrases.add(phrase)
                used_segments.add(word.lower())
        if seg_vecs is not None and len(seg_vecs) and len(pairs) < per_topic:
            # similarity of fragment and phrase, minus the fragment's mean over all phrases
            # (short generic words are close to everything), plus how well the phrase
            # matches the idea as a whole
            sims = seg_vecs @ s.topic.phrase_vectors.T  # (segments, phrases)
            rel = sims - seg_mean[:, None] + (s.phrase_sims - s.phrase_sims.mean())[None, :]
            best = float(rel.max())
            for flat in np.argsort(-rel, axis=None):
                si, pi = divmod(int(flat), rel.shape[1])
                if len(pairs) >= per_topic or rel[si, pi] < best - slack:
                    break
                seg, phrase = segments[si], s.topic.phrases[pi]
                if phrase in used_phrases or seg.lower() in used_segments:
                    continue
                pairs.append(f"{seg} -> {phrase}")
                used_phrases.add(phrase)
                used_segments.add(seg.lower())
        out[s.topic.id] = pairs
    return out


def _pretty(pair: str) -> str:
    left, _, right = pair.partition(" -> ")
    return f"“{left}” ↔ “{right}”" if left else f"“{right}”"


def nearest_focus(scores: IdeaScores, order: list[int], k: int = 3) -> list[str]:
    """The nearest portfolio's phrases closest to the idea (a phrase another portfolio shares
    last): what the idea would have to contribute to."""
    ts = scores.portfolios[order[0]]
    shared = set(shared_indices(ts.topic))
    ranked_phrases = sorted(range(len(ts.topic.phrases)), key=lambda i: (i in shared, -float(ts.phrase_sims[i])))
    return [ts.topic.phrases[i] for i in ranked_phrases[:k]]


def compose_parts(
    lang: str,
    verdict: str,
    portfolios: list[PortfolioMatch],
    action_lines: list[ActionLineMatch],
    conditions: list[PlanCondition],
    support: list[PlanCondition],
    scores: IdeaScores,
    order: list[int],
) -> tuple[str, str]:
    """The extractive explanation as (verdict part, rest), each statement with its citation
    number. The verdict part: the primary portfolio and what matches, a secondary one (no fit:
    the nearest portfolio and what would make the idea fit). The rest: the action lines served,
    the plan's condition and who in the region supports such ideas."""
    t = EXPLANATION_TEXTS[lang]
    top = portfolios[0]
    n_top = top.evidence[0].id
    parts: list[str] = []
    rest: list[str] = []
    condition = conditions[0] if conditions and conditions[0].citation is not None else None
    if verdict == "no_fit":
        parts.append(t["no_fit"].format(name=top.name, n=n_top))
        parts.append(t["would_fit"].format(name=top.name, n=n_top, focus=", ".join(nearest_focus(scores, order))))
    else:
        shown = [p for p in portfolios if p.fit != "none"]
        first = shown[0]
        head = t["fit" if first.fit == "strong" else "partial"].format(name=first.name, n=first.evidence[0].id)
        if first.matched:
            head += t["matches"].format(pairs="; ".join(_pretty(m) for m in first.matched))
        parts.append(head + ".")
        for p in shown[1:]:
            line = t["also"].format(name=p.name, n=p.evidence[0].id)
            if p.matched:
                line += t["matches"].format(pairs="; ".join(_pretty(m) for m in p.matched))
            parts.append(line + ".")
        if verdict == "partial":
            parts.append(t["weak"])
    served_lines = [a for a in action_lines if a.served]
    if served_lines and verdict != "no_fit":
        names = ", ".join(f"{a.name} [{a.evidence[0].id}]" for a in served_lines)
        rest.append(
            t["serves"].format(
                s="en"
                if lang == "nl" and len(served_lines) > 1
                else ("s" if lang == "en" and len(served_lines) > 1 else ""),
                names=names,
            )
        )
    if condition is not None and condition.citation is not None:
        rest.append(t["condition"].format(n=condition.citation.id, text=condition.text))
    if support and verdict != "no_fit" and support[0].citation is not None:
        rest.append(t["support"].format(n=support[0].citation.id, text=support[0].text))
    return clean_output(" ".join(parts)), clean_output(" ".join(rest))


def focus_line(text: str) -> str:
    """The first sentence of a portfolio's text ("Digitalisering: Focus ligt op ..."): what the
    portfolio is about, in a third of the tokens of the whole item. The checks still read the whole
    item, so a sentence drawing on the rest of it is supported."""
    head, _, rest = text.partition(". ")
    return head + "." if rest else text


def llm_messages(
    lang: str,
    idea: str,
    portfolios: list[PortfolioMatch],
    plan_order: list[PortfolioMatch],
    sources: list[tuple[Passage, Citation]],
) -> list[dict]:
    """A short chat for the model: the four portfolios' focus lines as sources 1-4, always in the
    plan's order (the same first tokens for every idea, so llama.cpp reuses them), then the idea
    as a quotation and the decided verdict. The model writes only why; the rest of the
    explanation stays composed."""
    t = EXPLANATION_TEXTS[lang]
    local = {p.id: i + 1 for i, p in enumerate(plan_order)}
    text_of = {c.id: passage.text for passage, c in sources}
    blocks = "\n".join(f"[{local[p.id]}] {focus_line(text_of[p.evidence[0].id])}" for p in plan_order)
    shown = [p for p in portfolios if p.fit != "none"]
    if shown:
        summary = t["fit" if shown[0].fit == "strong" else "partial"].format(name=shown[0].name, n=local[shown[0].id])
        summary += "".join(". " + t["also"].format(name=p.name, n=local[p.id]) for p in shown[1:]) + "."
    else:
        summary = t["nearest"].format(name=portfolios[0].name, n=local[portfolios[0].id])
    return [
        {"role": "system", "content": LLM_SYSTEM},
        {
            "role": "user",
            "content": f'{LLM_SOURCES}:\n{blocks}\n\n{t["idea"]}:\n"""\n{idea}\n"""\n\n'
            f"{t['verdict_label']}: {summary}\n\n{t['write']}",
        },
    ]


def drop_misattributed(text: str, names: list[str]) -> tuple[str, list[str]]:
    """Sentences that name a portfolio but cite another one's text, as (rest, dropped). `names`
    are the portfolio names of sources 1..n. A sentence citing the Digitalisering text for a
    claim about Circulaire economie may still be similar to the text it cites."""
    kept, dropped = [], []
    for sentence in claim_sentences(text):
        cited = {int(n) for n in CITATION_MARKER.findall(sentence)}
        named = {i + 1 for i, name in enumerate(names) if name and name.lower() in sentence.lower()}
        if named and cited and not named & cited:
            dropped.append(sentence)
        else:
            kept.append(sentence)
    return " ".join(kept), dropped


def supported_explanation(
    text: str, lang: str, sources: list[tuple[Passage, Citation]], keep: list[int], names: list[str], bank
) -> tuple[str, list[str]]:
    """The model's text without the sentences the cited plan text does not support, or that name
    one portfolio but cite another (`names`: the portfolio of each kept source); those are
    returned as flagged. Markers are renumbered to the result's citations; "" when nothing is left."""
    t = EXPLANATION_TEXTS[lang]
    # small models like to echo the prompt's "Oordeel:" label; the text after it is what counts
    label = rf"^\s*(?:{re.escape(t['verdict_label'])}|{re.escape(t['idea'])})\s*:\s*"
    text = re.sub(label, "", text.strip(), flags=re.I)
    by_id = {c.id: p for p, c in sources}
    passages = [by_id[gid] for gid in keep]
    text, misnamed = drop_misattributed(text, names)
    kept, flagged, _used = check_citations(text, passages, bank)
    flagged = misnamed + flagged
    if not kept.strip():
        return "", flagged
    back = {i + 1: gid for i, gid in enumerate(keep)}
    kept = CITATION_MARKER.sub(lambda m: f"[{back.get(int(m.group(1)), int(m.group(1)))}]", kept)
    return kept, flagged
