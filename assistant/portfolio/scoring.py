"""Scoring an idea against the plan: raw scores per portfolio and action line, and the levels
and verdict they give under the calibrated `portfolio_*` settings."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from assistant.portfolio.idea import surface_forms
from assistant.portfolio.plan import Topic
from assistant.portfolio.plan_model import PlanModel
from assistant.schema import FitLevel, Verdict
from assistant.settings import Settings
from ingest.language import detect_language

MAX_SHOWN = 2  # at most this many portfolios show as strong/partial (the best and one it spans to)


@dataclass
class TopicScore:
    topic: Topic
    raw: float
    item_sim: float
    phrase_sims: np.ndarray  # best over the idea vectors, one per phrase
    lexical: float
    lexical_terms: list[tuple[str, str]]  # (idea word, phrase)


@dataclass
class IdeaScores:
    idea: str
    language: str
    portfolios: list[TopicScore]  # plan order
    action_lines: list[TopicScore]
    vectors: np.ndarray  # idea passage vectors (whole idea or windows)
    timings: dict[str, float] = field(default_factory=dict)


def logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, x))))


def score_idea(idea: str, vectors: np.ndarray, plan: PlanModel, analyzer, settings: Settings) -> IdeaScores:
    """Raw scores of an idea (embedded as `vectors`, one per window) against every portfolio and
    action line of `plan`."""
    background = (vectors @ plan.background.T).mean(axis=1)  # one level per idea vector
    idea_tokens = set(analyzer.tokens(idea))
    surface = surface_forms(idea, analyzer)
    result = IdeaScores(idea, detect_language(idea), [], [], vectors)
    for topics, bucket in ((plan.portfolios, result.portfolios), (plan.action_lines, result.action_lines)):
        for topic in topics:
            bucket.append(score_topic(topic, vectors, background, idea_tokens, surface, settings))
    return result


def shared_indices(topic: Topic) -> list[int]:
    """Indices of the phrases another portfolio shares (none when every phrase is shared)."""
    marked = [i for i, shared in enumerate(topic.shared) if shared]
    return marked if len(marked) < len(topic.phrases) else []


def score_topic(
    topic: Topic,
    vectors: np.ndarray,
    background: np.ndarray,
    idea_tokens: set[str],
    surface: dict[str, str],
    settings: Settings,
) -> TopicScore:
    """Best window: item and top-phrase similarity minus the background, plus the lexical bonus."""
    item_weight = settings.portfolio_item_weight
    item = vectors @ topic.item_vector  # (windows,)
    phr = vectors @ topic.phrase_vectors.T  # (windows, phrases)
    # a phrase two portfolios share cannot tell them apart: the others decide
    skip = set(shared_indices(topic)) if settings.portfolio_skip_shared else set()
    phr_rank = phr[:, [i for i in range(phr.shape[1]) if i not in skip]] if skip else phr
    k = min(settings.portfolio_top_phrases, phr_rank.shape[1])
    top = np.sort(phr_rank, axis=1)[:, -k:].mean(axis=1)
    per_window = item_weight * item + (1 - item_weight) * top - background
    w = int(np.argmax(per_window))
    lexical, terms = 0.0, []
    for k, (phrase, weights) in enumerate(zip(topic.phrases, topic.phrase_tokens, strict=True)):
        total = sum(weights.values())
        if total <= 0 or k in skip:
            continue
        hit = [t for t in weights if t in idea_tokens and weights[t] > 0]
        share = sum(weights[t] for t in hit) / total
        if hit and share > 0.0:
            terms.append((surface.get(hit[0], hit[0]), phrase))
        lexical = max(lexical, share)
    raw = float(per_window[w]) + settings.portfolio_lexical_weight * lexical
    return TopicScore(topic, raw, float(item[w]), phr.max(axis=0), lexical, terms)


def ranked(raw: list[float], ids: list[str], settings: Settings) -> list[int]:
    """Portfolio indices, best first, with the application first: when the technology portfolio
    (`portfolio_technology`, the plan's Sleuteltechnologieën: research and the technologies
    themselves) leads by at most `portfolio_application_margin` over a portfolio that is at
    least partial, that portfolio (what the idea is for: care, manufacturing, agriculture,
    energy, textile) comes first. The plan puts "de toepassing van innovaties" central."""
    order = sorted(range(len(raw)), key=lambda i: -raw[i])
    tech = settings.portfolio_technology
    if not order or not tech or ids[order[0]] != tech:
        return order
    for i in order[1:]:
        if raw[i] >= settings.portfolio_partial and raw[order[0]] - raw[i] <= settings.portfolio_application_margin:
            return [i] + [j for j in order if j != i]
    return order


def levels(raw: list[float], settings: Settings, order: list[int] | None = None) -> list[FitLevel]:
    """strong / partial / none per portfolio, from raw scores and the ranking `order` (default:
    by raw score). Only the first can be strong, when the best raw score reaches `strong`;
    others show as partial when close enough to the best."""
    if order is None:
        order = sorted(range(len(raw)), key=lambda i: -raw[i])
    best = max(raw) if raw else 0.0
    rank = {i: n for n, i in enumerate(order)}
    out: list[FitLevel] = []
    for i, r in enumerate(raw):
        near = best - r <= settings.portfolio_margin and rank[i] < MAX_SHOWN
        if rank[i] == 0 and best >= settings.portfolio_strong and r >= settings.portfolio_partial:
            out.append("strong")
        elif r >= settings.portfolio_partial and near:
            out.append("partial")  # the best when weak, or another portfolio the idea also touches
        else:
            out.append("none")
    return out


def served(raw: list[float], settings: Settings) -> list[bool]:
    """Action lines served by their own similarity (at or above the bar, close to the best)."""
    best = max(raw) if raw else 0.0
    return [r >= settings.portfolio_action and best - r <= settings.portfolio_action_margin for r in raw]


def verdict_of(fit_levels: list[FitLevel]) -> Verdict:
    if "strong" in fit_levels:
        return "fit"
    if "partial" in fit_levels:
        return "partial"
    return "no_fit"
