"""Several documents: which document a question names, answers that name the document of each
statement, and whole-section questions (target and overview), on made-up chunks."""

from __future__ import annotations

import pytest
from support.fakes import FakeEmbedder

from assistant.answering.documents import DocumentNames, name_documents, terms
from assistant.answering.sections import asks_whole, find_target, overview
from assistant.answering.sentence_bank import SentenceBank
from assistant.schema import Citation
from ingest.dutch import Analyzer
from ingest.model import Chunk

DOCS = {
    "plan": {"title": "Toonaangevende groene technologische topregio", "path": "twente-board-strategisch-plan.md"},
    "notitie": {"title": "Notitie Regio Deal Twente", "path": "uploads/notitie-regio-deal.docx"},
    "agenda": {"title": "Uitvoeringsagenda Arbeidsmarkt Twente 2024", "path": "agenda.pdf"},
}
NAMES = DocumentNames.build(DOCS)


@pytest.mark.parametrize(
    ("question", "named"),
    [
        ("Wat staat er in de notitie over de financiën?", ["notitie"]),
        ("Summarise the Regio Deal paper", ["notitie"]),
        ("Wat zegt het plan over talent?", ["plan"]),
        ("Welke actielijnen noemt de agenda?", ["agenda"]),
        ("What does the labour-market agenda say about talent?", ["agenda"]),
        ("Wat doet de regio aan de arbeidsmarkt?", []),  # a topic word of a title names nothing
        ("Hoeveel geld gaat naar de Regio Deal?", []),  # distinctive words, but no word for a document
        ("Wat staat er in het document?", []),  # a general word alone: which one?
    ],
)
def test_a_question_names_documents(question, named):
    assert NAMES.named_in(question) == named


def test_one_document_names_nothing():
    assert DocumentNames.build({"plan": DOCS["plan"]}).named_in("Vat het plan samen") == []


def test_terms_fold_plurals_and_fillers():
    assert terms("de Regio Deals van Twente") == {"regio", "deal", "twente"}


def cite(n: int, doc: str) -> Citation:
    return Citation(id=n, document=DOCS[doc]["title"], document_id=doc, text="t", score=1.0)


def test_name_documents_only_when_more_than_one_document_is_cited():
    one = "Een zin. [1] Nog een. [2]"
    assert name_documents(one, [cite(1, "plan"), cite(2, "plan")]) == one
    text = "De notitie vraagt € 25 miljoen. [1] Het fonds start in 2025. [2] Het plan kiest vier portfolio's. [3]"
    named = name_documents(text, [cite(1, "notitie"), cite(2, "notitie"), cite(3, "plan")])
    assert named == (
        "De notitie vraagt € 25 miljoen. (Notitie Regio Deal Twente) [1] Het fonds start in 2025. [2] "
        "Het plan kiest vier portfolio's. (Toonaangevende groene technologische topregio) [3]"
    )


def chunk(doc: str, ordinal: int, number: str | None, title: str, text: str, chapter: str | None = None) -> Chunk:
    chapter = chapter if chapter is not None else (number.split(".")[0] if number else None)
    return Chunk(
        chunk_id=f"{doc}-{ordinal}",
        doc_id=doc,
        doc_title=DOCS[doc]["title"],
        ordinal=ordinal,
        text=text,
        section_number=number,
        section_title=title,
        chapter_number=chapter,
        chapter_title={"5": "Onderhoud", "6": "Ontwikkelen", "1": "Aanleiding", "2": "Financien"}.get(
            chapter or "", ""
        ),
        heading_path=title,
        kind="body",
        start=0,
        end=len(text),
    )


CHUNKS = [
    chunk("plan", 0, "5", "Onderhoud", "In het onderhoud richt de Board zich op goede condities voor ondernemers."),
    chunk(
        "plan", 1, "5.1", "Innovatie", "Innovatieve bedrijven zijn de motor van de Twentse economie. Meer zinnen hier."
    ),
    chunk(
        "plan",
        2,
        "5.2",
        "Talent",
        "Bij talent gaat het om voldoende ontwikkeld menselijk kapitaal.\nDe lijst:\n- studenten\n- werkenden",
    ),
    chunk(
        "plan", 3, "6.1", "Impactportfolio's", "De regio profileert zich scherp met vier impactportfolio's vanaf 2020."
    ),
    chunk("notitie", 0, "1", "Aanleiding", "In juli 2019 sloten Rijk en regio de eerste Regio Deal Twente."),
    chunk("notitie", 1, "2", "Financien", "Voor de tweede tranche vraagt de regio het Rijk om 25 miljoen euro."),
]
ANALYZER = Analyzer()


