"""The portfolio check's decisions without models: the application-first ranking, the levels
it gives, the phrases two portfolios share, and the composed explanation of a fit and a no-fit."""

from __future__ import annotations

import numpy as np
import pytest
from support.fakes import make_citation

from assistant.portfolio.explain import compose_parts, drop_misattributed, llm_messages
from assistant.portfolio.plan import Topic
from assistant.portfolio.plan_model import mark_shared
from assistant.portfolio.scoring import IdeaScores, TopicScore, levels, ranked, score_topic, verdict_of
from assistant.retrieval import Passage
from assistant.schema import ActionLineMatch, PlanCondition, PortfolioMatch
from assistant.settings import Settings
from ingest.model import Chunk

IDS = ["digitalisering", "innovatie-in-de-zorg", "circulaire-economie", "sleuteltechnologieen"]


@pytest.fixture
def settings() -> Settings:
    return Settings(
        _env_file=None,
        portfolio_partial=0.010,
        portfolio_strong=0.012,
        portfolio_margin=0.005,
        portfolio_technology="sleuteltechnologieen",
        portfolio_application_margin=0.008,
    )


def test_application_comes_first_when_the_technology_portfolio_leads_narrowly(settings):
    raw = [0.002, 0.020, 0.001, 0.026]  # care 0.006 behind key technologies
    order = ranked(raw, IDS, settings)
    assert [IDS[i] for i in order[:2]] == ["innovatie-in-de-zorg", "sleuteltechnologieen"]
    fit = levels(raw, settings, order)
    assert fit[1] == "strong" and fit[3] == "partial"  # care primary, key technologies secondary
    assert verdict_of(fit) == "fit"


def test_technology_itself_stays_first_when_it_leads_clearly(settings):
    raw = [0.002, 0.015, 0.001, 0.026]  # 0.011 behind: more than the application margin
    assert IDS[ranked(raw, IDS, settings)[0]] == "sleuteltechnologieen"


def test_an_application_below_partial_never_takes_the_lead(settings):
    raw = [0.002, 0.009, 0.001, 0.013]  # care close, but itself no fit
    assert IDS[ranked(raw, IDS, settings)[0]] == "sleuteltechnologieen"


def test_without_a_technology_portfolio_the_ranking_is_by_score(settings):
    plain = settings.model_copy(update={"portfolio_technology": ""})
    raw = [0.002, 0.020, 0.001, 0.026]
    assert ranked(raw, IDS, plain) == [3, 1, 0, 2]
    # another portfolio leading is never reordered
    assert ranked([0.026, 0.020, 0.001, 0.002], IDS, settings) == [0, 1, 3, 2]


def test_levels_show_at_most_two_and_only_close_ones(settings):
    raw = [0.030, 0.027, 0.026, 0.001]
    fit = levels(raw, settings)
    assert fit == ["strong", "partial", "none", "none"]
    assert levels([0.030, 0.020, 0.0, 0.0], settings) == ["strong", "none", "none", "none"]
    assert verdict_of(levels([0.009, 0.008, 0.0, 0.0], settings)) == "no_fit"
    assert verdict_of(levels([0.011, 0.0, 0.0, 0.0], settings)) == "partial"


class _Words:
    """A stand-in for the store analyzer: lowercase words."""

    @staticmethod
    def tokens(text: str) -> list[str]:
        return [w.strip("(),;").lower() for w in text.split() if w.strip("(),;")]


def _topic(tid: str, phrases: list[str], description: str = "") -> Topic:
    text = description or ", ".join(phrases)
    chunk = Chunk(f"c-{tid}", "plan", "Plan", 0, text, "6.1", "Focus", "6", "Strategie", "Focus", "body", 0, len(text))
    return Topic(
        id=tid, name=tid.title(), description=description or ", ".join(phrases), text=tid, chunk=chunk, phrases=phrases
    )


def test_phrases_two_portfolios_share_are_marked():
    a = _topic("a", ["robotica", "artificiële intelligentie (AI)"])
    b = _topic("b", ["fotonica", "Artificiële intelligentie (AI)", "robotica in de zorg"])
    mark_shared([a, b], _Words())
    assert a.shared == [False, True]
    assert b.shared == [False, True, False]  # "robotica in de zorg" is not "robotica"


def test_a_shared_phrase_does_not_count_towards_the_score(settings):
    topic = _topic("b", ["fotonica", "AI", "nanotechnologie"])
    topic.item_vector = np.array([0.0, 0.0, 1.0], dtype=np.float32)
    topic.phrase_vectors = np.eye(3, dtype=np.float32)
    topic.phrase_tokens = [{}, {}, {}]
    topic.shared = [False, True, False]
    idea = np.array([[0.0, 1.0, 0.0]], dtype=np.float32)  # the idea is all "AI"
    skip = settings.model_copy(update={"portfolio_top_phrases": 1, "portfolio_item_weight": 0.0})
    keep = skip.model_copy(update={"portfolio_skip_shared": False})
    bg = np.zeros(1, dtype=np.float32)
    assert score_topic(topic, idea, bg, set(), {}, keep).raw == pytest.approx(1.0)
    assert score_topic(topic, idea, bg, set(), {}, skip).raw == pytest.approx(0.0)


