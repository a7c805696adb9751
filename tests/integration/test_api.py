"""The HTTP API against the real app and the real index (TestClient; no UI).

Read-only endpoints use the session `services`; uploads and deletes use `fresh_services`. What
needs no real embedder (health, request checks and limits, error shapes, the API key, the
language-model backends' errors and slots) is tested over fakes in tests/unit/test_api_contract.py.
"""

from __future__ import annotations

import io
import json
import re
import uuid

import pytest
from fastapi.testclient import TestClient
from support.api_client import assert_error, auth, keyed_client
from support.api_server import parse_sse

from assistant.api.app import create_app

# --------------------------------------------------------------------------- fixtures / helpers


@pytest.fixture(scope="module")
def client(services):
    app = create_app(services.settings, services, ui=False)
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


# --------------------------------------------------------------------------- /api/ask


def test_ask_answers_with_citations(client):
    r = client.post("/api/ask", json={"question": "Wat zijn de impactportfolio's?"})
    assert r.status_code == 200, r.text
    a = r.json()
    assert a["status"] == "answered" and a["backend"] == "extractive"
    assert "Digitalisering" in a["answer"]
    assert a["citations"] and any(c["section"] == "6.1" for c in a["citations"])
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", a["answer"])}
    assert markers <= {c["id"] for c in a["citations"]}
    assert a["timings"]["total"] > 0


def test_ask_with_history_and_top_k(client):
    history = [
        {"role": "user", "content": "Wat zijn de impactportfolio's?"},
        {"role": "assistant", "content": "Digitalisering, innovatie in de zorg, ..."},
    ]
    r = client.post(
        "/api/ask",
        json={
            "question": "En wat is de rol van de Twente Index?",
            "history": history,
            "top_k": 3,
            "backend": "extractive",
        },
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] in ("answered", "not_found")


def test_ask_not_found(client):
    r = client.post("/api/ask", json={"question": "Wat is het recept voor appeltaart?"})
    assert r.status_code == 200
    assert r.json()["status"] == "not_found"


def test_script_in_question_never_comes_back_raw(client):
    q = "<script>alert('x')</script> Wat zijn de impactportfolio's?"
    r = client.post("/api/ask", json={"question": q})
    assert r.status_code == 200
    assert "<script" not in r.text
    assert "<script" not in r.json()["answer"]
    assert "&lt;script" in r.json()["question"]  # echoed, escaped
    with client.stream("POST", "/api/chat/stream", json={"question": q}) as s:
        assert "<script" not in "".join(s.iter_text())


# --------------------------------------------------------------------------- /api/chat/stream


def read_stream(c: TestClient, body: dict) -> list[tuple[str, object]]:
    with c.stream("POST", "/api/chat/stream", json=body) as r:
        assert r.status_code == 200, r.read()
        assert r.headers["content-type"].startswith("text/event-stream")
        return parse_sse(r.iter_lines())


def test_stream_sources_tokens_final(client):
    events = read_stream(client, {"question": "Wat zijn de impactportfolio's?"})
    names = [e for e, _ in events]
    assert names[0] == "sources" and names[-1] == "final"
    assert names.count("sources") == 1 and names.count("final") == 1
    assert set(names[1:-1]) == {"token"} and len(names) >= 4  # a few tokens
    sources = events[0][1]["citations"]
    final = events[-1][1]
    assert final["status"] == "answered" and final["citations"]
    assert "".join(d["text"] for e, d in events if e == "token") == final["answer"]
    assert {c["chunk_id"] for c in final["citations"]} <= {c["chunk_id"] for c in sources}


def test_stream_not_found_still_same_protocol(client):
    events = read_stream(client, {"question": "Wat is het recept voor appeltaart?"})
    names = [e for e, _ in events]
    assert names[0] == "sources" and names[-1] == "final" and "token" in names
    assert events[-1][1]["status"] == "not_found"


# --------------------------------------------------------------------------- /api/portfolio-fit


