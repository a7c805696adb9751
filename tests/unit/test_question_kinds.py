"""The kind of answer a question asks for, in Dutch and English (assistant/answering/question.py)."""

from __future__ import annotations

import pytest

from assistant.answering.question import analyse


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Welke vier impactportfolio's noemt het plan?", "list"),
        ("Which four impact portfolios does the plan name?", "list"),
        ("Wat zijn de centrale actielijnen?", "list"),
        ("Welke regionale actoren zijn er voor talent?", "list"),
        ("Welke monitor gebruikt de Board?", "fact"),
        ("Which monitor does the Board use?", "fact"),
        ("Wie is de voorzitter van de Twente Board?", "names"),
        ("Which organisations support start-ups?", "names"),
        ("Met welke gemeenten werkt Twente samen?", "names"),
        ("En welke andere burgemeester zit er nog in de board?", "names"),
        ("Which mayor sits on the board?", "names"),
        ("In welk jaar eindigt het plan?", "date"),
        ("When does the plan end?", "date"),
        ("Hoeveel topwerklocaties zijn er?", "amount"),
        ("How many action lines are there?", "amount"),
        ("Wat wordt bedoeld met noaberschap?", "definition"),
        ("Wat verstaat de Board onder brede welvaart?", "definition"),
        ("What does the plan mean by nearshoring?", "definition"),
        ("Wat is een impactportfolio?", "definition"),
        ("What is the support for entrepreneurs aimed at?", "fact"),
        ("What is the Twente Index used for?", "fact"),
        ("What are the four impact portfolios that Twente is focusing on?", "list"),
        ("Wat zijn de drie doelen die het plan noemt?", "list"),
        ("Waarom is samenwerking nodig?", "reason"),
        ("Why does the Board invest in talent?", "reason"),
        ("Hoe werkt de Board samen met het Rijk?", "how"),
        ("How does the Board attract companies?", "how"),
        ("Wat zegt het plan over Europa?", "overview"),
        ("What does the plan say about healthcare?", "overview"),
        ("Is de provincie lid van de Board?", "yes_no"),
        ("Does the plan mention Germany?", "yes_no"),
        ("Waar richt de lobby zich op?", "fact"),
    ],
)
def test_kind(question, kind):
    assert analyse(question).kind == kind


def test_count_and_term():
    assert analyse("Welke vier topwerklocaties noemt het plan?").count == 4
    assert analyse("Name the three focus points").count == 3
    assert (
        analyse("Wat wordt in het plan bedoeld met het triple helix-ecosysteem?").term == "het triple helix-ecosysteem"
    )
    assert analyse("What does the plan say about the energy transition?").term == "the energy transition"
    assert analyse("What does the plan say about the energy transition?").language == "en"
    assert analyse("Wat zegt het plan over Europa?").language == "nl"


def test_many():
    assert analyse("Welke partijen zitten erin?").wants_many
    assert analyse("Welke drie dingen noemt het voorwoord?").wants_many
    assert not analyse("Waarom is samenwerking nodig?").wants_many


@pytest.mark.parametrize(
    ("question", "second"),
    [
        (
            "Welke kansen bood de crisis voor medische technologie, en in welk portfolio komt dat terug?",
            "In welk portfolio komt dat terug?",
        ),
        ("What effect does the crisis have on jobs, and how does the Board respond?", "How does the Board respond?"),
        ("Wat zijn de actielijnen voor techniek en voor talent?", None),
        ("Wie en wat?", None),
        ("Welke partijen werken samen en bouwen aan netwerken?", None),
    ],
)
def test_the_second_of_two_joined_questions(question, second):
    from assistant.answering.question import second_question

    assert second_question(question) == second
