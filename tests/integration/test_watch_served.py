"""`assistant serve --watch` for real: a server process over a tmp corpus and data dir; files are
dropped, changed, broken, removed and written slowly while it runs, and the HTTP API is polled
until it answers from them. The delays are printed (run with -s), not asserted tightly."""

from __future__ import annotations

import hashlib
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from assistant.settings import REPO_ROOT
from evals.serving import HOST, ServeProcess, child_env, free_port, running, start_process

pytestmark = pytest.mark.slow

SEED = "# Notitie Bosuil\n\nDe bosuil roept in de winter in het Twickelse bos bij Delden.\n"
NOTE = (
    "# Notitie Zeekoe\n\n"
    "De paarse zeekoe Brommel woont sinds 2031 in de vijver van het Rutbeek bij Enschede. "
    "Zij eet elke ochtend drie kroppen andijvie.\n"
)
QUESTION = "Waar woont de paarse zeekoe Brommel?"
WITHIN = 30.0  # seconds; the goal is a few


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[ServeProcess, Path]]:
    root = tmp_path_factory.mktemp("watch")
    corpus = root / "corpus"
    corpus.mkdir()
    (corpus / "bosuil.md").write_text(SEED, encoding="utf-8")
    port = free_port()
    env = child_env(
        {
            "ASSISTANT_DATA_DIR": str(root / "data"),
            "ASSISTANT_CORPUS_DIR": str(corpus),
            "ASSISTANT_BACKEND": "extractive",
            "ASSISTANT_HOST": HOST,
            "ASSISTANT_PORT": str(port),
        }
    )
    process = start_process(
        [sys.executable, "-m", "assistant.cli", "serve", "--watch"],
        f"http://{HOST}:{port}",
        "/readyz",
        name="`assistant serve --watch`",
        env=env,
        cwd=REPO_ROOT,
        log_path=root / "serve.log",
        timeout=300,
    )
    with running(process) as served:
        poll(lambda: watch_status(served)["watching"] and watch_status(served)["ingests"] >= 1, served, "watching")
        yield served, corpus


def poll(predicate: Callable[[], object], server: ServeProcess, what: str, timeout: float = WITHIN) -> float:
    """Seconds until `predicate()` is true; fails (with the server log) after `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if predicate():
            return time.monotonic() - started
        time.sleep(0.2)
    raise AssertionError(f"{what}: not within {timeout:g} s; server log:\n{server.log_tail(60)}")


def watch_status(server: ServeProcess) -> dict:
    return httpx.get(server.base_url + "/readyz", timeout=30).json()["watch"]


def ask(server: ServeProcess, question: str = QUESTION) -> dict:
    r = httpx.post(server.base_url + "/api/ask", json={"question": question}, timeout=60)
    assert r.status_code == 200, r.text
    return r.json()


def cites(server: ServeProcess, doc_id: str, text: str) -> bool:
    answer = ask(server)
    return answer["status"] == "answered" and any(
        c["document_id"] == doc_id and text in c["text"] for c in answer["citations"]
    )


def documents(server: ServeProcess) -> dict[str, dict]:
    r = httpx.get(server.base_url + "/api/documents", timeout=30)
    assert r.status_code == 200, r.text
    return {d["path"]: d for d in r.json()}


def test_drop_change_break_remove(server):
    served, corpus = server
    assert not cites(served, "zeekoe", "Rutbeek")
    note = corpus / "zeekoe.md"

    note.write_text(NOTE, encoding="utf-8")
    added = poll(lambda: cites(served, "zeekoe", "Rutbeek"), served, "a dropped file answered")

    note.write_text(NOTE.replace("het Rutbeek bij Enschede", "het Hulsbeek bij Oldenzaal"), encoding="utf-8")
    changed = poll(lambda: cites(served, "zeekoe", "Hulsbeek"), served, "a changed file answered")
    assert not cites(served, "zeekoe", "Rutbeek")

    # a broken version is reported and the one indexed before stays answerable
    note.write_bytes(b"\xff\xfe\x00\x81 kapot \x00" * 50)  # not UTF-8
    poll(
        lambda: "zeekoe.md" in ((watch_status(served)["last_error"] or {}).get("message") or ""),
        served,
        "a broken file reported",
    )
    assert cites(served, "zeekoe", "Hulsbeek")
    assert "zeekoe.md could not be indexed" in served.log_tail(200)

    note.unlink()
    removed = poll(lambda: "zeekoe.md" not in documents(served), served, "a removed file gone")
    assert not any(c["document_id"] == "zeekoe" for c in ask(served)["citations"])
    poll(lambda: watch_status(served)["last_ingest"]["removed"] == ["zeekoe.md"], served, "the removal reported")
    status = watch_status(served)
    assert status["pending"] == 0
    print(
        f"\nwatch delays, file written -> answered/listed: added {added:.1f} s, changed {changed:.1f} s, "
        f"removed {removed:.1f} s; last ingest itself {status['last_ingest']['seconds']:.2f} s, "
        f"{status['last_ingest']['after_change_seconds']:.2f} s after the change was noticed"
    )


def test_a_file_written_slowly_is_not_read_half_way(server):
    served, corpus = server
    parts = [
        "# Verslag Traag\n\n## 1 Begin\n\nDe trage schrijver begint zijn verslag over de Dinkel.\n\n",
        "## 2 Midden\n\nIn het midden telt hij veertien ijsvogels langs de oever.\n\n",
        "## 3 Slot\n\nTot slot noemt hij de geheime vijver bij Lattrop het mooiste punt.\n",
    ]
    final = "".join(parts).encode("utf-8")
    seen: set[str] = set()  # every version of the document the server ever listed
    stop = threading.Event()

    def watch_listing() -> None:
        while not stop.is_set():
            doc = documents(served).get("traag.md")
            if doc:
                seen.add(doc["sha256"])
            time.sleep(0.1)

    lister = threading.Thread(target=watch_listing, daemon=True)
    lister.start()
    try:
        with open(corpus / "traag.md", "wb") as f:  # as a slow copy: pieces with pauses in between
            for i, part in enumerate(parts):
                f.write(part.encode("utf-8"))
                f.flush()
                if i < len(parts) - 1:
                    time.sleep(0.9)  # under the debounce + quiet period (0.5 + 1.0 s by default)
        written = time.monotonic()
        poll(lambda: hashlib.sha256(final).hexdigest() in seen, served, "the finished file listed")
        delay = time.monotonic() - written
        time.sleep(1.0)
    finally:
        stop.set()
        lister.join(timeout=10)
    assert seen == {hashlib.sha256(final).hexdigest()}, "a part-written version was indexed"
    answer = ask(served, "Welk punt noemt de trage schrijver het mooiste?")
    assert any("Lattrop" in c["text"] for c in answer["citations"] if c["document_id"] == "traag"), answer
    print(f"\nslow writer (3 pieces, 0.9 s apart): indexed {delay:.1f} s after the last piece, never half-way")
