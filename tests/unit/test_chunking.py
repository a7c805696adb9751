"""Chunks of the real plan, and the sentence splitter."""

from __future__ import annotations

import re
from itertools import pairwise

import pytest

from ingest.chunking import chunk_corpus_document, chunk_document, word_count
from ingest.model import Chunk
from ingest.sentences import sentence_spans, split_sentences
from ingest.structure import parse_sections

CHUNK_WORDS = 120


@pytest.fixture(scope="module")
def chunks(plan_doc):
    return chunk_corpus_document(plan_doc, CHUNK_WORDS, 1)


def _with(chunks, needle):
    found = [c for c in chunks if needle in c.text]
    assert found, needle
    return found


def _words(s: str) -> list[str]:
    return re.findall(r"\w+", s.lower())


# ----------------------------------------------------------------------------- content placement


def test_impactportfolios_chunk_metadata(chunks):
    (c,) = _with(chunks, "Deze impactportfolio's zijn")
    assert c.section_number == "6.1"
    assert c.section_title == "Focus op impactportfolio's"
    assert c.chapter_number == "6"
    assert c.chapter_title == "Ontwikkelen van het Twentse ecosysteem"
    assert c.heading_path == "Ontwikkelen van het Twentse ecosysteem > Focus op impactportfolio's"
    assert c.kind == "body"
    assert c.chunk_id.startswith("twente-board-strategisch-plan-2020-2025:")


def test_chapter_5_and_its_sections(chunks):
    titles = {}
    for c in chunks:
        if c.section_number and c.section_number.startswith("5."):
            assert c.chapter_number == "5"
            assert c.chapter_title == "Onderhoud van het Twentse ecosysteem"
            titles[c.section_number] = c.section_title
    assert titles == {
        "5.1": "Innovatie & ondernemerschap",
        "5.2": "Talent",
        "5.3": "Profilering",
        "5.4": "Twente Board Development",
        "5.5": "Samenhangende investeringsprogramma's",
        "5.6": "Kapitaal en financiering",
        "5.7": "Samenwerking Rijk, provincie en regio",
    }
    (c,) = [c for c in chunks if c.section_title == "Onderhoud van het Twentse ecosysteem"][:1]
    assert c.section_number == "5" and c.chapter_number == "5"


def test_no_artefacts_in_chunks(chunks):
    for c in chunks:
        assert "decorative image" not in c.text
        assert "Inhoudsopgave" not in c.text
        assert "\t" not in c.text
        assert "<b>" not in c.text and "**" not in c.text
        assert not re.search(r"(?m)^#", c.text)
        assert "Twenteboard Development" not in c.text  # TOC line


def test_sentence_joined_across_page_break(chunks):
    hits = 0
    for c in _with(chunks, "technische innovaties"):
        sents = [s for s in split_sentences(c.text) if "investeringen in technische innovaties" in s]
        assert sents and "circulaire economie" in sents[0]
        hits += 1
    assert hits >= 1
    for c in _with(chunks, "nieuwe werkelijkheid na corona"):
        assert "ook én juist in de nieuwe werkelijkheid na corona." in c.text


def test_list_61_with_intro(chunks):
    (c,) = _with(chunks, "Deze impactportfolio's zijn:")
    for item in ("- Digitalisering:", "- Innovatie in de zorg:", "- Circulaire economie:", "- Sleuteltechnologieën:"):
        assert item in c.text
    assert c.text.index("Deze impactportfolio's zijn:") < c.text.index("- Digitalisering:")
    assert "toepassing van dronetechnologie in de landbouw" in c.text


def test_list_32_with_intro(chunks):
    (c,) = _with(chunks, "bestaan uit 4 centrale actielijnen:")
    assert c.section_number == "3.2"
    for item in (
        "- Techniek als motor:",
        "- Arbeidsmarkt & Talent:",
        "- Bereikbaarheid & Vestigingsklimaat:",
        "- Circulaire economie & Duurzaamheid:",
    ):
        assert item in c.text


def test_quotes(chunks):
    quotes = [c for c in chunks if c.kind == "quote"]
    assert [c.section_number for c in quotes] == ["1", "2", "4"]
    assert quotes[0].section_title == "Voorwoord"
    assert quotes[1].text.startswith("“Twentse technologie")
    assert quotes[1].heading_path == "Strategie in hoofdlijnen"
    assert quotes[2].chapter_title == "Positionering en functie Twente Board"
    # quotes are chunks of their own
    for q in quotes:
        assert all(q.text not in c.text for c in chunks if c.kind != "quote")


