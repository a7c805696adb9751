"""`CorpusWatcher`: the corpus folder watched while the server runs (`assistant serve --watch`).

Files added, changed or removed in ``corpus_dir`` are collected (with ``watchfiles``, in a
background thread). Once no new change has come for ``watch_debounce_seconds`` and the size and
modification time of every changed file have stayed the same for ``watch_quiet_seconds``, the
usual incremental ingest runs, under the same lock as uploads and deletes. A file that is still
being written at that look is waited for again, so a copy in progress is not read half-way.

The watcher only triggers the ingest; it never writes a corpus file. A file that fails to load is
logged (the indexer keeps its previous version, if any); an ingest that raises is retried later;
nothing that goes wrong in a round stops the watching.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path, PurePath
from typing import Any

from assistant.documents import _lock_for
from assistant.services import Services

log = logging.getLogger("assistant.watch")

# editors' swap and backup files, downloads and copies in progress: renamed to their real name
# (which is then a change of its own) or removed when done
TEMP_SUFFIXES = frozenset(
    {".swp", ".swo", ".swx", ".swpx", ".kate-swp", ".tmp", ".temp", ".part", ".partial", ".crdownload", ".download"}
)
MAX_RETRY_SECONDS = 60.0

Signature = tuple[int, int] | None  # (size, mtime in ns); None: the path does not exist


def ignored(rel: str | PurePath) -> bool:
    """Whether a change to corpus path `rel` is none of the index's business: hidden files and
    folders (never indexed) and temporary files (``x.md~``, ``.x.md.swp``, ``~$x.docx``, ``#x#``,
    ``x.pdf.part``, ``x.pdf.crdownload``, ...)."""
    parts = PurePath(rel).parts
    if not parts:
        return False
    if any(part.startswith(".") for part in parts):
        return True
    name = parts[-1]
    return (
        name.endswith("~")
        or name.startswith("~$")
        or (name.startswith("#") and name.endswith("#"))
        or PurePath(name).suffix.lower() in TEMP_SUFFIXES
    )


def signature(path: Path) -> Signature:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns)


class Settling:
    """The changed paths, and whether they have settled: no new change for `debounce` seconds,
    then every path's size and modification time the same at two looks `quiet` seconds apart
    (a path that changed between the looks starts its quiet period again). Not thread-safe: one
    thread reports changes and asks."""

    def __init__(
        self,
        debounce: float,
        quiet: float,
        stat: Callable[[Path], Signature] = signature,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.debounce = debounce
        self.quiet = quiet
        self._stat = stat
        self._clock = clock
        self._seen: dict[Path, tuple[Signature, float] | None] = {}  # None: changed, not looked at since
        self._last_change = 0.0
        self._first_change: float | None = None
        self._not_before = 0.0

    def __len__(self) -> int:
        return len(self._seen)

    def changed(self, paths: Iterable[Path]) -> None:
        now = self._clock()
        for path in paths:
            self._seen[Path(path)] = None
            self._last_change = now
            if self._first_change is None:
                self._first_change = now

    def postpone(self, seconds: float) -> None:
        """Not settled before `seconds` from now (a retry after a failed ingest)."""
        self._not_before = self._clock() + seconds

    def settled(self) -> bool:
        if not self._seen:
            return False
        now = self._clock()
        if now < self._not_before or now - self._last_change < self.debounce:
            return False
        ready = True
        for path, seen in self._seen.items():
            current = self._stat(path)
            if seen is None or seen[0] != current:  # first look, or still being written
                self._seen[path] = (current, now)
                ready = False
            elif now - seen[1] < self.quiet:
                ready = False
        return ready

    def take(self) -> tuple[list[Path], float]:
        """The settled paths and when the first of them changed (clock time); forgets them."""
        paths, first = sorted(self._seen), self._first_change
        self._seen.clear()
        self._first_change = None
        return paths, self._clock() if first is None else first


class CorpusWatcher:
    """Watch ``services.settings.corpus_dir`` in a background thread; `start()`, `stop()`."""

    def __init__(self, services: Services):
        settings = services.settings
        self.services = services
        self.folder = Path(settings.corpus_dir).resolve()
        self.data_dir = Path(settings.data_dir).resolve()
        self.settling = Settling(settings.watch_debounce_seconds, settings.watch_quiet_seconds)
        self.tick = min(max(min(settings.watch_debounce_seconds, settings.watch_quiet_seconds) / 2, 0.05), 0.25)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._failures = 0  # ingests in a row that raised
        self._status_lock = threading.Lock()
        self._status: dict[str, Any] = {
            "watching": False,
            "folder": str(self.folder),
            "pending": 0,
            "ingests": 0,
            "last_ingest": None,
            "last_error": None,
        }

    # ---- life ---------------------------------------------------------------------------------
    def start(self) -> None:
        self.settling.changed([self.folder])  # catch up with what changed before the watch began
        self._thread = threading.Thread(target=self._run, name="corpus-watcher", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop watching; an ingest under way is waited for up to `timeout` s (it is crash-safe)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("the corpus watcher is still ingesting; not waiting for it")
        self._update(watching=False)

    def status(self) -> dict[str, Any]:
        with self._status_lock:
            return {**self._status, "pending": len(self.settling)}

    # ---- the thread ---------------------------------------------------------------------------
    def _run(self) -> None:
        pause = 1.0
        while not self._stop.is_set():
            try:
                self._watch()  # returns when stopped (or, rarely, on a signal: then watched again)
                pause = 1.0
                self._stop.wait(pause)
            except Exception as exc:  # watchfiles itself failed (folder gone, too many watches)
                self._error(f"watching {self.folder} failed: {exc.__class__.__name__}: {exc}")
                self._update(watching=False)
                self.settling.changed([self.folder])  # changes made meanwhile are picked up after
                self._stop.wait(pause)
                pause = min(pause * 2, MAX_RETRY_SECONDS)

    def _watch(self) -> None:
        import watchfiles

        if not self.folder.is_dir():  # watchfiles would watch nothing, and go on doing so
            raise FileNotFoundError(f"the corpus folder {self.folder} does not exist")
        tick_ms = int(self.tick * 1000)
        for changes in watchfiles.watch(
            self.folder,
            watch_filter=self._wanted,
            debounce=tick_ms,
            step=50,
            rust_timeout=tick_ms,
            yield_on_timeout=True,
            stop_event=self._stop,
            raise_interrupt=False,
            ignore_permission_denied=True,
        ):
            if not self._status["watching"]:
                self._update(watching=True)
                log.info("watching %s for changes", self.folder)
            if changes:
                self.settling.changed(Path(path) for _, path in changes)
            elif not self.folder.is_dir():  # removed (perhaps to be made again): watch it anew
                raise FileNotFoundError(f"the corpus folder {self.folder} was removed")
            if self.settling.settled() and not self._stop.is_set():
                self._round(*self.settling.take())

    def _wanted(self, _change: object, path: str) -> bool:
        p = Path(path)
        if p == self.data_dir or self.data_dir in p.parents:  # a data dir inside the corpus folder
            return False
        try:
            return not ignored(p.relative_to(self.folder))
        except ValueError:
            return True

    def _round(self, paths: list[Path], first_change: float) -> None:
        """Ingest once; never raises (a failure is logged, and retried unless it was a file's)."""
        try:
            with _lock_for(self.data_dir):  # never interleaved with an upload or a delete
                report = self.services.ingest(progress=False)
        except Exception as exc:
            self._failures += 1
            delay = min(2.0**self._failures, MAX_RETRY_SECONDS)
            self.settling.changed(paths)
            self.settling.postpone(delay)
            self._error(
                f"the corpus changed but the ingest failed ({exc.__class__.__name__}: {exc}); retry in {delay:g} s"
            )
            return
        self._failures = 0
        rels = [self._rel(p) for p in paths]
        failed = [(path, message) for path, message in report.failed if self._concerns(path, rels)]
        for path, message in failed:
            self._error(f"{path} could not be indexed (a version indexed before stays): {message}")
        if report.changed:
            log.info(
                "corpus change indexed in %.1f s: added %s, updated %s, removed %s",
                report.seconds,
                report.added or "-",
                report.updated or "-",
                report.removed or "-",
            )
        with self._status_lock:
            self._status["ingests"] += 1
            self._status["last_ingest"] = {
                "at": _now(),
                "seconds": round(report.seconds, 3),
                "after_change_seconds": round(time.monotonic() - first_change, 3),
                "generation": report.generation,
                "added": report.added,
                "updated": report.updated,
                "removed": report.removed,
                "failed": [path for path, _ in failed],
            }

    def _rel(self, path: Path) -> str:
        try:
            return path.relative_to(self.folder).as_posix()
        except ValueError:
            return path.as_posix()

    @staticmethod
    def _concerns(failed_path: str, rels: list[str]) -> bool:
        """Whether a failed file is one of the changed paths (or below one, a folder; the corpus
        folder itself is '.'): a file that failed before and did not change is not news."""
        if ignored(failed_path):
            return False
        return any(rel == "." or failed_path == rel or failed_path.startswith(rel + "/") for rel in rels)

    def _error(self, message: str) -> None:
        log.warning("%s", message)
        self._update(last_error={"at": _now(), "message": message})

    def _update(self, **values: Any) -> None:
        with self._status_lock:
            self._status.update(values)


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S%z")
