"""File primitives shared by every layer: atomic writes and content hashes.

An atomic write goes to a temporary file in the same folder, is fsync'ed, renamed over the
target and the folder is fsync'ed: a reader sees the old or the new content, never a mix, and
the new content survives a power cut once the call returned.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable
from pathlib import Path

_BLOCK = 8 << 20


def fsync_dir(directory: Path) -> None:
    """Make a rename inside ``directory`` durable (best effort where the OS does not allow it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    try:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def sha256_file(path: Path, on_block: Callable[[int], object] | None = None) -> str:
    """Hex sha256 of a file read in 8 MiB blocks; ``on_block(n)`` is told each block's size."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(_BLOCK):
            h.update(block)
            if on_block is not None:
                on_block(len(block))
    return h.hexdigest()