def test_members(chunks):
    members = [c for c in chunks if c.kind == "members"]
    assert len(members) == 1
    m = members[0]
    assert "Dennis Schipper" in m.text and "Wim Boomkamp" in m.text
    assert m.section_title == "Leden Twente Board" and m.chapter_title == "Twente Board"
    assert m.section_number is None and m.chapter_number is None
    assert m.heading_path == "Twente Board > Leden Twente Board"


def test_front_chunk(chunks):
    assert chunks[0].kind == "front" and chunks[0].section_number is None
    assert "Strategisch plan 2020-2025" in chunks[0].text


# ----------------------------------------------------------------------------- invariants


def _check_consistent(c: Chunk) -> None:
    path = c.heading_path.split(" > ") if c.heading_path else []
    assert path, c.chunk_id
    assert path[-1] == c.section_title
    if c.chapter_title is not None:
        assert path[0] == c.chapter_title
    if c.section_number is not None:
        assert c.chapter_number == c.section_number.split(".")[0]
        if "." not in c.section_number:
            assert c.chapter_title == path[0]
    else:
        assert c.chapter_number is None


def test_heading_path_consistency(chunks):
    for c in chunks:
        _check_consistent(c)


def test_deterministic_ids(plan_doc, chunks):
    again = chunk_corpus_document(plan_doc, CHUNK_WORDS, 1)
    assert [c.chunk_id for c in again] == [c.chunk_id for c in chunks]
    assert [c.text for c in again] == [c.text for c in chunks]
    assert len({c.chunk_id for c in chunks}) == len(chunks)
    for i, c in enumerate(chunks):
        assert c.ordinal == i
        assert re.fullmatch(rf"{c.doc_id}:{i:04d}:[0-9a-f]{{10}}", c.chunk_id)


def test_chunks_never_cross_sections(plan_doc, chunks):
    sections = parse_sections(plan_doc)
    for c in chunks:
        owners = [s for s in sections if s.start <= c.start and c.end <= s.end]
        assert len(owners) == 1, c.chunk_id
        s = owners[0]
        assert (s.number, s.title, s.kind) == (c.section_number, c.section_title, c.kind)
        assert c.text.replace("\n\n", " ").replace("\n", " ") in s.text.replace("\n\n", " ").replace("\n", " ") or (
            s.kind == "body"  # a repeated list intro can make a chunk text that is not a substring
        )


def _is_single_unit(text: str, limit: int) -> bool:
    sents = split_sentences(text)
    plain = [s for s in sents if not s.startswith("- ")]
    if len(sents) == 1:
        return True  # one long sentence
    # a list with its intro: at most one plain sentence (the intro) and <= 2x the limit,
    # or one over-long item (with its repeated intro)
    items = len(sents) - len(plain)
    return len(plain) <= 1 and (word_count(text) <= 2 * limit or items == 1)


@pytest.mark.parametrize("limit", [120, 60, 25])
def test_word_limits(plan_doc, limit):
    for c in chunk_corpus_document(plan_doc, limit, 1):
        wc = word_count(c.text)
        assert wc <= limit or _is_single_unit(c.text, limit), (limit, wc, c.text[:80])


def test_never_cut_mid_sentence(plan_doc):
    sections = parse_sections(plan_doc)
    all_sents = set()
    for s in sections:
        all_sents.update(split_sentences(s.text))
    for limit in (120, 40):
        for c in chunk_corpus_document(plan_doc, limit, 1):
            for sent in split_sentences(c.text):
                assert sent in all_sents, sent[:80]


def test_long_list_split_repeats_intro(plan_doc):
    chunks = chunk_corpus_document(plan_doc, 40, 1)
    groups = [c for c in chunks if c.section_number == "6.1" and "- " in c.text and "impactportfolio's zijn:" in c.text]
    assert len(groups) >= 2
    for g in groups:
        assert g.text.startswith("Deze impactportfolio's zijn:\n- ")
    items = [line for g in groups for line in g.text.split("\n") if line.startswith("- ")]
    assert len(items) == 4


def test_overlap_within_sections_only(plan_doc, chunks):
    overlaps = 0
    for a, b in pairwise(chunks):
        last = split_sentences(a.text)[-1]
        first = split_sentences(b.text)[0]
        if last == first:
            overlaps += 1
            assert (a.section_number, a.section_title, a.kind) == (b.section_number, b.section_title, b.kind)
            assert not first.startswith("- ")
            assert a.kind not in ("quote", "members")
            # the overlap starts at its source position
            assert b.start < a.end
    assert overlaps >= 10
    none = chunk_corpus_document(plan_doc, CHUNK_WORDS, 0)
    for a, b in pairwise(none):
        assert split_sentences(a.text)[-1] != split_sentences(b.text)[0]


