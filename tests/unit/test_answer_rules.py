"""Rules of the answering stage that need no index and no model: follow-up condensing, output
cleaning, number words, and the role, membership and date checks of the "not found" judge.

Moved from tests/integration/test_answering.py."""

from __future__ import annotations

import pytest

from assistant.answering.evidence import _ASKS_COMPLETION_TIME, membership_found, role_holder_found
from assistant.answering.followup import condense, enumeration, is_follow_up
from assistant.answering.markers import enumerated_names, has_number
from assistant.answering.text import clean_output
from assistant.schema import ChatMessage


def test_condense_rules():
    history = [
        ChatMessage(role="user", content="Which impact portfolios are there?"),
        ChatMessage(
            role="assistant", content="- Digitalisering [1]\n- Innovatie in de zorg [1]\n- Circulaire economie [1]"
        ),
    ]
    assert condense("And the last one?", history).startswith("Circulaire economie")
    assert enumeration("De vier zijn A, B, C en D.") == ["A", "B", "C", "D"]
    assert not is_follow_up(
        "Wat zijn de vier centrale actielijnen van de Twente Board in het plan 2020-2025 voor de regio?"
    )
    assert condense("Wat zijn de impactportfolio's?", history) == "Wat zijn de impactportfolio's?"


def test_clean_output_strips_html():
    assert clean_output("a <script>x</script> b <b>c</b> 1 < 2") == "a x b c 1 &lt; 2"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plaats voor tweeduizend fietsen", True),
        ("vijfentwintig nieuwe banen", True),
        ("driehonderdvijftig woningen", True),
        ("11 banen", True),
        ("zeventien partners", True),
        ("€ 2,5 miljoen", True),
        ("Beide investeringsprogramma's worden benut", True),
        ("both programmes", True),
        ("de beiaard", False),
        ("een stalling en een plein", False),
        ("geen idee", False),
        ("de gemeente Twente", False),
        ("Een Twentse regio", False),
    ],
)
def test_amount_questions_accept_dutch_number_words(text, expected):
    """An amount question needs a number in its evidence; Dutch writes numbers as one word."""
    assert has_number(text) is expected


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("De programma's Regio Deal Twente en de Agenda voor Twente vormen de basis.", 2),
        ("De portfolio's sturen de actielijnen 'Techniek als motor' en 'Circulaire economie & duurzaamheid'.", 2),
        ("Het plan noemt Enschede, Hengelo en Almelo.", 3),
        ("Wim Boomkamp en Onno van Veldhuizen zitten in de board.", 0),  # the opening word is no name
        ("We werken samen met Duitsland en andere internationale partners.", 0),
        ("Hier werken Saxion en de UT met Novel-T en Kennispunt.", 0),  # two enumerations: which is counted?
    ],
)
def test_names_enumerated_in_a_sentence(text, names):
    assert len(enumerated_names(text)) == names


def test_only_the_opening_of_a_very_long_sentence_is_read_for_names():
    tail = "Almelo, Hengelo en Enschede."
    assert len(enumerated_names("Het plan noemt de steden " + tail)) == 3
    assert enumerated_names("Het plan noemt " + "de stad Twente, " * 60 + "en de steden " + tail) == []


MEMBERS = [
    "Wim Boomkamp, voorzitter Twente Board",
    "Onno van Veldhuizen, burgemeester Enschede en voorzitter Regio Twente",
    "Daarbij fungeert de Young Twente Board als alert klankbord voor de board.",
]


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Wie is de voorzitter van de Twente Board?", True),
        ("Who chairs the Twente Board?", True),
        ("Who is the chair of Regio Twente?", True),
        ("Wie is de burgemeester van Enschede?", True),
        ("Wie is de voorzitter van de Young Twente Board?", False),  # the chair named is another board's
        ("Who is the mayor of Hengelo?", False),  # a mayor is named, of another town
        ("Wat doet de Twente Board?", None),
        ("Wie regelt het dagelijkse werk?", None),
    ],
)
def test_role_holder_questions_need_the_role_for_what_was_asked(question, found):
    assert role_holder_found(question, MEMBERS) is found


@pytest.mark.parametrize(
    ("question", "asks_date"),
    [
        ("Wanneer is de verdubbeling van het spoor tussen Zwolle en Enschede klaar?", True),
        ("When will the railway be finished?", True),
        ("Wanneer gaat het nieuwe station open?", True),
        ("Wanneer krijgt een project geld?", False),  # a condition, not a moment
        ("Wanneer past een idee bij een portfolio?", False),
    ],
)
def test_completion_questions_ask_for_a_date(question, asks_date):
    assert bool(_ASKS_COMPLETION_TIME.search(question)) is asks_date


