"""The corpus watcher without models: which changes count, when a changed file has settled, and a
real watcher thread (watchfiles, fake embedder, tmp dirs) that ingests, survives failures and
shares the upload lock."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from support.config import make_settings
from support.fakes import FakeEmbedder

from assistant.api.app import create_app
from assistant.documents import _lock_for
from assistant.services import Services
from assistant.watch import CorpusWatcher, Settling, ignored
from ingest.store import read_manifest

SEED = "# Notitie Bosuil\n\nDe bosuil roept in de winter in het Twickelse bos bij Delden.\n"
NOTE = "# Notitie Zeekoe\n\nDe paarse zeekoe Brommel woont sinds 2031 in de vijver van het Rutbeek.\n"


# --------------------------------------------------------------------------- which changes count


@pytest.mark.parametrize(
    "rel",
    [
        ".hidden.md",
        ".notes/plan.md",
        "sub/.x.md.swp",
        "plan.md.swp",
        "plan.md~",
        "~$rapport.docx",
        "#plan.md#",
        "plan.pdf.part",
        "plan.pdf.crdownload",
        "plan.PDF.Partial",
        "notitie.md.tmp",
        "x.kate-swp",
    ],
)
def test_hidden_and_temporary_files_are_ignored(rel):
    assert ignored(rel)


@pytest.mark.parametrize("rel", ["plan.md", "sub/plan.pdf", "rapport 2025.docx", "a~b.txt", "x.exe", "sub", "."])
def test_other_paths_count(rel):
    assert not ignored(rel)  # an unsupported type counts too: the ingest reports it


# --------------------------------------------------------------------------- settling


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock():
    return Clock()


def settling(clock, files: dict, debounce: float = 0.5, quiet: float = 1.0) -> Settling:
    return Settling(debounce, quiet, stat=lambda p: files.get(p), clock=clock)


def test_nothing_changed_nothing_settles(clock):
    s = settling(clock, {})
    clock.advance(10)
    assert not s.settled() and len(s) == 0


def test_a_file_settles_after_the_debounce_and_the_quiet_period(clock):
    a = Path("a.md")
    files = {a: (10, 1)}
    s = settling(clock, files)
    s.changed([a])
    clock.advance(0.4)
    assert not s.settled()  # still within the debounce: not even looked at
    clock.advance(0.2)
    assert not s.settled()  # first look: size and mtime noted
    clock.advance(0.9)
    assert not s.settled()  # unchanged, but not for the quiet period yet
    clock.advance(0.2)
    assert s.settled()
    paths, first = s.take()
    assert paths == [a] and first == 100.0 and len(s) == 0 and not s.settled()


def test_a_file_still_being_written_is_waited_for_again(clock):
    a = Path("big.pdf")
    files = {a: (1000, 1)}
    s = settling(clock, files)
    s.changed([a])
    clock.advance(0.6)
    assert not s.settled()
    for size in (2000, 3000, 4000):  # a copy that writes without the watcher noticing
        clock.advance(1.1)
        files[a] = (size, size)
        assert not s.settled()
    clock.advance(1.1)
    assert s.settled()  # the same at two looks a quiet period apart


def test_a_new_change_restarts_the_wait(clock):
    a, b = Path("a.md"), Path("b.md")
    files = {a: (1, 1), b: (2, 2)}
    s = settling(clock, files)
    s.changed([a])
    clock.advance(0.6)
    s.settled()
    clock.advance(0.9)
    s.changed([b])  # a burst: another file changes
    clock.advance(0.3)
    assert not s.settled()  # within the debounce of the last change
    clock.advance(0.3)
    assert not s.settled()  # b looked at for the first time
    clock.advance(1.0)
    assert s.settled()
    assert s.take()[0] == [a, b]


def test_a_removed_file_settles_as_missing(clock):
    gone = Path("gone.md")
    s = settling(clock, {})  # stat says: not there
    s.changed([gone])
    clock.advance(0.6)
    assert not s.settled()
    clock.advance(1.0)
    assert s.settled()


def test_postpone_holds_a_retry_back(clock):
    a = Path("a.md")
    s = settling(clock, {a: (1, 1)}, debounce=0.0, quiet=0.0)
    s.changed([a])
    s.postpone(5)
    clock.advance(1)
    assert not s.settled()
    clock.advance(4)
    s.settled()
    assert s.settled()


# --------------------------------------------------------------------------- a real watcher thread


def wait_for(predicate, timeout: float = 15.0, what: str = "the condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout:g} s")


@pytest.fixture
def watched(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bosuil.md").write_text(SEED, encoding="utf-8")
    settings = make_settings(
        tmp_path / "data", corpus, watch=True, watch_debounce_seconds=0.05, watch_quiet_seconds=0.1
    )
    services = Services(settings, embedder=FakeEmbedder())
    services.ingest()
    watcher = CorpusWatcher(services)
    watcher.start()
    wait_for(lambda: watcher.status()["watching"] and watcher.status()["ingests"] >= 1, what="the catch-up round")
    yield watcher, corpus
    watcher.stop()
    assert not watcher._thread.is_alive()  # type: ignore[union-attr]
    services.close()


def last_ingest(watcher) -> dict:
    return watcher.status()["last_ingest"] or {}


def documents(watcher) -> dict:
    manifest = read_manifest(watcher.services.settings.data_dir)
    return {d["path"]: d for d in manifest["documents"].values()}


def test_added_changed_removed(watched):
    watcher, corpus = watched
    note = corpus / "zeekoe.md"
    note.write_text(NOTE, encoding="utf-8")
    wait_for(lambda: last_ingest(watcher).get("added") == ["zeekoe.md"], what="the new file indexed")
    assert "zeekoe.md" in documents(watcher)
    status = watcher.status()
    assert status["pending"] == 0
    assert status["last_ingest"]["after_change_seconds"] >= 0.1  # the debounce and the quiet period

    sha = documents(watcher)["zeekoe.md"]["sha256"]
    note.write_text(NOTE.replace("Rutbeek", "Hulsbeek"), encoding="utf-8")
    wait_for(lambda: documents(watcher)["zeekoe.md"]["sha256"] != sha, what="the change indexed")
    chunks = watcher.services.retriever().store.chunks  # the next question sees the new generation
    assert any("Hulsbeek" in c.text for c in chunks) and not any("Rutbeek" in c.text for c in chunks)

    note.unlink()
    wait_for(lambda: last_ingest(watcher).get("removed") == ["zeekoe.md"], what="the removal indexed")
    assert "zeekoe.md" not in documents(watcher)


def test_temporary_files_trigger_nothing(watched):
    watcher, corpus = watched
    before = watcher.status()["ingests"]
    (corpus / "zeekoe.md.part").write_text(NOTE, encoding="utf-8")
    (corpus / ".zeekoe.md.swp").write_text(NOTE, encoding="utf-8")
    time.sleep(0.8)
    assert watcher.status()["ingests"] == before and watcher.status()["pending"] == 0


def test_a_broken_file_is_reported_and_the_old_version_stays(watched, caplog):
    watcher, corpus = watched
    note = corpus / "zeekoe.md"
    note.write_text(NOTE, encoding="utf-8")
    wait_for(lambda: "zeekoe.md" in documents(watcher))
    sha = documents(watcher)["zeekoe.md"]["sha256"]
    note.write_bytes(b"\xff\xfe\x00\x81 kapot \x00" * 20)  # not UTF-8
    wait_for(lambda: last_ingest(watcher).get("failed") == ["zeekoe.md"], what="the failure reported")
    assert watcher.status()["last_error"]["message"].startswith("zeekoe.md could not be indexed")
    assert documents(watcher)["zeekoe.md"]["sha256"] == sha  # the previous version is still answerable
    assert any("zeekoe.md could not be indexed" in r.getMessage() for r in caplog.records)
    # and the watching goes on
    (corpus / "kwartel.md").write_text("# Kwartel\n\nDe kwartel broedt bij Ommen.\n", encoding="utf-8")
    wait_for(lambda: "kwartel.md" in documents(watcher), what="a later file indexed")


def test_an_ingest_that_raises_is_retried_and_does_not_stop_the_watcher(watched, monkeypatch):
    watcher, corpus = watched
    real_ingest = watcher.services.ingest
    calls = []

    def flaky_ingest(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("disk full")
        return real_ingest(**kwargs)

    monkeypatch.setattr(watcher.services, "ingest", flaky_ingest)
    (corpus / "zeekoe.md").write_text(NOTE, encoding="utf-8")
    wait_for(lambda: watcher.status()["last_error"], what="the failure reported")
    assert "disk full" in watcher.status()["last_error"]["message"]
    assert watcher.status()["pending"] == 1  # kept for the retry
    wait_for(lambda: "zeekoe.md" in documents(watcher), timeout=20, what="the retry")  # after 2 s
    assert len(calls) == 2 and watcher._thread.is_alive()  # type: ignore[union-attr]


def test_the_ingest_waits_for_an_upload_or_delete_in_progress(watched):
    watcher, corpus = watched
    with _lock_for(watcher.services.settings.data_dir):  # what DocumentService.add/remove hold
        (corpus / "zeekoe.md").write_text(NOTE, encoding="utf-8")
        time.sleep(0.8)
        assert "zeekoe.md" not in documents(watcher)
    wait_for(lambda: "zeekoe.md" in documents(watcher), what="the ingest after the lock was released")


def test_a_missing_corpus_folder_is_waited_for(tmp_path):
    corpus = tmp_path / "corpus"
    settings = make_settings(
        tmp_path / "data", corpus, watch=True, watch_debounce_seconds=0.05, watch_quiet_seconds=0.1
    )
    services = Services(settings, embedder=FakeEmbedder())
    watcher = CorpusWatcher(services)
    watcher.start()
    try:
        wait_for(lambda: watcher.status()["last_error"], what="the missing folder reported")
        assert "does not exist" in watcher.status()["last_error"]["message"]
        assert watcher.status()["watching"] is False
        corpus.mkdir()
        (corpus / "zeekoe.md").write_text(NOTE, encoding="utf-8")
        wait_for(lambda: last_ingest(watcher).get("added") == ["zeekoe.md"], what="the folder watched once made")
        assert watcher.status()["watching"] is True
    finally:
        watcher.stop()
        services.close()


# --------------------------------------------------------------------------- the app


def test_the_app_runs_the_watcher_only_when_asked(tmp_path):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bosuil.md").write_text(SEED, encoding="utf-8")
    for watch in (False, True):
        settings = make_settings(tmp_path / "data", corpus, watch=watch, watch_quiet_seconds=0.1)
        services = Services(settings, embedder=FakeEmbedder())
        services.ingest()
        app = create_app(settings, services, ui=False)
        with TestClient(app) as client:
            body = client.get("/readyz").json()
            assert body["status"] == "ready"
            if not watch:
                assert "watch" not in body and app.state.watcher is None
                continue
            watcher = app.state.watcher
            assert body["watch"]["folder"] == str(corpus.resolve())
            assert set(body["watch"]) >= {"watching", "pending", "ingests", "last_ingest", "last_error"}
            (corpus / "zeekoe.md").write_text(NOTE, encoding="utf-8")
            wait_for(
                lambda: any(d["path"] == "zeekoe.md" for d in client.get("/api/documents").json()),
                what="the dropped file listed",
            )
            assert client.get("/readyz").json()["watch"]["watching"] is True
        assert app.state.watcher is None and not watcher._thread.is_alive()  # stopped at shutdown


def test_serve_watch_flag_and_environment(monkeypatch):
    from typer.testing import CliRunner

    from assistant import cli
    from assistant.api import server

    served = []
    monkeypatch.setattr(server, "run", served.append)
    monkeypatch.delenv("ASSISTANT_WATCH", raising=False)
    runner = CliRunner()
    assert runner.invoke(cli.app, ["serve", "--watch"]).exit_code == 0
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    monkeypatch.setenv("ASSISTANT_WATCH", "true")
    assert runner.invoke(cli.app, ["serve"]).exit_code == 0
    assert [s.watch for s in served] == [True, False, True]
    assert served[0].watch_debounce_seconds == 0.5 and served[0].watch_quiet_seconds == 1.0
