"""`Citation.location()`: where in the document a citation points, as shown to people."""

from __future__ import annotations

import pytest

from assistant.schema import Citation

DOC = "Toonaangevende groene technologische topregio"


def cite(**kw) -> Citation:
    return Citation(id=1, document=kw.pop("document", DOC), document_id="plan", text="tekst", score=0.5, **kw)


@pytest.mark.parametrize(
    "kw, expected",
    [
        (
            {"section": "6.1", "section_title": "Focus op impactportfolio's", "page": 21},
            "§6.1 Focus op impactportfolio's, p. 21",
        ),
        ({"section": "6.1", "section_title": "Focus op impactportfolio's"}, "§6.1 Focus op impactportfolio's"),
        ({"section": "6.1", "page": 21}, "§6.1, p. 21"),
        ({"section_title": "Voorwoord", "page": 4}, "Voorwoord, p. 4"),
        ({"section": "2"}, "§2"),
        ({"section_title": "Voorwoord"}, "Voorwoord"),
        ({"page": 3}, "p. 3"),
        ({"page": 0}, "p. 0"),  # page 0 is a page, not "no page"
        ({}, ""),
    ],
)
def test_location_parts(kw, expected):
    assert cite(**kw).location() == expected


@pytest.mark.parametrize("title", [DOC, f"  {DOC} ", f"{DOC}\n"])
def test_a_title_equal_to_the_document_title_is_not_repeated(title):
    assert cite(section_title=title).location() == ""
    assert cite(section_title=title, page=1).location() == "p. 1"
    assert cite(section="1", section_title=title, page=1).location() == "§1, p. 1"


def test_a_title_that_only_contains_the_document_title_is_shown():
    assert cite(section_title=f"{DOC} (samenvatting)").location() == f"{DOC} (samenvatting)"


def test_other_words_for_section_and_page():
    c = cite(section="5.4", section_title="Twenteboard Development", page=16)
    assert c.location(section_sign="Sectie ", page_word="pagina") == "Sectie 5.4 Twenteboard Development, pagina 16"