def test_portfolio_fit(client):
    pytest.importorskip("assistant.portfolio")
    idea = "Een app met sensoren waarmee thuiszorgmedewerkers de bloeddruk van chronisch zieke patiënten op afstand volgen."
    r = client.post("/api/portfolio-fit", json={"idea": idea})
    assert r.status_code == 200, r.text
    fit = r.json()
    assert fit["verdict"] in ("fit", "partial", "no_fit")
    assert len(fit["portfolios"]) == 4 and fit["explanation"]
    # a care application: care is the primary fit, and it says who in the region supports it
    first = fit["portfolios"][0]
    assert (first["id"], first["role"], fit["verdict"]) == ("innovatie-in-de-zorg", "primary", "fit")
    assert all(p["role"] is None for p in fit["portfolios"] if p["fit"] == "none")
    assert fit["support"] and "Novel-T" in fit["explanation"]
    r = client.post("/api/portfolio-fit", json={"idea": "We open a hair salon with a barber corner in Hengelo."})
    nofit = r.json()
    assert nofit["verdict"] == "no_fit" and "would fit" in nofit["explanation"]


@pytest.mark.parametrize(
    "body",
    [
        {"idea": ""},
        {"idea": "x" * 100_000},
        {"idea": 5},
        {},
        {"idea": "x", "extra": 1},
        {"idea": "Een slimme robot in de zorg", "backend": "nope"},
    ],
)
def test_portfolio_fit_bad_input(client, body):
    pytest.importorskip("assistant.portfolio")
    assert_error(client.post("/api/portfolio-fit", json=body), 422)


# --------------------------------------------------------------------------- /api/documents


def test_list_documents(client):
    r = client.get("/api/documents")
    assert r.status_code == 200
    docs = r.json()
    assert len(docs) == 1
    d = docs[0]
    assert set(d) >= {"id", "title", "chunks", "sha256", "ingested_at", "path", "format", "pages"}
    assert d["chunks"] > 20 and d["format"] == "md" and d["source"] == "corpus" and len(d["sha256"]) == 64


def raw_multipart(filename: bytes, content: bytes, field: bytes = b"file") -> tuple[bytes, dict]:
    """A multipart body with the file name exactly as given (clients would escape odd bytes)."""
    boundary = b"----twente" + uuid.uuid4().hex.encode()
    body = (
        b"--"
        + boundary
        + b'\r\nContent-Disposition: form-data; name="'
        + field
        + b'"; filename="'
        + filename
        + b'"\r\nContent-Type: application/octet-stream\r\n\r\n'
        + content
        + b"\r\n--"
        + boundary
        + b"--\r\n"
    )
    return body, {"content-type": "multipart/form-data; boundary=" + boundary.decode(), **auth()}


@pytest.mark.parametrize(
    "name, status",
    [
        (b"../x.md", 400),
        (b"/etc/passwd.md", 400),
        (b"a/b.md", 400),
        (b"..", 400),
        (b"", 400),
        (b"bad\x01name.md", 400),
        (b"bad\x7fname.md", 400),
        (b"tab\tname.md", 400),
        (b"nul\x00.md", 400),
        ("rtl\u202ename.md".encode(), 400),
        (b"x" * 201 + b".md", 400),
        (b".hidden.md", 400),
        (b"<script>.md", 400),
        (b"a:b.md", 400),
        (b"notes.exe", 415),
        (b"notes", 415),
        (b"notes.md.sh", 415),
    ],
)
def test_upload_rejects_bad_names_and_types(fresh_services, name, status):
    with keyed_client(fresh_services) as c:
        before = c.get("/api/documents").json()
        body, headers = raw_multipart(name, b"# Titel\n\nGewone tekst.")
        r = c.post("/api/documents", content=body, headers=headers)
        assert_error(r, status)
        if name.decode("utf-8").isprintable():  # a client escapes control characters (%01)
            r = c.post(
                "/api/documents",
                files={"file": (name.decode("utf-8", "replace"), b"# T\n\nTekst.", "text/plain")},
                headers=auth(),
            )
            assert r.status_code == status
        assert c.get("/api/documents").json() == before
        assert not (fresh_services.settings.data_dir / "uploads").exists() or not any(
            (fresh_services.settings.data_dir / "uploads").iterdir()
        )


