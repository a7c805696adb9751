"""The "auto" backend, degrading when the model is unavailable, and English questions searched for
in Dutch — on a fake embedder and a fake language model."""

from __future__ import annotations

import pytest
from support.config import ingest_plan, make_settings
from support.fakes import FakeEmbedder, FakeGenerator

from assistant.answering.prompts import WRITER
from assistant.llm.base import GeneratorError
from assistant.services import Services

DUTCH_SENTENCE = (
    "De Twente Board wordt in de uitvoering bijgestaan door de uitvoeringsorganisatie Twente Board Development (TBD)."
)


@pytest.fixture(scope="module")
def embedder():
    return FakeEmbedder()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory, embedder):
    return ingest_plan(tmp_path_factory.mktemp("routing"), embedder)


def reply(messages):
    system = messages[0]["content"]
    if system.startswith("Translate"):
        return DUTCH_SENTENCE  # the English question, in Dutch
    return "The Twente Board is supported by Twente Board Development (TBD) in carrying out its plans. [1]"


def services(data_dir, embedder, gen, **overrides):
    return Services(make_settings(data_dir, **overrides), embedder=embedder, generators={"llamacpp": gen})


def test_auto_sends_dutch_to_the_extractive_composer_and_english_to_the_model(data_dir, embedder):
    gen = FakeGenerator(reply)
    svc = services(
        data_dir, embedder, gen, translate_queries=True, english_answers="write", english_fallback_translation=False
    )
    dutch = svc.answers.ask(DUTCH_SENTENCE, backend="auto")
    assert dutch.backend == "extractive" and gen.calls == []
    english = svc.answers.ask("Which organisation supports the Twente Board in carrying out its plans?", backend="auto")
    assert english.backend == "llamacpp" and english.notice is None
    assert [c["messages"][0]["content"].split()[0] for c in gen.calls] == ["Translate", WRITER["en"].split()[0]]


def test_an_english_question_is_searched_for_in_dutch(data_dir, embedder):
    gen = FakeGenerator(reply)
    svc = services(data_dir, embedder, gen, translate_queries=True, translated_search="replace")
    svc.answers.ask("Which organisation supports the Twente Board?", backend="llamacpp")
    assert embedder.queries[-1] == DUTCH_SENTENCE  # retrieval embedded the Dutch question
    off = services(data_dir, embedder, FakeGenerator(reply))  # the default: searched for as asked
    off.answers.ask("Which organisation supports the Twente Board?", backend="llamacpp")
    assert embedder.queries[-1] == "Which organisation supports the Twente Board?"


def test_kinds_routed_to_the_model_are_a_setting(data_dir, embedder):
    gen = FakeGenerator(lambda m: "Ja, de Twente Board krijgt hulp van Twente Board Development. [1]")
    svc = services(data_dir, embedder, gen, route_kinds_to_model=["yes_no"])
    assert svc.answers.route("Wordt de Twente Board bijgestaan door een uitvoeringsorganisatie?") == "llamacpp"
    assert svc.answers.route("Welke organisatie helpt de Twente Board?") == "extractive"
    none = services(data_dir, embedder, gen, route_kinds_to_model=[], route_english_to_model=False)
    assert none.answers.route("Does the Twente Board get help?") == "extractive"


def test_auto_answers_extractively_when_the_model_is_unavailable(data_dir, embedder):
    # a model that cannot be built (no such file) is routed around, and the answer says so
    gone = Services(make_settings(data_dir, llamacpp_model_path="/nonexistent.gguf"), embedder=embedder)
    routed = gone.answers.ask("Which organisation supports the Twente Board?", backend="auto")
    assert routed.backend == "extractive" and routed.notice == "unavailable"
    with pytest.raises(GeneratorError):
        gone.answers.ask("Which organisation supports the Twente Board?", backend="llamacpp")


def test_a_fused_translated_search_judges_the_question_as_asked_and_adds_the_dutch_passages():
    from assistant.retrieval import Passage, Retrieval, fuse_retrievals
    from ingest.model import Chunk

    def chunk(i: int) -> Chunk:
        return Chunk(f"c{i}", "d", "D", i, f"tekst {i}", None, "", None, None, "", "body", 0, 7)

    def retrieval(query: str, ids: list[int], top: float) -> Retrieval:
        return Retrieval(query, [Passage(chunk(i), 1.0) for i in ids], None, {}, dense_top=top, dense_mean=0.5)

    english, dutch = retrieval("asked", [1, 2, 3], 0.8), retrieval("gevraagd", [3, 4, 1], 0.9)
    fused = fuse_retrievals(english, dutch, top_k=3)
    assert [p.chunk.chunk_id for p in fused.passages] == ["c1", "c3", "c2"]  # in both lists first
    assert fused.query == "gevraagd" and fused.dense_top == 0.9
