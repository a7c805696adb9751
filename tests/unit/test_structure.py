"""Section tree of the real plan and of generated documents."""

from __future__ import annotations

from itertools import pairwise

import pytest

from ingest.loaders import doc_id_for
from ingest.model import LoadedDocument
from ingest.structure import map_offset, parse_sections


@pytest.fixture(scope="module")
def sections(plan_doc):
    return parse_sections(plan_doc)


def _doc(text: str, fmt: str = "md", name: str = "test.md") -> LoadedDocument:
    return LoadedDocument(doc_id=doc_id_for(name), title="Testdocument", path=name, text=text, format=fmt, sha256="x")


def _body(sections, number):
    return [s for s in sections if s.number == number and s.kind == "body"]


# ----------------------------------------------------------------------------- the real plan


def test_front_page(sections):
    front = sections[0]
    assert front.kind == "front" and front.number is None
    assert front.title == "Toonaangevende groene technologische topregio"
    assert "Strategisch plan 2020-2025" in front.text
    assert "Wij stimuleren innovatie en ondernemerschap en werken aan een duurzaam Twente" in front.text
    assert sum(1 for s in sections if s.kind == "front") == 1


def test_toc_is_not_content(sections):
    for s in sections:
        assert "Inhoudsopgave" not in s.text and "Inhoudsopgave" not in s.title
        assert "\t" not in s.text
        assert "<b>" not in s.text
    # the TOC line "5.4 Twenteboard Development 16" does not leak in
    assert not any("Twenteboard" in s.text for s in sections)


def test_chapters_numbered_from_toc(sections):
    chapters = {}
    for s in sections:
        if s.kind in ("body", "members") and s.chapter_title:
            chapters.setdefault(s.chapter_title, s.chapter_number)
    assert chapters == {
        "Voorwoord": "1",
        "Strategie in hoofdlijnen": "2",
        "Doelstelling Twente Board": "3",
        "Positionering en functie Twente Board": "4",
        "Onderhoud van het Twentse ecosysteem": "5",
        "Ontwikkelen van het Twentse ecosysteem": "6",
        "Twente Board": None,
    }


def test_chapter_5_sections(sections):
    expected = {
        "5.1": "Innovatie & ondernemerschap",
        "5.2": "Talent",
        "5.3": "Profilering",
        "5.4": "Twente Board Development",
        "5.5": "Samenhangende investeringsprogramma's",
        "5.6": "Kapitaal en financiering",
        "5.7": "Samenwerking Rijk, provincie en regio",
    }
    for number, title in expected.items():
        (s,) = _body(sections, number)
        assert s.title == title
        assert s.chapter_number == "5"
        assert s.chapter_title == "Onderhoud van het Twentse ecosysteem"
        assert s.heading_path == ["Onderhoud van het Twentse ecosysteem", title]
    assert [s.number for s in sections if s.number and s.number.startswith("5.")] == list(expected)


def test_number_only_headings_combine_with_title(sections):
    (s31,) = _body(sections, "3.1")
    assert s31.title == "Centrale opgave Twente"
    assert s31.heading_path == ["Doelstelling Twente Board", "Centrale opgave Twente"]
    (s61,) = _body(sections, "6.1")
    assert s61.title == "Focus op impactportfolio's"
    assert s61.chapter_title == "Ontwikkelen van het Twentse ecosysteem"
    assert all(s.title != "3.1" and s.title != "6.1" for s in sections)


def test_unnumbered_subheadings_stay_in_chapter(sections):
    sub = [s for s in sections if s.title == "Twente leeft!"]
    assert len(sub) == 1
    s = sub[0]
    assert s.number == "2" and s.chapter_number == "2"
    assert s.heading_path == ["Strategie in hoofdlijnen", "Twente leeft!"]
    assert s.text.startswith("In Twente staan we daarnaast voor rentmeesterschap.")


def test_last_chapter_and_members(sections):
    tb = [s for s in sections if s.title == "Twente Board"]
    assert len(tb) == 1 and tb[0].number is None and tb[0].kind == "body"
    members = [s for s in sections if s.kind == "members"]
    assert len(members) == 1
    m = members[0]
    assert m.title == "Leden Twente Board" and m.number is None
    assert m.heading_path == ["Twente Board", "Leden Twente Board"]
    assert "Wim Boomkamp, voorzitter Twente Board" in m.text
    assert m.text.rstrip().endswith("Dennis Schipper, founder CEO Demcon")
    assert "**" not in m.title


