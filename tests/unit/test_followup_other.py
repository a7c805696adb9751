"""A follow-up that asks for "another" thing leaves out what the previous answer said
(assistant/answering/followup.py)."""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answering.followup import besides_previous, said_before
from assistant.schema import ChatMessage


@dataclass
class Line:
    text: str


MEMBERS = [
    Line("Onno van Veldhuizen, burgemeester Enschede en voorzitter Regio Twente"),
    Line("John Joosten, burgemeester Dinkelland"),
]


def history(answer: str) -> list[ChatMessage]:
    return [
        ChatMessage(role="user", content="Wie is Onno van Veldhuizen?"),
        ChatMessage(role="assistant", content=answer),
    ]


def test_another_leaves_out_the_line_the_previous_answer_paraphrased():
    kept = besides_previous(
        MEMBERS,
        "En welke andere burgemeester zit er in de board?",
        history("Onno van Veldhuizen is mayor of Enschede and chair of Regio Twente."),
    )
    assert kept == [MEMBERS[1]]


def test_another_leaves_out_what_the_previous_answer_quoted_with_markers():
    items = [
        Line("- Sleuteltechnologieën: Focus ligt op fotonica, nanotechnologie en artificiële intelligentie (AI)."),
        Line("- Digitalisering: Focus ligt op digitalisering, robotica, artificiële intelligentie (AI)."),
    ]
    answer = "Fotonica, nanotechnologie en artificiële intelligentie (AI). [1]"
    assert besides_previous(items, "In welk ander portfolio komt AI voor?", history(answer)) == [items[1]]


def test_a_question_not_asking_for_another_keeps_everything():
    answer = "Onno van Veldhuizen is burgemeester van Enschede."
    assert besides_previous(MEMBERS, "Welke burgemeester zit in de board?", history(answer)) == MEMBERS


def test_nothing_is_left_out_when_that_would_leave_nothing():
    answer = "Onno van Veldhuizen, burgemeester Enschede en voorzitter Regio Twente [1] John Joosten, burgemeester Dinkelland [1]"
    assert besides_previous(MEMBERS, "Which other mayor is there?", history(answer)) == MEMBERS


def test_said_before_needs_most_of_the_words():
    assert said_before(MEMBERS[0].text, "Onno van Veldhuizen, burgemeester van Enschede")
    assert not said_before(MEMBERS[1].text, "Onno van Veldhuizen, burgemeester van Enschede")
    assert not said_before("De Board investeert in talent.", "")
