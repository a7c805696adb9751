"""DocumentService from Python: name checks, add/replace/remove, and rollback on failure."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from assistant.documents import (
    DocumentNotFound,
    DocumentService,
    EmptyFile,
    InvalidName,
    TooLarge,
    UnreadableDocument,
    UnsupportedType,
    check_name,
)

PLAN_ID = "twente-board-strategisch-plan-2020-2025"
NOTE = b"# Notitie Kwartelkoning\n\nDe kwartelkoning broedt in de uiterwaarden van de Vecht bij Ommen.\n"


@pytest.mark.parametrize(
    "name", ["notitie.md", "Plan 2025 (concept).pdf", "één-twee.docx", "a.b.c.txt", "x" * 197 + ".md"]
)
def test_good_names(name):
    assert check_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "",
        "   ",
        None,
        "..",
        ".",
        "../x.md",
        "a/../b.md",
        "/etc/passwd.md",
        "a/b.md",
        "a\\b.md",
        "C:\\temp\\x.md",
        "C:x.md",
        "\\\\server\\share.md",
        "nul\x00.md",
        "bell\x07.md",
        "line\nbreak.md",
        "rtl\u202eexe.md",
        "x" * 201,
        ".hidden.md",
        "<b>.md",
        'quote".md',
        "pipe|.md",
        "trailing.md ",
        " lead.md",
        "dot.md.",
    ],
)
def test_bad_names(name):
    with pytest.raises(InvalidName):
        check_name(name)


def manifest_bytes(svc) -> bytes:
    return (svc.settings.data_dir / "current.json").read_bytes()


def test_add_replace_remove(fresh_services):
    docs = DocumentService(fresh_services)
    assert [d["id"] for d in docs.list()] == [PLAN_ID]

    change = docs.add("kwartel.md", io.BytesIO(NOTE))
    assert change.document["id"] == "uploads--kwartel" and change.document["title"] == "Notitie Kwartelkoning"
    assert change.replaced is False and change.report.added == ["uploads/kwartel.md"]
    assert change.as_dict()["ingest"]["reused"] > 0  # the plan's embeddings were kept
    assert {d["id"] for d in docs.list()} == {PLAN_ID, "uploads--kwartel"}
    assert docs.get("uploads--kwartel")["source"] == "upload"

    change = docs.add("kwartel.md", NOTE.replace(b"Ommen", b"Dalfsen"))
    assert change.replaced is True and change.report.updated == ["uploads/kwartel.md"]
    assert b"Dalfsen" in (fresh_services.settings.data_dir / "uploads" / "kwartel.md").read_bytes()

    change = docs.remove("uploads--kwartel")
    assert change.report.removed == ["uploads/kwartel.md"]
    assert [d["id"] for d in docs.list()] == [PLAN_ID]
    assert not (fresh_services.settings.data_dir / "uploads" / "kwartel.md").exists()
    with pytest.raises(DocumentNotFound):
        docs.remove("uploads--kwartel")
    assert not any((fresh_services.settings.data_dir / ".staging").iterdir())


def test_remove_corpus_document_excludes_it(fresh_services):
    docs = DocumentService(fresh_services)
    docs.remove(PLAN_ID)
    excluded = json.loads((fresh_services.settings.data_dir / "excluded.json").read_text())
    assert excluded == [f"{PLAN_ID}.md"]
    assert docs.list() == []


@pytest.mark.parametrize(
    "name, content, error",
    [
        ("x.exe", NOTE, UnsupportedType),
        ("../x.md", NOTE, InvalidName),
        ("x.md", b"", EmptyFile),
        ("x.md", b"\n\n  \n", UnreadableDocument),
        ("x.pdf", b"%PDF-1.7\n this is no pdf", UnreadableDocument),
        ("x.docx", b"not a zip", UnreadableDocument),
        ("x.md", NOTE * 1000, TooLarge),
    ],
)
def test_failed_add_changes_nothing(fresh_services, name, content, error):
    fresh_services.settings = fresh_services.settings.model_copy(update={"max_upload_bytes": 10_000})
    docs = DocumentService(fresh_services)
    before = manifest_bytes(fresh_services)
    with pytest.raises(error) as info:
        docs.add(name, io.BytesIO(content))
    assert str(info.value)  # says what is wrong
    assert manifest_bytes(fresh_services) == before
    uploads = fresh_services.settings.data_dir / "uploads"
    assert not uploads.exists() or not any(uploads.iterdir())


def test_ingest_failure_rolls_back_a_replacement(fresh_services, monkeypatch):
    docs = DocumentService(fresh_services)
    docs.add("kwartel.md", NOTE)
    before = manifest_bytes(fresh_services)
    stored = fresh_services.settings.data_dir / "uploads" / "kwartel.md"

    def broken_ingest(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(fresh_services, "ingest", broken_ingest)
    with pytest.raises(RuntimeError):
        docs.add("kwartel.md", NOTE.replace(b"Ommen", b"Zwolle"))
    assert stored.read_bytes() == NOTE  # the previous version is back
    with pytest.raises(RuntimeError):
        docs.add("nieuw.md", NOTE)
    assert not (stored.parent / "nieuw.md").exists()
    with pytest.raises(RuntimeError):
        docs.remove("uploads--kwartel")
    assert stored.read_bytes() == NOTE
    with pytest.raises(RuntimeError):
        docs.remove(PLAN_ID)
    assert not (fresh_services.settings.data_dir / "excluded.json").exists()
    assert manifest_bytes(fresh_services) == before


def test_upload_of_an_excluded_path_includes_it_again(fresh_services):
    data_dir = fresh_services.settings.data_dir
    (data_dir / "excluded.json").write_text(json.dumps(["uploads/kwartel.md", f"{PLAN_ID}.md"]))
    docs = DocumentService(fresh_services)
    docs.add("kwartel.md", NOTE)
    assert json.loads((data_dir / "excluded.json").read_text()) == [f"{PLAN_ID}.md"]
    assert [d["id"] for d in docs.list()] == ["uploads--kwartel"]


# ---- the file name as sent (the multipart parser shortens Windows paths before the app sees them)


def _upload(disposition: str | None, parsed: str | None = "evil.md"):
    from starlette.datastructures import Headers, UploadFile

    headers = (
        Headers(raw=[(b"content-disposition", disposition.encode("latin-1"))]) if disposition is not None else None
    )
    return UploadFile(io.BytesIO(b""), filename=parsed, headers=headers)


@pytest.mark.parametrize(
    ("disposition", "sent"),
    [
        ('form-data; name="file"; filename="C:\\\\Windows\\\\evil.md"', "C:\\Windows\\evil.md"),
        ('form-data; name="file"; filename="C:\\Windows\\evil.md"', "C:\\Windows\\evil.md"),  # unescaped, as curl sends
        ('form-data; name="file"; filename=C:\\evil.md', "C:\\evil.md"),  # unquoted token
        ('form-data; name="file"; filename="ok.md"; filename="..\\\\evil.md"', "..\\evil.md"),  # the last one counts
        ('form-data; name="a; filename=\\"C:\\\\x.md\\""; filename="notitie.md"', "notitie.md"),  # quoted decoy skipped
        ('form-data; name="file"; filename*=UTF-8\'\'x.md; filename="notitie.md"', "notitie.md"),  # filename* ignored
        ('form-data; name="file"; FILENAME="Notitie.md"', "Notitie.md"),
        ('form-data; name="file"; filename="een \\"quote\\".md"', 'een "quote".md'),
        ('form-data; name="file"; filename="\xc3\xa9\xc3\xa9n.md"', "één.md"),  # UTF-8 bytes read as Latin-1
        ('form-data; name="file"; filename="caf\xe9.md"', "caf\xe9.md"),  # Latin-1 bytes stay Latin-1
    ],
)
def test_sent_filename_reads_the_raw_header(disposition, sent):
    from assistant.api.routers.documents import sent_filename

    assert sent_filename(_upload(disposition)) == sent


@pytest.mark.parametrize("disposition", [None, 'form-data; name="file"', "form-data"])
def test_sent_filename_falls_back_to_the_parsed_name(disposition):
    from assistant.api.routers.documents import sent_filename

    assert sent_filename(_upload(disposition, parsed="notitie.md")) == "notitie.md"


def test_a_windows_path_as_sent_is_refused_not_shortened():
    from assistant.api.routers.documents import sent_filename

    with pytest.raises(InvalidName, match="absolute"):
        check_name(sent_filename(_upload('form-data; name="file"; filename="C:\\Windows\\evil.md"')))


def _dead_pid() -> int:
    """The pid of a process that has ended (a crashed upload's owner)."""
    import subprocess
    import sys

    return int(
        subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout
    )


def test_sweep_removes_only_orphaned_staging_folders(fresh_services):
    """A kill -9 mid-upload leaves its staging folder behind; the next start or upload removes
    it, while a live process's folder (an upload in progress) is kept."""
    import os

    from assistant.documents import STAGING, _process_tag

    docs = DocumentService(fresh_services)
    root = fresh_services.settings.data_dir / STAGING
    dead_pid = _dead_pid()
    live = root / f"{_process_tag(os.getpid())}-aaaa"
    orphan = root / f"{dead_pid}-123-bbbb"
    reused_pid = root / f"{os.getpid()}-1-cccc"  # our pid, another start time: an earlier process
    legacy = root / "0123456789abcdef"
    for folder in (live, orphan, reused_pid, legacy):
        (folder / "x.md").parent.mkdir(parents=True)
        (folder / "x.md").write_bytes(NOTE)
    assert sorted(docs.sweep_staging().removed) == sorted(p.name for p in (orphan, reused_pid, legacy))
    assert [p.name for p in root.iterdir()] == [live.name]

    docs.add("kwartel.md", NOTE)  # an upload sweeps too, and cleans its own folder after
    assert [p.name for p in root.iterdir()] == [live.name]


def _orphan_upload(docs, name: str, content: bytes, *, replace_with: bytes | None = None) -> Path:
    """What an upload killed between its file moves and its 201 leaves: the new file in
    uploads/, the journal and (for a replacement) the previous version in a dead process's
    staging folder. Built by hand with the same layout `add` uses."""
    import json as _json

    from assistant.documents import JOURNAL, PREVIOUS, STAGING

    dead = _dead_pid()
    stage = docs.data_dir / STAGING / f"{dead}-1-deadbeef"
    stage.mkdir(parents=True)
    target = docs.uploads_dir / name
    replaced = target.is_file()
    excluded = docs._read_excluded_raw()
    (stage / JOURNAL).write_text(
        _json.dumps({"target": f"uploads/{name}", "replaced": replaced, "excluded": excluded}), encoding="utf-8"
    )
    if replaced:
        target.replace(stage / PREVIOUS)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content if replace_with is None else replace_with)
    return stage


