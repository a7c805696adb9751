"""Question -> grounded Answer. One flow for every backend:

validate -> condense follow-up -> retrieve -> sentence evidence -> "not found" decision (in code)
-> compose (extractive) or generate (language model) -> check citations -> Answer.

`stream()` yields events (sources, tokens, final) for the API and UI to show; `ask()` collects them.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from functools import partial

from assistant.answering.citations import check_citations, citation_for, quoted_citation
from assistant.answering.compose import writer_evidence
from assistant.answering.documents import NamesCache, name_documents
from assistant.answering.events import Event, final_answer
from assistant.answering.evidence import Evidence, ScoredSentence, judge, scored_for
from assistant.answering.extractive import compose_extractive, not_found_answer, quoted_span, with_second_question
from assistant.answering.followup import besides_previous, condense, is_follow_up, ordinal_of
from assistant.answering.prompts import answer_messages, condense_messages, evidence_messages
from assistant.answering.question import analyse
from assistant.answering.requests import check_question, check_scope, checked_history
from assistant.answering.sections import Overview, whole_section
from assistant.answering.sentence_bank import SentenceBank
from assistant.answering.span import Span, shown
from assistant.answering.text import MARKER
from assistant.answering.translation import checked_translations, dutch_query, translation_messages
from assistant.llm.base import Generator, GeneratorError, generate
from assistant.retrieval import Retrieval, Retriever, fuse_retrievals
from assistant.schema import Answer, ChatMessage
from assistant.settings import Settings
from ingest.language import detect_language
from ingest.loaders import strip_markup


class AnswerService:
    def __init__(
        self,
        settings: Settings,
        retriever_provider: Callable[[], Retriever],
        generator_provider: Callable[[str], Generator],
        bank: SentenceBank,
    ):
        self.settings = settings
        self._retriever = retriever_provider
        self._generator = generator_provider
        self.bank = bank
        self.llm_slots = threading.BoundedSemaphore(max(1, settings.llm_queue_size))
        self.names = NamesCache()

    # ---- validation -------------------------------------------------------------------------
    def validate(self, question: str, backend: str | None, top_k: int | None = None) -> str:
        return check_question(question, backend or self.settings.backend, top_k, self.settings.max_question_chars)

    def scope(self, documents: Sequence[str] | None) -> frozenset[str] | None:
        """The documents a question is kept to, checked against the index (None: all of them)."""
        if documents is None:
            return None
        return check_scope(documents, self._retriever().store.manifest.get("documents", {}))

    # ---- flow ---------------------------------------------------------------------------------
    def ask(
        self,
        question: str,
        history: list[ChatMessage] | None = None,
        backend: str | None = None,
        top_k: int | None = None,
        documents: Sequence[str] | None = None,
    ) -> Answer:
        """The checked answer; `documents` (doc ids) keeps retrieval, the "not in the documents"
        decision and the citations inside those documents (None: every document)."""
        return final_answer(self.stream(question, history, backend, top_k, documents))

    def stream(
        self,
        question: str,
        history: list[ChatMessage] | None = None,
        backend: str | None = None,
        top_k: int | None = None,
        documents: Sequence[str] | None = None,
    ) -> Iterator[Event]:
        for event in self._stream(question, history, backend, top_k, documents):
            if isinstance(event.data, Answer):  # the question is echoed back: no raw HTML in it either
                if event.data.status == "answered":
                    event.data.answer = name_documents(event.data.answer, event.data.citations)
                event.data.question = html.escape(event.data.question, quote=False)
                event.data.standalone_question = html.escape(event.data.standalone_question, quote=False)
            yield event

    def _stream(
        self,
        question: str,
        history: list[ChatMessage] | None,
        backend: str | None,
        top_k: int | None,
        documents: Sequence[str] | None,
    ) -> Iterator[Event]:
        backend = self.validate(question, backend, top_k)
        scope = self.scope(documents)
        question = question.strip()
        history = checked_history(history)
        started = time.perf_counter()
        timings: dict[str, float] = {}
        generator = None
        routed = backend == "auto"
        if routed:
            backend = self.route(question)
        notice = None
        holding = backend != "extractive" and self.llm_slots.acquire(blocking=False)
        if backend != "extractive" and not holding:
            # degrade instead of failing: the extractive answer now, marked as such
            backend, notice = "extractive", "busy"
        try:
            if holding:
                try:
                    generator = self._generator(backend)
                except GeneratorError:
                    if not routed:
                        raise
                    backend, notice = "extractive", "unavailable"
            t = time.perf_counter()
            # markup in a question is noise to retrieval (its code would match words such as
            # "alert"); the question itself is echoed as sent, escaped
            standalone = self._condense(strip_markup(question) if "<" in question else question, history, generator)
            timings["condense"] = _ms(t)
            search = standalone
            translated = (
                generator is not None and self.settings.translate_queries and detect_language(standalone) == "en"
            )
            if translated:
                assert generator is not None  # narrowed above
                t = time.perf_counter()
                search = dutch_query(standalone, generator)
                timings["translate"] = _ms(t)
            retriever = self._retriever()
            lang = detect_language(question)
            whole = self._whole_section(standalone, scope, retriever, lang)
            if whole is not None:
                yield from self._overview(question, standalone, whole, lang, backend, generator, timings, started)
                return
            fused_search = translated and self.settings.translated_search == "fuse"
            # "fuse": the question as asked decides whether the documents answer it; its Dutch
            # translation only adds passages and scores the sentences
            query = standalone if fused_search else search
            named = self._named(standalone, retriever) if scope is None else None
            retrieval, sentences, evidence = self._found(query, retriever, top_k, scope or named, timings)
            if named and not evidence.answerable:  # the named document does not say: all of them
                retrieval, sentences, evidence = self._found(query, retriever, top_k, None, timings)
            else:
                scope = scope or named
            if fused_search and evidence.answerable:
                t = time.perf_counter()
                retrieval = fuse_retrievals(
                    retrieval,
                    retriever.retrieve(search, top_k=top_k, documents=scope),
                    top_k or retriever.settings.top_k,
                )
                sentences = self._scored(search, retrieval, retriever)
                timings["fuse_translated"] = _ms(t)
            sentences = besides_previous(sentences, question, history)  # "welke andere ...?"
            if not evidence.answerable:
                answer = not_found_answer(question, standalone, retrieval, lang, backend)
                yield from _emit(answer, backend, timings, started, notice)
                return
            if generator is None:
                t = time.perf_counter()
                answer = self._extractive(question, standalone, retrieval, sentences, lang)
                timings["generate"] = _ms(t)
                yield from _emit(answer, backend, timings, started, notice)
                return
            form = analyse(standalone) if self.settings.question_aware_answers else None
            span = self._both_parts(
                standalone, retrieval, quoted_span(sentences, self.settings.max_answer_sentences, form)
            )
            # an exact span (a member line, an item headed by what was asked), a list given by its
            # items' names and a count of names are translated rather than rewritten: the model
            # garbles names and roles when it copies them, and rewrites a list of names into prose
            if lang == "en" and (self.settings.english_answers == "translate" or span.given_as_is):
                yield from self._translated(
                    question, standalone, retrieval, sentences, span, backend, generator, timings, started
                )
                return
            yield from self._generated(
                question,
                standalone,
                retrieval,
                sentences,
                span if form else None,
                lang,
                backend,
                generator,
                timings,
                started,
            )
        finally:
            if holding:
                self.llm_slots.release()

    def _found(
        self, query: str, retriever: Retriever, top_k: int | None, scope: frozenset[str] | None, timings: dict
    ) -> tuple[Retrieval, list[ScoredSentence], Evidence]:
        """Retrieval (inside `scope`), its scored sentences and the "not found" judgement."""
        retrieval = retriever.retrieve(query, top_k=top_k, documents=scope)
        timings.update(retrieval.timings)
        t = time.perf_counter()
        sentences = self._scored(query, retrieval, retriever)
        s = self.settings
        evidence = judge(
            query, retrieval, sentences, s.not_found_threshold, retriever.store.analyzer, s.not_found_rules
        )
        timings["evidence"] = _ms(t)
        return retrieval, sentences, evidence

    def _named(self, question: str, retriever: Retriever) -> frozenset[str] | None:
        """The documents a question names ("de notitie", "the Regio Deal paper"), preferred in retrieval."""
        named = self.names.named(question, retriever.store) if self.settings.prefer_named_documents else None
        return named if named and len(named) == 1 else None  # two named: the question spans them

    def _whole_section(self, question: str, scope, retriever: Retriever, lang: str) -> Overview | Answer | None:
        if not self.settings.whole_section_answers:
            return None
        return whole_section(question, scope, retriever.store, self.names.of(retriever.store), self.bank, lang)

    def _overview(
        self,
        question: str,
        standalone: str,
        whole: Overview | Answer,
        lang: str,
        backend: str,
        generator: Generator | None,
        timings: dict[str, float],
        started: float,
    ) -> Iterator[Event]:
        if isinstance(whole, Answer):
            yield from _emit(whole, backend, timings, started)
            return
        if generator is not None and lang == "en":
            yield from self._translated(
                question,
                standalone,
                whole.retrieval,
                whole.sentences,
                whole.span,
                backend,
                generator,
                timings,
                started,
                intro=whole.intro,
            )
            return
        answer = compose_extractive(
            question, standalone, whole.retrieval, whole.sentences, lang, 0, span=whole.span, intro=whole.intro
        )
        yield from _emit(answer, backend, timings, started)

    def _scored(self, query: str, retrieval: Retrieval, retriever: Retriever) -> list[ScoredSentence]:
        return scored_for(query, retrieval, self.bank, retriever.store.analyzer, self.settings)

    def route(self, question: str) -> str:
        """The backend "auto" picks for a question: the language model for English questions and
        the kinds of question it answers better (settings.route_*), extractive otherwise."""
        lang = detect_language(question)
        kind = analyse(question).kind
        to_model = (lang == "en" and self.settings.route_english_to_model) or kind in self.settings.route_kinds_to_model
        return self.settings.auto_model_backend if to_model else "extractive"

    # ---- stages -------------------------------------------------------------------------------
    def _condense(self, question: str, history: list[ChatMessage], generator: Generator | None) -> str:
        if not history or not is_follow_up(question):
            return question
        rule_based = condense(question, history)
        if generator is None or (ordinal_of(question) is not None and rule_based != question):
            return rule_based  # an ordinal resolved against the previous answer's list is exact
        messages = condense_messages(question, history)
        try:
            rewritten = generate(generator, messages, max_tokens=60).strip().strip('"')
        except GeneratorError:
            return rule_based
        rewritten = rewritten.splitlines()[0] if rewritten else ""
        return rewritten if 3 <= len(rewritten) <= 400 else rule_based

    def _extractive(
        self, question: str, standalone: str, retrieval: Retrieval, sentences: list[ScoredSentence], lang: str
    ) -> Answer:
        form = analyse(standalone) if self.settings.question_aware_answers else None
        span = self._both_parts(standalone, retrieval, quoted_span(sentences, self.settings.max_answer_sentences, form))
        return compose_extractive(
            question, standalone, retrieval, sentences, lang, self.settings.max_answer_sentences, form, span=span
        )

    def _both_parts(self, standalone: str, retrieval: Retrieval, span: Span) -> Span:
        if not (self.settings.answer_both_parts and self.settings.question_aware_answers):
            return span
        score = partial(self._scored, retrieval=retrieval, retriever=self._retriever())
        return with_second_question(span, standalone, score, self.settings.max_answer_sentences)

    def _translated(
        self,
        question: str,
        standalone: str,
        retrieval: Retrieval,
        sentences: list[ScoredSentence],
        span: Span,
        backend: str,
        generator: Generator,
        timings: dict[str, float],
        started: float,
        announce: bool = True,
        intro: str | None = None,
    ) -> Iterator[Event]:
        """The composed extractive answer (`span`) with its sentences in English: each translation
        checked against its source sentence; a sentence whose translation drifts is quoted in Dutch."""
        sources = list(dict.fromkeys(shown(s, span) for s in span.sentences))
        usage: dict[str, int] = {}
        rendered: dict[str, str] = {}
        flagged: list[str] = []
        if sources:
            t = time.perf_counter()
            reply = "".join(
                generator.stream(translation_messages(sources), min(self.settings.llm_max_tokens * 2, 900), usage=usage)
            )
            timings["generate"] = _ms(t)
            t = time.perf_counter()
            rendered, flagged = checked_translations(
                sources, reply, self.bank.embedder, self.settings.translation_min_similarity
            )
            timings["check"] = _ms(t)
        answer = compose_extractive(
            question,
            standalone,
            retrieval,
            sentences,
            "en",
            self.settings.max_answer_sentences,
            rendered=rendered,
            span=span,
            intro=intro,
        )
        answer.backend = backend
        answer.flagged_sentences = flagged
        answer.usage = usage
        answer.timings = {**timings, "total": _ms(started)}
        if announce:  # (a fallback after the writer has announced its sources already)
            yield Event("sources", answer.citations)
            yield Event("token", answer.answer)
        yield Event("final", answer)

    def _generated(
        self, question, standalone, retrieval, sentences, span, lang, backend, generator, timings, started
    ) -> Iterator[Event]:
        """The model's answer from the evidence; `span`: the composed span, when the service
        composes by the question's form (the writer composes its own otherwise)."""
        if self.settings.llm_prompt == "evidence":
            evidence = writer_evidence(
                analyse(standalone), sentences, max_words=self.settings.llm_evidence_words, composed=span
            )
            passages = [retrieval.passages[pi] for pi, _ in evidence]
            messages = evidence_messages(
                standalone,
                [(n, group[0].section_label, [s.text for s in group]) for n, (_, group) in enumerate(evidence, 1)],
                lang,
            )
        else:
            passages = retrieval.passages[: self.settings.llm_context_passages]
            messages = answer_messages(standalone, passages, sentences, lang)
        citations = [citation_for(i + 1, p) for i, p in enumerate(passages)]
        yield Event("sources", citations)
        gen_start = time.perf_counter()
        pieces: list[str] = []
        usage: dict[str, int] = {}
        try:
            for piece in generator.stream(messages, self.settings.llm_max_tokens, usage=usage):
                if not pieces:
                    timings["first_token"] = _ms(gen_start)
                pieces.append(piece)
                yield Event("token", piece)
        except GeneratorError:
            raise
        timings["generate"] = _ms(gen_start)
        t0 = time.perf_counter()
        quotes: dict[int, list[str]] = {}
        text, flagged, used = check_citations(
            "".join(pieces),
            passages,
            self.bank,
            self.settings.support_min_similarity,
            self.settings.support_min_similarity_translated,
            quotes,
        )
        timings["check"] = _ms(t0)
        if not text.strip() and lang == "en" and self.settings.english_fallback_translation:
            # nothing supported survived: the composed answer, translated and checked
            form = analyse(standalone) if self.settings.question_aware_answers else None
            yield from self._translated(
                question,
                standalone,
                retrieval,
                sentences,
                span or quoted_span(sentences, self.settings.max_answer_sentences, form),
                backend,
                generator,
                timings,
                started,
                announce=False,
            )
            return
        if not text.strip():  # nothing supported survived: fall back to quoting the sources
            fallback = self._extractive(question, standalone, retrieval, sentences, lang)
            fallback.backend = backend
            fallback.flagged_sentences = flagged
            fallback.usage = usage
            fallback.timings = {**timings, "total": _ms(started)}
            yield Event("final", fallback)
            return
        renumber = {old: new for new, old in enumerate(sorted(used, key=lambda n: text.find(f"[{n}]")), 1)}
        text = MARKER.sub(lambda m: f"[{renumber[int(m.group(1))]}]", text)
        final_citations = [
            quoted_citation(new, passages[old - 1], quotes.get(old, []))
            for old, new in sorted(renumber.items(), key=lambda x: x[1])
        ]
        yield Event(
            "final",
            Answer(
                answer=text,
                status="answered",
                citations=final_citations,
                backend=backend,
                question=question,
                standalone_question=standalone,
                flagged_sentences=flagged,
                usage=usage,
                timings={**timings, "total": _ms(started)},
            ),
        )


def _emit(answer: Answer, backend: str, timings: dict, started: float, notice: str | None = None) -> Iterator[Event]:
    """An answer made at once: its sources, then itself, with the timings so far."""
    answer.backend, answer.notice, answer.timings = backend, notice, {**timings, "total": _ms(started)}
    yield Event("sources", answer.citations)
    yield Event("final", answer)


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 3)
