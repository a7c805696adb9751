"""What every format loader shares: user-facing errors, checked UTF-8 decoding and title cleaning."""

from __future__ import annotations

import re

from ingest.loaders.markup import TAG
from ingest.model import IngestError

_UNTITLED = {"", "untitled", "untitled document", "document", "title", "unknown", "none"}
_NOT_TEXT_TODO = "Check that it really is a text file, or convert it to .md/.txt/.pdf/.docx"


def loader_error(name: str, what: str, todo: str) -> IngestError:
    """The error for file `name`: what is wrong and what the user can do about it."""
    return IngestError(f"{name}: {what}. {todo}.")


def _check_not_binary(data: bytes, name: str) -> None:
    if b"\x00" in data:
        raise loader_error(name, "the file contains binary data (NUL bytes), not text", _NOT_TEXT_TODO)
    sample = data[:65536]
    ctrl = sum(1 for b in sample if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if sample and ctrl / len(sample) > 0.05:
        raise loader_error(name, "the file looks like binary data, not text (many control bytes)", _NOT_TEXT_TODO)


def _decode_text(data: bytes, name: str) -> str:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        high = sum(1 for b in data[:65536] if b >= 128)
        if high / max(1, min(len(data), 65536)) > 0.3:
            raise loader_error(name, "the file looks like binary data, not text", _NOT_TEXT_TODO) from None
        raise loader_error(
            name,
            f"the file is not valid UTF-8 text (invalid byte 0x{data[e.start]:02x} at byte offset {e.start})",
            "Save it with UTF-8 encoding (e.g. 'Save as' > UTF-8 in your editor) and add it again",
        ) from None
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if text.startswith("\ufeff"):
        text = text[1:]
    return text


def read_text(data: bytes, name: str) -> str:
    """The bytes of a text-format file as text with '\\n' line ends; an IngestError when they are
    binary, not UTF-8, or only whitespace."""
    _check_not_binary(data, name)
    text = _decode_text(data, name)
    if not text.strip():
        raise loader_error(name, "the file contains only whitespace", "Add a file with content, or remove it")
    return text


def clean_title(t: str | None) -> str:
    """A title from metadata or a heading without markup; "" for placeholders such as "Untitled"."""
    if not t:
        return ""
    t = TAG.sub("", str(t))
    t = re.sub(r"\*\*|__|(?<!\w)[*_]|[*_](?!\w)", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    t = re.sub(r"^Microsoft (Word|PowerPoint) - ", "", t)
    return "" if t.lower() in _UNTITLED else t


def first_line_title(text: str) -> str:
    """The first non-empty line as a title when it is short and not a sentence, else ""."""
    for line in text.split("\n"):
        line = line.strip()
        if line:
            return line if len(line) <= 120 and not line.endswith(".") else ""
    return ""