def test_an_interrupted_new_upload_is_undone_at_recovery(fresh_services):
    from assistant.documents import recover_interrupted_uploads

    docs = DocumentService(fresh_services)
    before = manifest_bytes(fresh_services)
    stage = _orphan_upload(docs, "kwartel.md", NOTE)
    recovery = recover_interrupted_uploads(docs.data_dir)
    assert recovery.undone == ["uploads/kwartel.md"] and recovery.removed == [stage.name]
    assert not (docs.uploads_dir / "kwartel.md").exists() and not stage.exists()
    report = fresh_services.ingest(progress=False)  # what serve / assistant ingest do next
    assert not report.changed and manifest_bytes(fresh_services) == before
    assert [d["id"] for d in docs.list()] == [PLAN_ID]


def test_an_interrupted_replacement_gets_the_previous_version_back(fresh_services):
    from assistant.documents import recover_interrupted_uploads

    docs = DocumentService(fresh_services)
    docs.add("kwartel.md", NOTE)
    docs.remove(PLAN_ID)  # an exclusion that the interrupted upload must not change either
    excluded = (docs.data_dir / "excluded.json").read_bytes()
    before = manifest_bytes(fresh_services)
    _orphan_upload(docs, "kwartel.md", NOTE, replace_with=NOTE.replace(b"Ommen", b"Zwolle"))
    (docs.data_dir / "excluded.json").write_text("[]", encoding="utf-8")  # the upload had changed it
    recovery = recover_interrupted_uploads(docs.data_dir)
    assert recovery.undone == ["uploads/kwartel.md"]
    assert (docs.uploads_dir / "kwartel.md").read_bytes() == NOTE  # the stored version, not lost
    assert (docs.data_dir / "excluded.json").read_bytes() == excluded
    assert not fresh_services.ingest(progress=False).changed and manifest_bytes(fresh_services) == before


