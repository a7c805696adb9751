"""The fakes in tests/support/fakes.py keep the protocols and the properties the unit tests rely on."""

from __future__ import annotations

import threading

import numpy as np
import pytest
from support.fakes import FakeEmbedder, FakeGenerator

from assistant.llm.base import Generator, GeneratorError, generate
from ingest.embedding import Embedder

Q = [{"role": "user", "content": "hoi"}]


def test_fake_embedder_keeps_the_protocol_and_counts():
    e = FakeEmbedder()
    assert isinstance(e, Embedder) and e.dim == 64 and e.name
    vectors = e.embed_passages(["De Twente Board investeert.", "Robots in de zorg."])
    assert vectors.shape == (2, 64) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0)
    assert e.embed_passages([]).shape == (0, 64)
    q = e.embed_query("Wat investeert de Twente Board?")
    assert q.shape == (64,)
    assert (e.passage_calls, e.query_calls, e.calls) == (2, 1, 3)
    assert e.passages == ["De Twente Board investeert.", "Robots in de zorg."]
    assert e.queries == ["Wat investeert de Twente Board?"]
    e.reset()
    assert e.calls == 0 and e.passages == [] and e.queries == []


def test_fake_embedder_is_deterministic_and_puts_shared_words_close():
    a, b = FakeEmbedder(), FakeEmbedder()
    text = "Circulaire economie en duurzaamheid in Twente"
    assert np.array_equal(a.vector(text), b.vector(text))  # across instances (and processes: blake2b)
    assert float(a.vector(text) @ a.vector(text.upper())) == pytest.approx(1.0)
    near = float(a.vector(text) @ a.vector("Duurzaamheid en circulaire economie"))
    far = float(a.vector(text) @ a.vector("Marsmannetjes kweken paarse olifanten rondom Jupiter"))
    assert near > 0.6 and abs(far) < near - 0.3
    assert np.linalg.norm(a.vector("")) == pytest.approx(1.0)  # no words: still a unit vector


def test_fake_generator_keeps_the_protocol_and_records():
    gen = FakeGenerator(["eerste antwoord", lambda messages: messages[-1]["content"].upper()])
    assert isinstance(gen, Generator)
    assert generate(gen, Q, max_tokens=5) == "eerste antwoord"
    assert generate(gen, Q, max_tokens=7, temperature=0.5) == "HOI"
    assert generate(gen, [{"role": "user", "content": "nog eens"}], max_tokens=5) == "NOG EENS"  # the last repeats
    assert [c["max_tokens"] for c in gen.calls] == [5, 7, 5] and gen.calls[1]["temperature"] == 0.5
    assert gen.last_prompt == "nog eens" and gen.messages[0] == Q
    assert list(FakeGenerator("een twee drie").stream(Q, 5)) == ["een", " twee", " drie"]


def test_fake_generator_fails_as_told():
    with pytest.raises(GeneratorError, match="fell over"):
        generate(FakeGenerator("een twee drie", fail_after=1), Q, max_tokens=5)
    with pytest.raises(GeneratorError, match="gone"):
        generate(FakeGenerator("x", error="gone"), Q, max_tokens=5)


def test_fake_generator_blocks_until_released():
    gate = threading.Event()
    gen = FakeGenerator("klaar", block=gate)
    out: list[str] = []
    thread = threading.Thread(target=lambda: out.append(generate(gen, Q, max_tokens=5)))
    thread.start()
    assert gen.started.wait(10) and out == []
    gate.set()
    thread.join(10)
    assert out == ["klaar"]
    with pytest.raises(RuntimeError, match="never released"):
        generate(FakeGenerator("x", block=threading.Event(), block_timeout=0.01), Q, max_tokens=5)