@pytest.mark.parametrize(
    ("question", "whole"),
    [
        ("Vat hoofdstuk 5 samen", True),
        ("Wat staat er in 6.1?", True),
        ("Waar gaat hoofdstuk 5 over?", True),
        ("Summarise chapter 5", True),
        ("Wat zegt het plan over talent?", False),  # a topic: answered by retrieval
        ("Wat staat er in hoofdstuk 5 over talent?", False),
        ("Wie is de voorzitter?", False),
        ("Vat hoofdstuk 5 voor mij samen", True),  # "voor mij" is no topic
        ("Summarise chapter 5 for me", True),
    ],
)
def test_what_asks_for_a_whole_section(question, whole):
    assert asks_whole(question) is whole


def test_a_section_number_targets_its_subsections_in_the_scope():
    target = find_target("Vat hoofdstuk 5 samen", CHUNKS, NAMES, ANALYZER, None)
    assert target is not None and {c.section_number for c in target.chunks} == {"5", "5.1", "5.2"}
    assert target.label == "5 (Onderhoud)"
    scoped = find_target("Vat hoofdstuk 5 samen", CHUNKS, NAMES, ANALYZER, frozenset({"notitie"}))
    assert scoped is not None and scoped.missing == "5" and not scoped.chunks


def test_a_number_in_two_documents_takes_both_unless_one_is_named():
    both = find_target(
        "Vat hoofdstuk 1 samen", [*CHUNKS, chunk("plan", 9, "1", "Voorwoord", "x y z")], NAMES, ANALYZER, None
    )
    assert both is not None and {c.doc_id for c in both.chunks} == {"plan", "notitie"}
    named = find_target("Vat hoofdstuk 1 van de notitie samen", CHUNKS, NAMES, ANALYZER, None)
    assert named is not None and {c.doc_id for c in named.chunks} == {"notitie"}


def test_a_named_document_is_summarised_by_chapter():
    target = find_target("Summarise the Regio Deal paper", CHUNKS, NAMES, ANALYZER, None)
    assert target is not None and target.by_chapter and {c.doc_id for c in target.chunks} == {"notitie"}
    topic = find_target("Wat staat er in de notitie over de Regio Deal?", CHUNKS, NAMES, ANALYZER, None)
    assert topic is not None and topic.by_chapter  # the topic is what the note is about
    assert find_target("Wat staat er in de notitie over de financiën?", CHUNKS, NAMES, ANALYZER, None) is None


def test_a_section_title_is_a_target():
    target = find_target("Vat de paragraaf Talent samen", CHUNKS, NAMES, ANALYZER, None)
    assert target is not None and {c.section_number for c in target.chunks} == {"5.2"}


def test_the_overview_has_one_cited_line_per_subsection():
    target = find_target("Vat hoofdstuk 5 samen", CHUNKS, NAMES, ANALYZER, None)
    assert target is not None
    result = overview(target, SentenceBank(FakeEmbedder()), "nl")
    assert result.intro == "Hoofdstuk 5 (Onderhoud) in het kort:"
    assert result.span.overview
    assert [s.text for s in result.span.sentences] == [
        "In het onderhoud richt de Board zich op goede condities voor ondernemers.",
        "Innovatieve bedrijven zijn de motor van de Twentse economie.",
        "Bij talent gaat het om voldoende ontwikkeld menselijk kapitaal.",
    ]
    assert len(result.retrieval.passages) == 3


def test_one_section_gives_its_paragraph_leads_and_items():
    target = find_target("Wat staat er in 5.2?", CHUNKS, NAMES, ANALYZER, None)
    assert target is not None
    result = overview(target, SentenceBank(FakeEmbedder()), "en")
    assert result.intro == "Section 5.2 (Talent) in brief:"
    assert [s.text for s in result.span.sentences] == [
        "Bij talent gaat het om voldoende ontwikkeld menselijk kapitaal.",
        "- studenten",
        "- werkenden",
    ]


def test_a_named_document_outside_the_scope_is_no_target():
    assert find_target("Summarise the Regio Deal paper", CHUNKS, NAMES, ANALYZER, frozenset({"plan"})) is None


@pytest.mark.parametrize(
    "question",
    [
        "Geef een overzicht van de 1.500 extra stageplekken",  # a thousands group
        "Give an overview of the 2.5 million euro budget",  # a figure with a unit
        "Wat staat er in het plan voor het mkb?",  # a topic after "voor"
        "What's in the plan for students?",
    ],
)
def test_numbers_and_topics_that_are_no_whole_section(question):
    assert find_target(question, CHUNKS, NAMES, ANALYZER, None) is None


def test_a_title_starting_with_a_year_gets_no_chapter_word():
    docs = {"visie": {"title": "2030 Visie Twente", "path": "visie.md"}}
    target = find_target(
        "Vat het document samen",
        [chunk("plan", 0, "1", "Doel", "Een zin met genoeg woorden erin hier.")],
        DocumentNames.build(docs),
        ANALYZER,
        None,
    )
    assert target is not None and target.number is None
    target.label = "2030 Visie Twente"
    assert overview(target, SentenceBank(FakeEmbedder()), "nl").intro == "2030 Visie Twente in het kort:"