@pytest.mark.parametrize(
    ("question", "found"),
    [
        ("Welke leden zitten er in de Young Twente Board?", False),
        ("Which companies are members of Pioneering?", False),
        ("Wie zijn de leden van de Twente Board?", True),
        ("Who are the members of the Twente Board?", True),
        ("Wie zitten er in de Twente Board?", True),
        ("Wat doet Pioneering?", None),
        ("Wie is namens Saxion Hogeschool lid van de Twente Board?", None),
    ],
)
def test_member_questions_need_the_membership_of_what_was_asked(question, found):
    texts = [
        "Leden Twente Board",
        *MEMBERS,
        "De regionale actoren voor deze activiteiten zijn onder andere Novel-T, OostNL, Pioneering en WTC.",
    ]
    assert membership_found(question, texts) is found


def test_a_member_line_answers_who_or_about_the_person_named_and_nothing_else():
    from assistant.answering.evidence import ScoredSentence, member_line_off_question

    line = ScoredSentence("Dennis Schipper, founder CEO Demcon", 0, 0, 0.9, 0.9, 0.0, "M", "Leden", "members")
    body = ScoredSentence("Demcon maakt robots.", 0, 0, 0.9, 0.9, 0.0, "B", "§2", "body")
    assert member_line_off_question("What products does Demcon make?", line)
    assert member_line_off_question("Kun je een restaurant in Enschede aanraden?", line)
    assert not member_line_off_question("Wie is de CEO van Demcon?", line)  # a who-question
    assert not member_line_off_question("Wat is de functie van Dennis Schipper?", line)  # the person named
    assert not member_line_off_question("What products does Demcon make?", body)  # not a member line


def test_a_pronoun_follow_up_names_the_person_of_the_previous_answer():
    history = [
        ChatMessage(role="user", content="Wie is de voorzitter van de Twente Board?"),
        ChatMessage(role="assistant", content="Wim Boomkamp, voorzitter Twente Board [1]"),
    ]
    assert (
        condense("Wat schrijft hij over de coronacrisis?", history) == "Wat schrijft Wim Boomkamp over de coronacrisis?"
    )


def test_a_prose_list_keeps_items_that_hold_and_or_a_bracketed_aside_whole():
    asides = (
        "Four things: knowledge and technology transfer, direct support for entrepreneurs "
        "(ondernemersloket, one-to-one support, start-up and growth programmes), clusters of companies, "
        "and guidance and access to finance."
    )
    assert enumeration(asides) == [
        "knowledge and technology transfer",
        "direct support for entrepreneurs (ondernemersloket, one-to-one support, start-up and growth programmes)",
        "clusters of companies",
        "guidance and access to finance",
    ]
    dutch = (
        "Aantrekken van talent en kenniswerkers, groei van het aantal studenten, inzetbaarheid, en Twente als hotspot."
    )
    assert enumeration(dutch)[2] == "inzetbaarheid"
    assert enumeration("Onno van Veldhuizen (mayor of Enschede and chair of Regio Twente) and John Joosten.") == [
        "Onno van Veldhuizen (mayor of Enschede and chair of Regio Twente)",
        "John Joosten",
    ]
    # a clause too long to be an item: no list, rather than a list whose numbering is shifted
    assert (
        enumeration("A, B, and then the board will work on many more things for the region in the years ahead.") == []
    )


def test_the_third_one_of_a_prose_answer_is_its_third_item():
    history = [
        ChatMessage(role="user", content="Welke accenten legt de board?"),
        ChatMessage(
            role="assistant",
            content="Aantrekken van talent en kenniswerkers, groei van het aantal studenten, inzetbaarheid van de workforce, en Twente als hotspot. [1]",
        ),
    ]
    assert (
        condense("What does the third one mean?", history)
        == "inzetbaarheid van de workforce: What does the third one mean?"
    )


def test_die_twee_stands_for_the_two_things_the_previous_answer_named():
    history = [
        ChatMessage(role="user", content="Welke investeringsprogramma's noemt het plan?"),
        ChatMessage(
            role="assistant", content="De Regio Deal Twente en de Agenda voor Twente; samen vormen ze de basis."
        ),
    ]
    assert (
        condense("Hoe verhouden die twee zich?", history)
        == "Hoe verhouden Regio Deal Twente en Agenda voor Twente zich?"
    )
    english = [history[0], ChatMessage(role="assistant", content="- Regio Deal Twente [1]\n- Agenda voor Twente [1]")]
    assert condense("How do those two relate?", english) == "How do Regio Deal Twente and Agenda voor Twente relate?"


def test_a_reference_with_nothing_to_resolve_falls_back_to_the_previous_question():
    history = [
        ChatMessage(role="user", content="Wat doet de Twente Board?"),
        ChatMessage(role="assistant", content="de board verbindt partijen [1]"),
    ]
    assert condense("Wat schrijft hij erover?", history) == "Wat doet de Twente Board? Wat schrijft hij erover?"