def test_offsets_cover_chunk_text(plan_doc, chunks):
    for c in chunks:
        src = plan_doc.text[c.start : c.end]
        src_words = _words(re.sub(r"<[^>]+>|\*\*|\*|\]\([^)]*\)", " ", src))
        words = _words(c.text)
        assert src_words[:3] == words[:3], (c.chunk_id, src[:60])
        assert src_words[-3:] == words[-3:], (c.chunk_id, src[-60:])
        assert c.page is None and c.page_end is None


def test_metadata_round_trip(chunks):
    for c in chunks[:5] + chunks[-3:]:
        meta = c.metadata()
        assert all(v is not None for v in meta.values())
        assert Chunk.from_metadata(c.text, meta) == c


def test_chunk_document_accepts_given_sections(plan_doc):
    sections = [s for s in parse_sections(plan_doc) if s.number == "5.2"]
    out = chunk_document(plan_doc, sections, chunk_words=120, overlap_sentences=1)
    assert out and all(c.section_number == "5.2" for c in out)
    assert [c.ordinal for c in out] == list(range(len(out)))


# ----------------------------------------------------------------------------- sentence splitter


@pytest.mark.parametrize(
    "text,expected",
    [
        ("Dit is o.a. een test. Het werkt.", ["Dit is o.a. een test.", "Het werkt."]),
        ("Neem bijv. Enschede. Of Hengelo.", ["Neem bijv. Enschede.", "Of Hengelo."]),
        ("Dat is d.w.z. Twente en m.b.t. Almelo. Klaar.", ["Dat is d.w.z. Twente en m.b.t. Almelo.", "Klaar."]),
        (
            "Ook t.a.v. Hengelo, e.d. Goed. Verder i.p.v. Almelo.",
            ["Ook t.a.v. Hengelo, e.d. Goed.", "Verder i.p.v. Almelo."],
        ),
        ("Appels, peren enz. Daarna etc. Meer.", ["Appels, peren enz. Daarna etc. Meer."]),
        ("Het kost ca. 5 euro. Dat is nl. Veel.", ["Het kost ca. 5 euro.", "Dat is nl. Veel."]),
        (
            "Mr. Jansen en Dr. Smit en prof. Bakker kwamen. Ook nr. 5 en blz. 7 en z.g. Experts.",
            ["Mr. Jansen en Dr. Smit en prof. Bakker kwamen.", "Ook nr. 5 en blz. 7 en z.g. Experts."],
        ),
        (
            "Burgemeester J. Joosten sprak. Daarna A.B. de Vries.",
            ["Burgemeester J. Joosten sprak.", "Daarna A.B. de Vries."],
        ),
        (
            "De groei was 2.5 procent. In 2020 was het 3,1 procent.",
            ["De groei was 2.5 procent.", "In 2020 was het 3,1 procent."],
        ),
        (
            "De website www.twente.com is een tool. Zie ook twente.nl. Dank.",
            ["De website www.twente.com is een tool.", "Zie ook twente.nl.", "Dank."],
        ),
        ("Kansen die we pakken! Via kennis. Echt? Ja.", ["Kansen die we pakken!", "Via kennis.", "Echt?", "Ja."]),
        ("Hij zei: 'Wij gaan.' Toen ging hij.", ["Hij zei: 'Wij gaan.'", "Toen ging hij."]),
        ("Dit (zie bijlage.) Klopt. En (dat) ook.", ["Dit (zie bijlage.)", "Klopt.", "En (dat) ook."]),
        (
            "Een revolutie ('Vierde industriële revolutie'). Andersom ook.",
            ["Een revolutie ('Vierde industriële revolutie').", "Andersom ook."],
        ),
        (
            "Wij werken aan:\n- Kennis en technologie. Ook transfer;\n- Begeleiding.\n\nNieuwe alinea zonder punt\n\nVolgende",
            [
                "Wij werken aan:",
                "- Kennis en technologie. Ook transfer;",
                "- Begeleiding.",
                "Nieuwe alinea zonder punt",
                "Volgende",
            ],
        ),
        ("Er zijn 3D-printers. 3D-printers zijn hip.", ["Er zijn 3D-printers.", "3D-printers zijn hip."]),
        ("Kleine letter. daarna geen splitsing.", ["Kleine letter. daarna geen splitsing."]),
        ("  \n ", []),
    ],
)
def test_split_sentences(text, expected):
    assert split_sentences(text) == expected


def test_sentence_spans_match_text():
    text = "  Eerste zin.  Tweede zin!\n- item een\n- item twee\n\nDerde."
    spans = sentence_spans(text)
    assert [text[a:b] for a, b in spans] == split_sentences(text)
    assert split_sentences(text) == ["Eerste zin.", "Tweede zin!", "- item een", "- item twee", "Derde."]
