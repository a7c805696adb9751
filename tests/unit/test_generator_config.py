"""Building the language-model backends from settings, and their errors, without a model or a
server: a missing or non-GGUF model file, lazy loading, the OpenAI backend against a closed port.

Moved from tests/integration/test_generators.py."""

from __future__ import annotations

import socket
import time

import pytest
from support.servers import free_port

from assistant.llm.base import Generator, GeneratorError, generate
from assistant.llm.llamacpp import BUNDLED_NAME, LlamaCppGenerator
from assistant.llm.openai_server import DEFAULT_MAX_RETRIES, OpenAIGenerator
from assistant.llm.registry import GENERATORS
from assistant.settings import Settings

DUTCH_QUESTION = [{"role": "user", "content": "Antwoord in één zin: wat is de hoofdstad van Nederland?"}]


def make_settings(**overrides) -> Settings:
    return Settings(_env_file=None, **overrides)


def test_llamacpp_missing_model_path_is_a_clear_error(tmp_path):
    missing = tmp_path / "nope.gguf"
    with pytest.raises(GeneratorError, match="does not exist"):
        LlamaCppGenerator.from_settings(make_settings(llamacpp_model_path=str(missing)))
    with pytest.raises(GeneratorError, match="does not exist"):
        GENERATORS["llamacpp"](make_settings(llamacpp_model_path=str(missing)))


def test_llamacpp_non_gguf_file_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.gguf"
    bogus.write_bytes(b"not a model at all")
    with pytest.raises(GeneratorError, match="not a GGUF file"):
        LlamaCppGenerator.from_settings(make_settings(llamacpp_model_path=str(bogus)))


def test_llamacpp_from_settings_is_lazy(tmp_path):
    gen = LlamaCppGenerator.from_settings(make_settings(llamacpp_cache_dir=tmp_path))
    assert isinstance(gen, Generator)
    assert gen.name == BUNDLED_NAME
    assert not gen.loaded and sorted(tmp_path.iterdir()) == []


def test_openai_from_settings():
    gen = GENERATORS["openai"](make_settings(openai_base_url="http://127.0.0.1:9/v1/", openai_model="qwen"))
    assert isinstance(gen, OpenAIGenerator) and isinstance(gen, Generator)
    assert gen.name == "openai/qwen"
    assert gen.base_url == "http://127.0.0.1:9/v1"


def test_openai_closed_port_fails_with_the_url_after_a_bounded_number_of_attempts(monkeypatch):
    """What bounds the time a dead server costs a request: the connection is tried 1 +
    DEFAULT_MAX_RETRIES times, no more (TCP connection attempts counted; the client's back-off
    sleeps are skipped)."""
    attempts: list[tuple] = []
    real = socket.create_connection

    def counting(address, *args, **kwargs):
        attempts.append(tuple(address))
        return real(address, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counting)
    monkeypatch.setattr(time, "sleep", lambda seconds: None)
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"  # nothing listens there
    gen = OpenAIGenerator.from_settings(make_settings(openai_base_url=url, openai_timeout=3.0))
    with pytest.raises(GeneratorError) as err:
        generate(gen, DUTCH_QUESTION, max_tokens=8)
    assert url in str(err.value) and "cannot connect" in str(err.value)
    assert len(attempts) == 1 + DEFAULT_MAX_RETRIES
    assert set(attempts) == {("127.0.0.1", port)}
    attempts.clear()
    with pytest.raises(GeneratorError, match="listing models"):
        gen.list_models()
    assert len(attempts) == 1 + DEFAULT_MAX_RETRIES