def test_recovery_leaves_a_live_upload_alone(fresh_services):
    import os

    from assistant.documents import JOURNAL, STAGING, _process_tag, recover_interrupted_uploads

    docs = DocumentService(fresh_services)
    live = docs.data_dir / STAGING / f"{_process_tag(os.getpid())}-cafe"
    live.mkdir(parents=True)
    (live / JOURNAL).write_text('{"target": "uploads/x.md", "replaced": false, "excluded": null}')
    (docs.uploads_dir).mkdir(parents=True, exist_ok=True)
    (docs.uploads_dir / "x.md").write_bytes(NOTE)
    recovery = recover_interrupted_uploads(docs.data_dir)
    assert recovery.undone == [] and recovery.removed == []
    assert (docs.uploads_dir / "x.md").exists() and live.exists()


def test_a_journal_pointing_outside_the_uploads_is_not_followed(fresh_services):
    from assistant.documents import JOURNAL, STAGING, recover_interrupted_uploads

    docs = DocumentService(fresh_services)
    dead = _dead_pid()
    stage = docs.data_dir / STAGING / f"{dead}-1-bad"
    stage.mkdir(parents=True)
    (stage / JOURNAL).write_text('{"target": "../current.json", "replaced": false, "excluded": null}')
    before = manifest_bytes(fresh_services)
    recovery = recover_interrupted_uploads(docs.data_dir)
    assert recovery.undone == [] and stage.exists()  # kept for a person to look at
    assert manifest_bytes(fresh_services) == before


def test_an_interrupted_removal_is_undone_too(fresh_services):
    import json as _json

    from assistant.documents import JOURNAL, REMOVED, STAGING, recover_interrupted_uploads

    docs = DocumentService(fresh_services)
    docs.add("kwartel.md", NOTE)
    before = manifest_bytes(fresh_services)
    dead = _dead_pid()
    stage = docs.data_dir / STAGING / f"{dead}-1-removal"
    stage.mkdir(parents=True)
    (stage / JOURNAL).write_text(
        _json.dumps({"target": "uploads/kwartel.md", "replaced": False, "removed": True, "excluded": None})
    )
    (docs.uploads_dir / "kwartel.md").replace(stage / REMOVED)  # killed after the move
    assert recover_interrupted_uploads(docs.data_dir).undone == ["uploads/kwartel.md"]
    assert (docs.uploads_dir / "kwartel.md").read_bytes() == NOTE and not stage.exists()
    assert not fresh_services.ingest(progress=False).changed and manifest_bytes(fresh_services) == before