def test_pull_quotes(sections):
    quotes = [s for s in sections if s.kind == "quote"]
    assert [q.number for q in quotes] == ["1", "2", "4"]
    assert quotes[0].text.startswith("Innovatiekracht, voldoende banen")
    assert quotes[0].title == "Voorwoord"
    assert quotes[1].text == "“Twentse technologie versterkt de innovatieve ontwikkeling van een duurzaam Nederland”"
    assert quotes[1].heading_path == ["Strategie in hoofdlijnen"]
    assert quotes[2].text.startswith("“Wereldwijde maatschappelijke uitdagingen vragen om antwoorden")
    assert quotes[2].chapter_title == "Positionering en functie Twente Board"
    # a quote heading never becomes the title of the text after it
    assert not any("Twentse technologie versterkt" in s.title for s in sections)
    after = next(s for s in sections if s.text.startswith("We hebben hiermee wereldwijd unieke posities"))
    assert after.number == "2" and after.title == "Strategie in hoofdlijnen" and after.kind == "body"


def test_page_break_joins(sections):
    text = "\n".join(s.text for s in sections)
    assert "We stimuleren investeringen in technische innovaties, zetten in op de versnelling" in text
    assert "ook én juist in de nieuwe werkelijkheid na corona." in text
    assert "de functie van de Twente Board in de regio." in text
    assert "(reshoring) en zetten in op het dichterbij produceren" in text
    assert "Oplossingen die in Twente worden ontwikkeld" in text
    assert "voedselvoorziening – en veiligheid, toepassing van dronetechnologie" in text
    assert "op het versterken van ondernemerschap. In de komende jaren werken we aan:" in text


def test_artefacts_removed(sections):
    for s in sections:
        assert "decorative image" not in s.text and "microscopic" not in s.text
        assert "**" not in s.text and "](" not in s.text and "---" not in s.text
        assert not any(line.startswith("#") for line in s.text.split("\n"))
        assert not any(line.strip() == "" and line != "" for line in s.text.split("\n"))
        assert s.text == s.text.strip()
        assert "  " not in s.text
    (s53,) = _body(sections, "5.3")
    assert "De website www.twente.com is een belangrijke tool" in s53.text
    (s32,) = _body(sections, "3.2")
    assert "\n- Techniek als motor: versterken van de technische kracht" in s32.text


def test_offset_map_points_into_document(plan_doc, sections):
    text = plan_doc.text
    for s in sections:
        assert 0 <= s.start < s.end <= len(text)
        for t, ch in enumerate(s.text):
            d = map_offset(s, t)
            assert s.start <= d < s.end
            if ch not in " \n-":
                assert text[d] == ch, (s.number, t, ch, text[d])


def test_sections_in_document_order_and_disjoint(sections):
    for a, b in pairwise(sections):
        assert a.end <= b.start


def test_covers_all_content(plan_doc, sections):
    """Every Dutch sentence start of the source (outside the TOC) is somewhere in a section."""
    import re

    text = "\n".join(s.text for s in sections)
    for para in plan_doc.text.split("\n\n"):
        para = para.strip()
        if not para or para.startswith(("#", "<b>", "\t", "---", "A vertical")):
            continue
        words = re.sub(r"[*#]|\s+", " ", para).split()[:4]
        if words and words[0][0] != "-":
            probe = " ".join(words).replace("**", "")
            assert probe in text, probe


# ----------------------------------------------------------------------------- generic documents


def test_image_descriptions_removed_generically():
    text = (
        "# Plan\n\n## 1 Inleiding\n\nWij werken samen aan een sterke\n\n"
        "A photograph of a modern office building with glass facades and trees in the foreground, "
        "taken from a low angle.\n\n"
        "regio met werk voor iedereen. Dat is ons doel.\n\n"
        "![Logo van de regio](logo.png)\n\n"
        "De regio groeit.\n"
    )
    secs = parse_sections(_doc(text))
    body = next(s for s in secs if s.number == "1")
    assert "Wij werken samen aan een sterke regio met werk voor iedereen." in body.text
    assert "photograph" not in body.text and "Logo" not in body.text and "logo.png" not in body.text


def test_english_document_keeps_english_paragraphs():
    text = "# Report\n\nThe image of the region is strong and it shows in the figures of the year.\n"
    secs = parse_sections(_doc(text))
    assert "The image of the region" in secs[0].text


