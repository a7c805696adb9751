"""Generators with the real bundled model: the in-process llama.cpp backend and the
OpenAI-compatible backend against a real ``llama_cpp.server`` on loopback.

The real bundled GGUF is assembled once per module into a temp dir and removed afterwards. The
fast tests (fake model parts, closed ports, settings) are in tests/unit/test_model_files.py and
tests/unit/test_generator_config.py.
"""

from __future__ import annotations

import threading

import pytest
from support.llm_server import running_llamacpp_server

from assistant.llm import model_files
from assistant.llm.base import GeneratorError, generate
from assistant.llm.llamacpp import BUNDLED_NAME, LlamaCppGenerator
from assistant.llm.model_files import EXPECTED_SHA256, EXPECTED_SIZE, bundled_gguf_path, sidecar_path, verify_sha256
from assistant.llm.openai_server import OpenAIGenerator
from assistant.settings import Settings
from ingest import files

DUTCH_QUESTION = [{"role": "user", "content": "Antwoord in één zin: wat is de hoofdstad van Nederland?"}]


def make_settings(**overrides) -> Settings:
    return Settings(_env_file=None, **overrides)


# --------------------------------------------------------------------------------------------
# the real bundled model (slow)
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def bundled_gguf(tmp_path_factory):
    """The real model, assembled from the installed parts into a temp dir; removed afterwards."""
    cache = tmp_path_factory.mktemp("model-cache")
    path = bundled_gguf_path(cache, progress=False)
    yield path
    path.unlink(missing_ok=True)
    sidecar_path(path).unlink(missing_ok=True)


@pytest.fixture(scope="module")
def llamacpp(bundled_gguf):
    gen = LlamaCppGenerator.from_settings(make_settings(llamacpp_cache_dir=bundled_gguf.parent))
    gen.load()
    yield gen
    gen.close()


@pytest.fixture(scope="module")
def server_url(bundled_gguf):
    with running_llamacpp_server(bundled_gguf) as url:
        yield url


@pytest.mark.slow
def test_bundled_model_assembles_to_the_pinned_sha(bundled_gguf, monkeypatch):
    assert bundled_gguf.stat().st_size == EXPECTED_SIZE
    verify_sha256(bundled_gguf, EXPECTED_SHA256)  # independent of the assembly's own hashing

    # the next start takes the sidecar fast path: the 1 GB file is not hashed again, the parts
    # are not even looked up
    def no_hashing(path, *args, **kwargs):
        raise AssertionError(f"{path} was hashed again although its sidecar vouches for it")

    def no_parts():
        raise AssertionError("the parts were looked up although the cached model is verified")

    monkeypatch.setattr(files, "sha256_file", no_hashing)
    monkeypatch.setattr(model_files, "sha256_file", no_hashing)
    assert bundled_gguf_path(bundled_gguf.parent, progress=False, find_parts=no_parts) == bundled_gguf


@pytest.mark.slow
def test_llamacpp_streams_dutch_answer(llamacpp):
    assert llamacpp.name == BUNDLED_NAME
    pieces = list(llamacpp.stream(DUTCH_QUESTION, max_tokens=40))
    assert len(pieces) > 1
    text = "".join(pieces).strip()
    assert text
    assert llamacpp.count_tokens(text) > 0


@pytest.mark.slow
def test_llamacpp_serialises_concurrent_streams(llamacpp):
    results: dict[int, str] = {}
    errors: list[BaseException] = []

    def run(i):
        try:
            results[i] = generate(llamacpp, DUTCH_QUESTION, max_tokens=12)
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors
    assert results[0].strip() and results[1].strip()


@pytest.mark.slow
def test_openai_generator_against_real_llamacpp_server(server_url):
    gen = OpenAIGenerator.from_settings(make_settings(openai_base_url=server_url, openai_timeout=60.0))
    assert "local" in gen.list_models()
    pieces = list(gen.stream(DUTCH_QUESTION, max_tokens=40))
    assert len(pieces) > 1
    assert "".join(pieces).strip()


TOO_LONG = [{"role": "user", "content": "Twente " * 6000}]  # > n_ctx=4096 tokens


@pytest.mark.slow
def test_llamacpp_prompt_over_context_is_a_generator_error(llamacpp):
    with pytest.raises(GeneratorError, match="context window"):
        generate(llamacpp, TOO_LONG, max_tokens=8)
    assert generate(llamacpp, DUTCH_QUESTION, max_tokens=4)  # the lock was released


@pytest.mark.slow
def test_openai_errors_from_real_server_are_generator_errors(server_url):
    gen = OpenAIGenerator(server_url, "local", timeout=60.0)
    # llama_cpp.server answers 200 and an empty event stream for a prompt over its context:
    # the generator must not pass that off as an (empty) answer.
    with pytest.raises(GeneratorError, match="without a finish_reason") as err:
        generate(gen, TOO_LONG, max_tokens=8)
    assert server_url in str(err.value)
    # A request the server rejects (unknown role; llama_cpp.server answers it with HTTP 500, not 4xx)
    # is an HTTP error naming the server.
    with pytest.raises(GeneratorError) as err:
        generate(gen, [{"role": "wizard", "content": "hoi"}], max_tokens=8)
    assert server_url in str(err.value) and "answered HTTP" in str(err.value)