def _scores_and_matches(fit_levels: list[str]):
    topics = [
        _topic(i, [f"{i} focus een", f"{i} focus twee"], description=f"Focus ligt op {i} focus een, {i} focus twee.")
        for i in IDS
    ]
    ts = [TopicScore(t, 0.0, 0.0, np.array([0.80, 0.82]), 0.0, []) for t in topics]
    scores = IdeaScores("idee", "nl", ts, [], np.zeros((1, 3)))
    matches = [
        PortfolioMatch(
            id=t.id,
            name=t.name,
            score=0.5,
            fit=lv,  # type: ignore[arg-type]
            role=("primary" if k == 0 and lv != "none" else "secondary" if lv != "none" else None),
            matched=["zorgrobot -> robotica"] if lv != "none" else [],
            evidence=[make_citation(k + 1)],
        )
        for k, (t, lv) in enumerate(zip(topics, fit_levels, strict=True))
    ]
    return scores, matches


def test_composed_fit_names_primary_secondary_line_condition_and_support():
    scores, matches = _scores_and_matches(["strong", "partial", "none", "none"])
    lines = [
        ActionLineMatch(
            id="techniek",
            name="Techniek als motor",
            description="",
            score=0.5,
            served=True,
            evidence=[make_citation(5)],
        )
    ]
    cond = [PlanCondition(text="minimaal één co-financierend bedrijf", citation=make_citation(6))]
    support = [PlanCondition(text="Novel-T en OostNL", citation=make_citation(7))]
    text = " ".join(compose_parts("nl", "fit", matches, lines, cond, support, scores, [0, 1, 2, 3]))
    assert text.index("Digitalisering [1]") < text.index("tweede portfolio") < text.index("Innovatie-In-De-Zorg [2]")
    assert "Techniek als motor [5]" in text and "co-financierend bedrijf” [6]" in text
    assert "Novel-T en OostNL” [7]" in text


def test_composed_no_fit_names_the_nearest_and_what_would_make_it_fit():
    scores, matches = _scores_and_matches(["none"] * 4)
    cond = [PlanCondition(text="minimaal één co-financierend bedrijf", citation=make_citation(6))]
    support = [PlanCondition(text="Novel-T en OostNL", citation=make_citation(7))]
    text = " ".join(compose_parts("en", "no_fit", matches, [], cond, support, scores, [0, 1, 2, 3]))
    assert "does not clearly fit" in text and "nearest is Digitalisering [1]" in text
    # the nearest portfolio's phrases closest to the idea, best first
    assert (
        "would fit Digitalisering if the idea clearly contributed to digitalisering focus twee, digitalisering focus een"
        in text
    )
    assert "[6]" in text  # the plan's condition still applies
    assert "Novel-T" not in text  # support is named for ideas that fit


def test_a_sentence_naming_one_portfolio_but_citing_another_is_dropped():
    names = ["Digitalisering", "Innovatie in de zorg", "Circulaire economie"]
    text = (
        "De Circulaire economie speelt een rol in regionale productiewaardeketens. [1] "
        "Het idee past bij Innovatie in de zorg door de sensoren. [2] Het gaat om energie. [3]"
    )
    kept, dropped = drop_misattributed(text, names)
    assert dropped == ["De Circulaire economie speelt een rol in regionale productiewaardeketens. [1]"]
    assert "Innovatie in de zorg door de sensoren. [2]" in kept and "energie. [3]" in kept


def _prompt(lang: str, idea: str) -> list[dict]:
    _, matches = _scores_and_matches(["strong", "none", "none", "none"])
    sources = []
    for m in matches:
        chunk = Chunk(
            chunk_id=f"c{m.id}", doc_id="plan", doc_title="Plan", ordinal=0, text=f"{m.name}: focus op {m.id}. Daarbij stimuleren we investeringen in {m.id}.",
            section_number="6.1", section_title="Focus", chapter_number="6", chapter_title="Ecosysteem",
            heading_path="Focus", kind="list", start=0, end=10,
        )  # fmt: skip
        sources.append((Passage(chunk, score=1.0), m.evidence[0]))
    return llm_messages(lang, idea, matches, matches, sources)


def test_the_model_prompt_starts_alike_in_both_languages_and_asks_for_the_language_at_the_end():
    nl, en = _prompt("nl", "Een zorgrobot voor thuis."), _prompt("en", "A care robot at home.")
    assert nl[0] == en[0]  # one instruction for both languages
    sources = nl[1]["content"].split("\n\n")[0]
    assert all(f"[{k}] " in sources for k in range(1, 5))
    assert en[1]["content"].startswith(sources)  # the four portfolio texts come first in both
    assert "focus op digitalisering." in sources and "Daarbij" not in sources  # only their focus lines
    assert nl[1]["content"].rstrip().endswith("Schrijf nu in het Nederlands waarom, in één zin met een nummer.")
    assert "in English" in en[1]["content"].splitlines()[-1]
