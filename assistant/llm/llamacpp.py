"""In-process generation with llama.cpp (llama-cpp-python) over a GGUF file.

By default the bundled Qwen2.5-Coder-1.5B-Instruct Q4_K_M (see ``model_files``); any GGUF via
``ASSISTANT_LLAMACPP_MODEL_PATH``. The GGUF carries its chat template, so messages go to
``create_chat_completion`` as they are.

A ``llama_cpp.Llama`` is not re-entrant: one generation at a time, guarded by a lock that is held
for the whole stream (until the iterator is exhausted or closed). Callers that need a queue or
a timeout build it on top (the answering service does). Loading is lazy, thread-safe and once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from assistant.llm.base import GeneratorError
from assistant.settings import Settings

if TYPE_CHECKING:  # pragma: no cover
    import llama_cpp
    from llama_cpp.llama_types import ChatCompletionRequestMessage

GGUF_MAGIC = b"GGUF"
DEFAULT_SEED = 42
BUNDLED_NAME = "llamacpp/qwen2.5-coder-1.5b-instruct-q4_k_m"


class LlamaCppGenerator:
    """Generator over a local GGUF. ``model_path=None`` means the bundled model in ``cache_dir``."""

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        cache_dir: str | Path | None = None,
        n_ctx: int = 4096,
        n_threads: int = 2,
        seed: int = DEFAULT_SEED,
        progress: bool = True,
    ) -> None:
        self.model_path: Path | None = Path(model_path).expanduser() if model_path else None
        if self.model_path is None and cache_dir is None:
            raise GeneratorError("LlamaCppGenerator needs a model_path or a cache_dir for the bundled model")
        self.cache_dir = Path(cache_dir).expanduser() if cache_dir is not None else None
        self.n_ctx = n_ctx
        self.n_threads = n_threads
        self.seed = seed
        self.progress = progress
        self.name = f"llamacpp/{self.model_path.stem}" if self.model_path else BUNDLED_NAME
        self._llm: llama_cpp.Llama | None = None
        self._load_lock = threading.Lock()
        self._gen_lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> LlamaCppGenerator:
        """Cheap: checks an explicit model path exists; the model itself loads on first use (or ``load()``)."""
        path = settings.llamacpp_model_path.strip() or None
        if path is not None:
            _check_gguf_file(Path(path).expanduser())
        return cls(
            path,
            cache_dir=settings.llamacpp_cache_dir,
            n_ctx=settings.llamacpp_n_ctx,
            n_threads=settings.llamacpp_threads,
        )

    # -- loading ---------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._llm is not None

    def resolve_model_path(self) -> Path:
        """The GGUF to load: the explicit path (checked), or the bundled model (assembled/verified)."""
        if self.model_path is not None:
            _check_gguf_file(self.model_path)
            return self.model_path
        from assistant.llm.model_files import bundled_gguf_path

        assert self.cache_dir is not None
        return bundled_gguf_path(self.cache_dir, progress=self.progress)

    def load(self) -> llama_cpp.Llama:
        """Load the model once (thread-safe); later calls return the loaded model."""
        llm = self._llm
        if llm is not None:
            return llm
        with self._load_lock:
            if self._llm is not None:
                return self._llm
            path = self.resolve_model_path()
            try:
                import llama_cpp
            except ImportError as e:
                raise GeneratorError(
                    "the llamacpp backend needs llama-cpp-python: pip install 'llama-cpp-python[server]==0.3.36' "
                    "(or pip install -e '.[llm]')"
                ) from e
            try:
                self._llm = llama_cpp.Llama(
                    model_path=str(path),
                    n_ctx=self.n_ctx,
                    n_threads=self.n_threads,
                    seed=self.seed,
                    verbose=False,
                )
            except Exception as e:  # llama_cpp raises ValueError / RuntimeError on a bad file
                raise GeneratorError(f"llama.cpp could not load the model {path}: {e}") from e
            return self._llm

    # -- the Generator protocol ------------------------------------------------------------

    def stream(
        self, messages: list[dict], max_tokens: int, temperature: float = 0.0, usage: dict[str, int] | None = None
    ) -> Iterator[str]:
        """Yield content pieces (one token each). Holds the generation lock until exhausted or closed."""
        llm = self.load()
        with self._gen_lock:
            try:
                # stream=True: an iterator of chunk dicts (the declared return type also covers stream=False)
                chunks = cast(
                    "Iterator[dict[str, Any]]",
                    llm.create_chat_completion(
                        messages=cast("list[ChatCompletionRequestMessage]", messages),
                        max_tokens=max_tokens,
                        temperature=temperature,
                        seed=self.seed,
                        stream=True,
                    ),
                )
                generated = 0
                try:
                    for chunk in chunks:
                        choices = chunk.get("choices") or []
                        if not choices:
                            continue
                        piece = (choices[0].get("delta") or {}).get("content")
                        if piece:
                            generated += 1
                            yield piece
                    if usage is not None:
                        # the context holds the templated prompt and what was generated
                        usage["completion_tokens"] = generated
                        usage["prompt_tokens"] = max(0, int(llm.n_tokens) - generated)
                finally:
                    close = getattr(chunks, "close", None)
                    if close is not None:
                        close()
            except GeneratorExit:
                raise
            except (ValueError, RuntimeError, KeyError, TypeError) as e:
                # e.g. "Requested tokens (5000) exceed context window of 4096", a bad message shape
                raise GeneratorError(f"{self.name} failed to generate: {e}") from e

    # -- helpers ---------------------------------------------------------------------------

    def count_tokens(self, text: str) -> int:
        """Number of model tokens in ``text`` (no BOS). Loads the model if needed; needs no generation lock."""
        llm = self.load()
        return len(llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def count_message_tokens(self, messages: list[dict]) -> int:
        """Approximate prompt size of chat messages: content tokens plus ~4 template tokens each."""
        return sum(self.count_tokens(str(m.get("content") or "")) + 4 for m in messages) + 3

    def close(self) -> None:
        with self._load_lock, self._gen_lock:
            llm, self._llm = self._llm, None
            if llm is not None:
                llm.close()


def _check_gguf_file(path: Path) -> None:
    if not path.exists():
        raise GeneratorError(f"the llama.cpp model file {path} does not exist (ASSISTANT_LLAMACPP_MODEL_PATH)")
    if not path.is_file():
        raise GeneratorError(f"the llama.cpp model path {path} is not a file (ASSISTANT_LLAMACPP_MODEL_PATH)")
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError as e:
        raise GeneratorError(f"cannot read the llama.cpp model file {path}: {e}") from e
    if magic != GGUF_MAGIC:
        raise GeneratorError(f"{path} is not a GGUF file (it starts with {magic!r}, expected b'GGUF')")
