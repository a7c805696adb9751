"""`PortfolioService`: the flow of one check. Validate the idea, score it against the plan of the
current store generation, decide levels and verdict from the `portfolio_*` settings, cite the
plan's text and explain (composed, or written by a language model and checked)."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import numpy as np

from assistant.answering.citations import citation_for
from assistant.answering.errors import BackendBusy
from assistant.answering.text import clean_output, text_problem
from assistant.llm.base import Generator, generate
from assistant.llm.names import BACKENDS
from assistant.portfolio.errors import IdeaError
from assistant.portfolio.explain import compose_parts, llm_messages, matched_pairs, supported_explanation
from assistant.portfolio.idea import idea_windows
from assistant.portfolio.plan import PlanSentence
from assistant.portfolio.plan_model import PlanModel, build_plan_model
from assistant.portfolio.scoring import IdeaScores, levels, logistic, ranked, score_idea, served, verdict_of
from assistant.retrieval import Passage
from assistant.schema import ActionLineMatch, Citation, PlanCondition, PortfolioFit, PortfolioMatch
from assistant.settings import Settings
from ingest.model import Chunk

MAX_IDEA_CHARS = 4000


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)


class PortfolioService:
    """The portfolio check over the store of `services`, with the calibrated numbers of `settings`."""

    def __init__(self, settings: Settings, services):
        self.settings = settings
        self.services = services
        self._lock = threading.RLock()
        self._own_slots = threading.BoundedSemaphore(max(1, settings.llm_queue_size))
        self._plan: PlanModel | None = None
        self.plan()  # read the portfolios now: a store without them is an error at start

    # ---- the plan, cached per store generation ---------------------------------------------
    def plan(self) -> PlanModel:
        store = self.services.retriever().store
        with self._lock:
            if self._plan is None or self._plan.generation != store.generation:
                self._plan = build_plan_model(store, self.services.embedder, self.settings)
            return self._plan

    # ---- validation -------------------------------------------------------------------------
    @staticmethod
    def validate(idea: object) -> str:
        if not isinstance(idea, str):
            raise IdeaError("the idea must be text")
        if len(idea) > MAX_IDEA_CHARS and len(idea.strip()) > MAX_IDEA_CHARS:
            raise IdeaError(f"the idea is {len(idea.strip()):,} characters; the limit is {MAX_IDEA_CHARS:,}")
        if "\x00" in idea:
            raise IdeaError("the idea contains a NUL byte")
        if (problem := text_problem(idea)) and problem != "is empty":
            raise IdeaError(f"the idea {problem}")
        if not idea:
            raise IdeaError("the idea is empty")
        stripped = idea.strip()
        if not stripped:
            raise IdeaError("the idea contains only whitespace")
        return stripped

    def _backend(self, backend: str | None) -> str:
        """The backend that writes the explanation. `auto` is the composed one: the bundled model
        took 8-30 s for it on two cores and mostly copied its sources (evals/PORTFOLIO.md); a
        model writes it only when asked for by name."""
        backend = backend or self.settings.backend
        if backend not in BACKENDS:
            raise IdeaError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}")
        return "extractive" if backend == "auto" else backend

    # ---- scoring ------------------------------------------------------------------------------
    def score(self, idea: str) -> IdeaScores:
        """Raw scores of a (validated) idea against every portfolio and action line."""
        idea = self.validate(idea)
        plan = self.plan()
        t = time.perf_counter()
        vectors = np.asarray(self.services.embedder.embed_passages(idea_windows(idea)), dtype=np.float32)
        embed_ms = _ms(t)
        t = time.perf_counter()
        analyzer = self.services.retriever().store.analyzer
        result = score_idea(idea, vectors, plan, analyzer, self.settings)
        result.timings.update(embed=embed_ms, score=_ms(t))
        return result

    # ---- the check ----------------------------------------------------------------------------
    def check(self, idea: str, backend: str | None = None) -> PortfolioFit:
        started = time.perf_counter()
        idea = self.validate(idea)
        backend = self._backend(backend)
        settings = self.settings
        scores = self.score(idea)
        timings = dict(scores.timings)
        plan = self.plan()
        lang = scores.language
        t = time.perf_counter()

        raw = [s.raw for s in scores.portfolios]
        order = ranked(raw, [s.topic.id for s in scores.portfolios], settings)
        fit_levels = levels(raw, settings, order)
        verdict = verdict_of(fit_levels)
        shown = [i for i in order if fit_levels[i] != "none"]
        chosen = [scores.portfolios[i] for i in shown]
        pairs = matched_pairs(scores, chosen, plan, self.services.embedder, first=order[0]) if shown else {}

        sources: list[tuple[Passage, Citation]] = []

        def cite(text: str, chunk: Chunk, score: float, tag: str) -> Citation:
            n = len(sources) + 1
            passage = Passage(replace(chunk, text=text, chunk_id=f"{chunk.chunk_id}#{tag}"), score=score)
            c = citation_for(n, passage)
            c = c.model_copy(update={"chunk_id": chunk.chunk_id})
            sources.append((passage, c))
            return c

        portfolios: list[PortfolioMatch] = []
        for i in order:
            s = scores.portfolios[i]
            score01 = round(logistic((s.raw - settings.portfolio_partial) / settings.portfolio_score_scale), 4)
            ev = cite(s.topic.text, s.topic.chunk, score01, f"portfolio-{s.topic.id}")
            matched = pairs.get(s.topic.id, []) if fit_levels[i] != "none" else []
            role = None if fit_levels[i] == "none" else ("primary" if not portfolios else "secondary")
            portfolios.append(
                PortfolioMatch(
                    id=s.topic.id,
                    name=s.topic.name,
                    score=score01,
                    fit=fit_levels[i],
                    role=role,
                    matched=matched,
                    evidence=[ev],
                )
            )

        araw = [s.raw for s in scores.action_lines]
        shown_ids = [scores.portfolios[i].topic.id for i in shown]
        linked = {plan.links[pid] for pid in shown_ids if pid in plan.links}
        aserved = [
            ok or s.topic.id in linked for s, ok in zip(scores.action_lines, served(araw, settings), strict=True)
        ]
        action_lines: list[ActionLineMatch] = []
        drivers_cite = None
        for s, ok in zip(scores.action_lines, aserved, strict=True):
            score01 = round(logistic((s.raw - settings.portfolio_action) / settings.portfolio_score_scale), 4)
            if s.topic.id in linked:
                score01 = max(score01, 0.5)  # served through a portfolio the idea fits
            evidence = [cite(s.topic.text, s.topic.chunk, score01, f"action-{s.topic.id}")]
            if s.topic.id in linked and plan.drivers is not None:
                if drivers_cite is None:
                    drivers_cite = cite(plan.drivers.text, plan.drivers.chunk, 1.0, "drivers")
                evidence.append(drivers_cite)
            action_lines.append(
                ActionLineMatch(
                    id=s.topic.id,
                    name=s.topic.name,
                    description=s.topic.description,
                    score=score01,
                    served=ok,
                    evidence=evidence,
                )
            )

        conditions = [
            PlanCondition(text=c.text, citation=cite(c.text, c.chunk, 1.0, f"condition-{k}"))
            for k, c in enumerate(plan.conditions)
        ]
        if verdict != "no_fit":
            conditions += [
                PlanCondition(text=c.text, citation=cite(c.text, c.chunk, 1.0, f"precondition-{k}"))
                for k, c in enumerate(plan.preconditions)
            ]
        support: list[PlanCondition] = []
        # the actors for the portfolios when the idea fits; for an action line the idea serves on
        # its own (not through a portfolio), the actors closest to that line
        wanted_support = (["portfolios"] if verdict != "no_fit" else []) + [
            a.id for a in action_lines if a.served and a.id not in linked
        ]
        picked: list[PlanSentence] = []
        for key in wanted_support:
            if plan.support:
                best = max(plan.support, key=lambda p: p.affinity.get(key, -1.0))
                if best not in picked:
                    picked.append(best)
        for k, p in enumerate(picked):
            support.append(PlanCondition(text=p.text, citation=cite(p.text, p.chunk, 1.0, f"support-{k}")))

        head, rest = compose_parts(lang, verdict, portfolios, action_lines, conditions, support, scores, order)
        composed = clean_output(f"{head} {rest}")
        timings["compose"] = _ms(t)
        explanation, used_backend = composed, "extractive"
        flagged: list[str] = []
        if backend != "extractive":
            t = time.perf_counter()
            by_id = {p.id: p for p in portfolios}
            in_plan_order = [by_id[topic.id] for topic in plan.portfolios]
            why, flagged = self._generated(backend, lang, idea, portfolios, in_plan_order, sources)
            # the model's why, checked; the action lines, condition and support stay composed
            explanation = clean_output(f"{why} {rest}") if why else composed
            used_backend = backend
            timings["generate"] = _ms(t)
        timings["total"] = _ms(started)
        return PortfolioFit(
            idea=idea,
            language=lang,
            verdict=verdict,
            explanation=explanation,
            portfolios=portfolios,
            action_lines=action_lines,
            conditions=conditions,
            support=support,
            backend=used_backend,
            flagged_sentences=flagged,
            timings=timings,
        )

    def _generated(
        self,
        backend: str,
        lang: str,
        idea: str,
        portfolios: list[PortfolioMatch],
        in_plan_order: list[PortfolioMatch],
        sources: list[tuple[Passage, Citation]],
    ) -> tuple[str, list[str]]:
        """The language model writes why the idea fits (or not) from the four portfolio texts;
        sentences those texts do not support are dropped (flagged). Returns "" when nothing
        supported is left."""
        keep = [p.evidence[0].id for p in in_plan_order]  # the model's sources 1-4
        answers = self.services.answers
        slots = getattr(answers, "llm_slots", None) or self._own_slots
        if not slots.acquire(blocking=False):
            raise BackendBusy("all language-model slots are busy; retry shortly")
        try:
            generator: Generator = self.services.generator(backend)
            messages = llm_messages(lang, idea, portfolios, in_plan_order, sources)
            text = generate(generator, messages, max_tokens=self.settings.portfolio_llm_max_tokens)
        finally:
            slots.release()
        names = [p.name for p in in_plan_order]
        return supported_explanation(text, lang, sources, keep, names, answers.bank)
