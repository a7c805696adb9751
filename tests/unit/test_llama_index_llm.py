"""A llama-index LLM as the answer generator (assistant.llm.llama_index_llm), with a CustomLLM fake."""

from __future__ import annotations

import re
import shutil
from typing import Any

import pytest
from llama_index.core.base.llms.types import CompletionResponse, CompletionResponseGen, LLMMetadata
from llama_index.core.bridge.pydantic import Field
from llama_index.core.llms import CustomLLM
from support.config import PLAN, make_settings
from support.fakes import FakeEmbedder

from assistant.llm.base import Generator, GeneratorError, generate
from assistant.llm.llama_index_llm import LlamaIndexGenerator
from assistant.services import Services
from ingest.indexer import ingest

SENTENCE = (
    "De Twente Board wordt in de uitvoering bijgestaan door de uitvoeringsorganisatie Twente Board Development (TBD)."
)


class ScriptedLLM(CustomLLM):
    """Streams `reply` word by word (or a function of the prompt); records prompts and keyword arguments."""

    reply: Any = ""
    fail: bool = False
    prompts: list = Field(default_factory=list)
    kwargs: list = Field(default_factory=list)

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(model_name="scripted")

    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(self._pieces(prompt, kwargs)))

    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in self._pieces(prompt, kwargs):
            text += piece
            yield CompletionResponse(text=text, delta=piece)

    def _pieces(self, prompt: str, kwargs: dict):
        self.prompts.append(prompt)
        self.kwargs.append(kwargs)
        if self.fail:
            raise ConnectionError("the server went away")
        reply = self.reply(prompt) if callable(self.reply) else self.reply
        yield from re.findall(r"\s*\S+", reply)


def test_streams_the_deltas_with_the_roles_and_limits():
    llm = ScriptedLLM(reply="Hallo daar, Twente.")
    gen = LlamaIndexGenerator(llm)
    assert isinstance(gen, Generator) and gen.name == "llama-index/scripted"
    messages = [{"role": "system", "content": "Wees kort."}, {"role": "user", "content": "Zeg hallo."}]
    pieces = list(gen.stream(messages, max_tokens=12, temperature=0.3))
    assert pieces == ["Hallo", " daar,", " Twente."]
    assert llm.kwargs == [{"max_tokens": 12, "temperature": 0.3}]
    assert "system: Wees kort." in llm.prompts[0] and "user: Zeg hallo." in llm.prompts[0]
    assert gen.list_models() == ["scripted"]


def test_an_llm_failure_is_a_generator_error_naming_it():
    gen = LlamaIndexGenerator(ScriptedLLM(fail=True), name="mine")
    with pytest.raises(GeneratorError, match=r"mine failed: ConnectionError: the server went away"):
        generate(gen, [{"role": "user", "content": "?"}], max_tokens=4)


def test_services_answer_with_a_llama_index_llm(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(PLAN, corpus / PLAN.name)
    embedder = FakeEmbedder()
    settings = make_settings(tmp_path / "data", corpus)
    ingest(settings, embedder, progress=False)

    def cite_the_sentence(prompt: str) -> str:
        number = next(
            n
            for n, excerpt in re.findall(r'\[(\d+)\] \(.*?\)\n"""\n(.*?)\n"""', prompt, re.S)
            if "Twente Board Development" in excerpt
        )
        return f"{SENTENCE} [{number}]"

    llm = ScriptedLLM(reply=cite_the_sentence)
    services = Services(settings, embedder=embedder, generators={"openai": LlamaIndexGenerator(llm)})
    answer = services.answers.ask(SENTENCE, backend="openai")
    assert answer.status == "answered" and answer.backend == "openai"
    assert "Twente Board Development" in answer.answer and "[1]" in answer.answer
    assert answer.citations and answer.flagged_sentences == []
    assert llm.kwargs[-1] == {"max_tokens": settings.llm_max_tokens, "temperature": 0.0}
