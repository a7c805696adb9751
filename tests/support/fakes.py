"""Small stand-ins for the real models, for the unit tier (no weights, no server).

`FakeEmbedder` satisfies `ingest.embedding.Embedder`: a text becomes hashed counts of its words
and of their character trigrams, signed and normalised (feature hashing). Texts that share words
are close, unrelated texts are near 0, the same bag of words is exactly 1.0; the same text always
gives the same vector (blake2b, not Python's per-process `hash`). It counts its calls and keeps the
texts it embedded, so a test can say "nothing was embedded" without timing anything.

`FakeGenerator` satisfies `assistant.llm.base.Generator`: it replies with a scripted text (or a
function of the messages, or one reply per call from a list), streamed word by word, and records
the messages it got. It can fail (`error=`, `fail_after=`) and it can hold a stream open until a
test releases it (`block=`), for concurrency tests.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from assistant.llm.base import GeneratorError

_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Deterministic bag-of-words embedder; `dim` 64 by default."""

    def __init__(self, name: str = "fake/hashed-words@1", dim: int = 64, trigram_weight: float = 0.3):
        self.name = name
        self.dim = dim
        self.trigram_weight = trigram_weight
        self._lock = threading.Lock()
        self.reset()

    # ---- bookkeeping ---------------------------------------------------------------------------
    def reset(self) -> None:
        with self._lock:
            self.passage_calls = 0  # embed_passages calls
            self.query_calls = 0  # embed_query calls
            self.passages: list[str] = []  # every text given to embed_passages, in order
            self.queries: list[str] = []

    @property
    def calls(self) -> int:
        return self.passage_calls + self.query_calls

    # ---- the vector ----------------------------------------------------------------------------
    def _bucket(self, feature: str) -> tuple[int, float]:
        digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
        n = int.from_bytes(digest, "little")
        return n % self.dim, (1.0 if (n >> 32) & 1 else -1.0)

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float64)
        for word in _WORD.findall(text.lower()):
            i, sign = self._bucket("w:" + word)
            v[i] += sign
            padded = f"^{word}$"
            for k in range(len(padded) - 2):
                i, sign = self._bucket("t:" + padded[k : k + 3])
                v[i] += sign * self.trigram_weight
        norm = np.linalg.norm(v)
        if norm == 0:  # no words at all: a fixed unit vector (a zero vector has no cosine)
            v[0], norm = 1.0, 1.0
        return (v / norm).astype(np.float32)

    # ---- the Embedder protocol -----------------------------------------------------------------
    def embed_passages(self, texts: list[str]) -> np.ndarray:
        texts = list(texts)
        with self._lock:
            self.passage_calls += 1
            self.passages.extend(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self.vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            self.query_calls += 1
            self.queries.append(text)
        return self.vector(text)


ReplyFn = Callable[[list[dict]], str]
Reply = str | ReplyFn | Sequence[str | ReplyFn]


class FakeGenerator:
    """Scripted language model.

    reply: the text of every answer; or a function of the messages; or a list with one reply (text
        or function) per call, the last one repeating.
    error: raise this `GeneratorError` (or a message for one) when a stream starts.
    fail_after: raise a `GeneratorError` after this many pieces (a model falling over mid-answer).
    block: a `threading.Event`; a stream waits for it before its first piece (`started` is set
        when a stream is waiting or running). Waits at most `block_timeout` seconds, then fails.
    """

    def __init__(
        self,
        reply: Reply = "",
        *,
        name: str = "fake/scripted",
        error: GeneratorError | str | None = None,
        fail_after: int | None = None,
        block: threading.Event | None = None,
        block_timeout: float = 30.0,
    ):
        self.name = name
        self._reply = reply
        self.error = GeneratorError(error) if isinstance(error, str) else error
        self.fail_after = fail_after
        self.block = block
        self.block_timeout = block_timeout
        self.started = threading.Event()
        self.calls: list[dict] = []  # {"messages", "max_tokens", "temperature"} per stream
        self._lock = threading.Lock()

    @property
    def messages(self) -> list[list[dict]]:
        return [c["messages"] for c in self.calls]

    @property
    def last_prompt(self) -> str:
        """The content of the last message of the last call."""
        return self.calls[-1]["messages"][-1]["content"]

    def _text_for(self, messages: list[dict], n: int) -> str:
        reply = self._reply
        if callable(reply):
            return reply(messages)
        if isinstance(reply, str):
            return reply
        if not reply:
            return ""
        one = reply[min(n, len(reply) - 1)]
        return one(messages) if callable(one) else one

    def stream(
        self, messages: list[dict], max_tokens: int, temperature: float = 0.0, usage: dict[str, int] | None = None
    ) -> Iterator[str]:
        with self._lock:
            n = len(self.calls)
            self.calls.append(
                {"messages": [dict(m) for m in messages], "max_tokens": max_tokens, "temperature": temperature}
            )
        self.started.set()
        if self.block is not None and not self.block.wait(self.block_timeout):
            raise RuntimeError(f"FakeGenerator was never released (waited {self.block_timeout:g} s)")
        if self.error is not None:
            raise self.error
        pieces = re.findall(r"\s*\S+", self._text_for(messages, n))
        for i, piece in enumerate(pieces):
            if self.fail_after is not None and i >= self.fail_after:
                raise GeneratorError("the fake model fell over")
            yield piece
        if usage is not None:  # a word is a token here
            usage["prompt_tokens"] = sum(len(str(m.get("content", "")).split()) for m in messages)
            usage["completion_tokens"] = len(pieces)


def make_citation(n: int = 1, **kw):
    """A Citation of the plan's §6.1, with any field replaced."""
    from assistant.schema import Citation

    base = {
        "id": n,
        "document": "Strategisch plan",
        "document_id": "plan",
        "section": "6.1",
        "section_title": "Focus op impactportfolio's",
        "page": 21,
        "text": "Deze impactportfolio's zijn: digitalisering en zorg.",
        "score": 0.9,
    }
    base.update(kw)
    return Citation(**base)