@pytest.mark.parametrize("sent", ["één notitie (concept).md", "C:\\x.md", "D:\\map\\één.md"])
def test_upload_names_reach_the_check_as_the_client_sent_them(fresh_services, sent):
    """httpx quotes the name as browsers do (UTF-8, '\\' escaped); the name the app checks is the
    one the client sent, not a shortened one: non-ASCII is kept, a Windows path is refused."""
    with keyed_client(fresh_services) as c:
        r = c.post("/api/documents", files={"file": (sent, b"# Titel\n\nGewone tekst.", "text/plain")}, headers=auth())
        if "\\" in sent:
            assert_error(r, 400, "absolute")
            assert not (fresh_services.settings.data_dir / "uploads").exists() or not any(
                (fresh_services.settings.data_dir / "uploads").iterdir()
            )
            return
        assert r.status_code == 201, r.text
        assert r.json()["document"]["path"] == f"uploads/{sent}"
        assert (fresh_services.settings.data_dir / "uploads" / sent).exists()


def test_upload_rejects_bad_content(fresh_services, tmp_path):
    from support.documents import make_pdf

    data_dir = fresh_services.settings.data_dir
    manifest_before = (data_dir / "current.json").read_bytes()
    settings = fresh_services.settings.model_copy(update={"max_upload_bytes": 2000})
    fresh_services.settings = settings  # the document service reads the limit from the services
    good_pdf = make_pdf(tmp_path / "p.pdf", [["Regel een", "Regel twee"]]).read_bytes()
    cases = [
        ("corrupt.pdf", b"%PDF-1.4\n" + b"\x00garbage" * 50, 422),
        ("truncated.pdf", good_pdf[: len(good_pdf) // 3], 422),
        ("empty.md", b"", 400),
        ("spaces.md", b"   \n\n  ", 422),
        ("binary.txt", bytes(range(256)) * 4, 422),
        ("big.md", b"# Groot\n\n" + b"woord " * 1000, 413),
        ("notzip.docx", b"PK not really a zip", 422),
    ]
    with keyed_client(fresh_services) as c:
        before = c.get("/api/documents").json()
        for name, content, status in cases:
            r = c.post("/api/documents", files={"file": (name, content, "application/octet-stream")}, headers=auth())
            assert_error(r, status)
        assert c.get("/api/documents").json() == before
    assert (data_dir / "current.json").read_bytes() == manifest_before
    uploads = data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_upload_form_errors(fresh_services):
    with keyed_client(fresh_services) as c:
        assert_error(c.post("/api/documents", json={"file": "x"}, headers=auth()), 400, "multipart")
        r = c.post("/api/documents", files={"other": ("a.md", b"# A\n\nTekst.", "text/plain")}, headers=auth())
        assert_error(r, 400, "field 'file'")
        r = c.post(
            "/api/documents",
            files=[
                ("file", ("a.md", b"# A\n\nx y z.", "text/plain")),
                ("file", ("b.md", b"# B\n\nx y z.", "text/plain")),
            ],
            headers=auth(),
        )
        assert_error(r, 400)
        r = c.post("/api/documents", data={"file": "just text"}, files={"x": ("", b"", "text/plain")}, headers=auth())
        assert r.status_code == 400


def test_upload_ask_replace_delete(fresh_services, services):
    fresh_services._bank = services.bank  # warm sentence embeddings (chunk ids carry a text hash)
    phrase = "Het Zwanenmeerproject bouwt drijvende zonneparken op de Dinkel bij Losser"
    doc = (
        "# Zwanenmeerproject <script>alert(1)</script>\n\n"
        "## Over het project\n\n"
        f"{phrase}. Het project start in 2031 en wordt getrokken door de coöperatie Zonnig Dinkelland. "
        "<script>alert(1)</script> De panelen drijven op pontons van gerecycled textiel.\n"
    ).encode()
    with keyed_client(fresh_services) as c:
        r = c.post("/api/documents", files={"file": ("zwanenmeer.md", doc, "text/markdown")}, headers=auth())
        assert r.status_code == 201, r.text
        body = r.json()
        assert "<script" not in r.text
        entry = body["document"]
        assert entry["id"] == "uploads--zwanenmeer" and entry["path"] == "uploads/zwanenmeer.md"
        assert entry["source"] == "upload" and entry["chunks"] >= 1 and body["replaced"] is False
        assert body["ingest"]["added"] == ["uploads/zwanenmeer.md"] and body["ingest"]["failed"] == []
        assert (fresh_services.settings.data_dir / "uploads" / "zwanenmeer.md").read_bytes() == doc

        listed = c.get("/api/documents")
        assert {d["id"] for d in listed.json()} == {"twente-board-strategisch-plan-2020-2025", "uploads--zwanenmeer"}
        assert "<script" not in listed.text

        r = c.post("/api/ask", json={"question": "Wat bouwt het Zwanenmeerproject op de Dinkel?"})
        assert r.status_code == 200
        a = r.json()
        assert a["status"] == "answered", a
        assert any(cit["document_id"] == "uploads--zwanenmeer" for cit in a["citations"])
        assert "drijvende zonneparken" in a["answer"]
        assert "<script" not in r.text
        with c.stream("POST", "/api/chat/stream", json={"question": "Wat bouwt het Zwanenmeerproject?"}) as s:
            assert "<script" not in "".join(s.iter_text())

        # same name again: replaces (updates) the uploaded document
        doc2 = doc.replace(b"2031", b"2032")
        r = c.post("/api/documents", files={"file": ("zwanenmeer.md", doc2, "text/markdown")}, headers=auth())
        assert r.status_code == 201, r.text
        assert r.json()["replaced"] is True and r.json()["ingest"]["updated"] == ["uploads/zwanenmeer.md"]
        assert len(c.get("/api/documents").json()) == 2

        # delete: the file is gone and so is the phrase
        r = c.delete("/api/documents/uploads--zwanenmeer", headers=auth())
        assert r.status_code == 200, r.text
        assert r.json()["ingest"]["removed"] == ["uploads/zwanenmeer.md"]
        assert not (fresh_services.settings.data_dir / "uploads" / "zwanenmeer.md").exists()
        assert [d["id"] for d in c.get("/api/documents").json()] == ["twente-board-strategisch-plan-2020-2025"]
        a = c.post("/api/ask", json={"question": "Wat bouwt het Zwanenmeerproject op de Dinkel?"}).json()
        assert all(cit["document_id"] != "uploads--zwanenmeer" for cit in a["citations"])
        assert "Zwanenmeer" not in a["answer"] and "drijvende zonneparken" not in a["answer"]

        assert_error(c.delete("/api/documents/uploads--zwanenmeer", headers=auth()), 404)


def test_delete_shipped_document_excludes_it(fresh_services):
    data_dir = fresh_services.settings.data_dir
    with keyed_client(fresh_services) as c:
        r = c.delete("/api/documents/twente-board-strategisch-plan-2020-2025", headers=auth())
        assert r.status_code == 200, r.text
        assert r.json()["document"]["source"] == "corpus"
        assert json.loads((data_dir / "excluded.json").read_text()) == ["twente-board-strategisch-plan-2020-2025.md"]
        assert c.get("/api/documents").json() == []
        # the corpus file itself is untouched
        assert (fresh_services.settings.corpus_dir / "twente-board-strategisch-plan-2020-2025.md").exists()


def test_upload_size_limit_streams(fresh_services):
    """A body far over the upload limit is refused by the middleware before it is parsed."""
    fresh_services.settings = fresh_services.settings.model_copy(update={"max_upload_bytes": 10_000})
    with keyed_client(fresh_services) as c:
        big = io.BytesIO(b"a" * 200_000)
        r = c.post("/api/documents", files={"file": ("big.md", big, "text/markdown")}, headers=auth())
        assert_error(r, 413)