def test_markdown_without_toc_numbers_from_headings():
    text = (
        "# 1 Inleiding\n\nTekst een.\n\n## 1.1 Doel\n\nTekst twee.\n\n### Detail\n\nTekst drie.\n\n"
        "# 2 Aanpak\n\nTekst vier.\n"
    )
    secs = parse_sections(_doc(text))
    got = [(s.number, s.title, s.heading_path, s.chapter_number, s.chapter_title) for s in secs]
    assert got == [
        ("1", "Inleiding", ["Inleiding"], "1", "Inleiding"),
        ("1.1", "Doel", ["Inleiding", "Doel"], "1", "Inleiding"),
        ("1.1", "Detail", ["Inleiding", "Doel", "Detail"], "1", "Inleiding"),
        ("2", "Aanpak", ["Aanpak"], "2", "Aanpak"),
    ]


def test_number_only_heading_without_title_takes_toc_title():
    text = (
        "# Inhoud\n\n1\tEerste hoofdstuk\t3\n\t1.1 Eerste paragraaf\t3\n\n"
        "# Eerste hoofdstuk\n\nIntro.\n\n## 1.1\n\nTekst van de paragraaf.\n"
    )
    secs = parse_sections(_doc(text))
    assert [(s.number, s.title) for s in secs] == [("1", "Eerste hoofdstuk"), ("1.1", "Eerste paragraaf")]


def test_fuzzy_toc_title_match():
    text = (
        "# Inhoudsopgave\n\n1\tTwenteboard Development\t2\n2\tSlot\t3\n\n"
        "# Twente Board Development\n\nTekst.\n\n# Slot!\n\nEinde.\n\n# Bijlage\n\nExtra.\n"
    )
    secs = parse_sections(_doc(text))
    assert [(s.number, s.title) for s in secs] == [("1", "Twente Board Development"), ("2", "Slot!"), (None, "Bijlage")]


def test_hr_around_long_content_is_not_a_quote():
    long_par = " ".join(["Dit is een gewone zin over beleid."] * 20)
    text = f"# 1 Kop\n\n---\n\n{long_par}\n\n---\n\nMeer tekst.\n"
    secs = parse_sections(_doc(text))
    assert all(s.kind == "body" for s in secs)


def test_plain_text_numbered_headings():
    text = (
        "Titel van de notitie\n\n3 Doelstelling\nWij willen groeien. Dat doen we samen.\n"
        "6.1 Focus op impactportfolio's\nDe focus ligt op drie thema's.\n"
        "Dit is een zin die eindigt met een getal 12.\n"
    )
    secs = parse_sections(_doc(text, fmt="txt", name="n.txt"))
    got = [(s.kind, s.number, s.title) for s in secs]
    assert got == [
        ("front", None, "Testdocument"),
        ("body", "3", "Doelstelling"),
        ("body", "6.1", "Focus op impactportfolio's"),
    ]
    assert secs[2].chapter_number == "6"


def test_setext_and_links_and_emphasis():
    text = "Kop Een\n=======\n\nDit is *nadruk* en **vet** en [een link](http://x.nl) en `code`.\n"
    secs = parse_sections(_doc(text))
    assert secs[0].title == "Kop Een"
    assert secs[0].text == "Dit is nadruk en vet en een link en code."


def test_empty_and_heading_only_documents():
    assert parse_sections(_doc("# Alleen een kop\n")) == []
    secs = parse_sections(_doc("Gewoon tekst zonder koppen.\n", fmt="txt", name="t.txt"))
    assert len(secs) == 1 and secs[0].kind == "body" and secs[0].number is None


def test_toc_title_match_only_where_it_fits():
    text = (
        "# Inhoud\n\n1\tVoorwoord\t2\n2\tWerk\t3\n\t2.1 Talent\t3\n3\tSlot\t4\n\n"
        "# Voorwoord\n\nTekst.\n\n# Werk\n\nIntro.\n\n## Talent\n\nOver talent.\n\n"
        "# Slot\n\nEinde.\n\n### Talent\n\nGeen 2.1 hier.\n\n### Voorwoord\n\nGeen hoofdstuk 1 hier.\n"
    )
    secs = parse_sections(_doc(text))
    got = [(s.number, s.title, s.heading_path) for s in secs]
    assert got == [
        ("1", "Voorwoord", ["Voorwoord"]),
        ("2", "Werk", ["Werk"]),
        ("2.1", "Talent", ["Werk", "Talent"]),
        ("3", "Slot", ["Slot"]),
        ("3", "Talent", ["Slot", "Talent"]),
        ("3", "Voorwoord", ["Slot", "Voorwoord"]),
    ]
