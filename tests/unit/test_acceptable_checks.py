"""Answer-level checks (evals/answer_metrics.py): each can fail on its own."""

from __future__ import annotations

from evals.answer_metrics import answer_checks, first_unit, max_words_for, own_words

LIST_FACTS = [["Digitalisering"], ["Innovatie in de zorg"], ["Circulaire economie"], ["Sleuteltechnologieën"]]
LIST_ANSWER = (
    "Deze impactportfolio's zijn: [1]\n- Digitalisering [1]\n- Innovatie in de zorg [1]\n"
    "- Circulaire economie [1]\n- Sleuteltechnologieën [1]"
)


def checks(answer, **kw):
    base = {
        "answer": answer,
        "refused": False,
        "answerable": True,
        "language": "nl",
        "kind": "list",
        "facts": LIST_FACTS,
        "citation_precision": 1.0,
    }
    base.update(kw)
    return answer_checks(**base)


def test_a_complete_list_in_the_right_language_is_acceptable():
    c = checks(LIST_ANSWER)
    assert c["complete"] and c["first"] and c["length"] and c["cited"] and c["language"] is not False
    assert c["acceptable"] is True


def test_a_missing_item_fails_complete():
    c = checks(LIST_ANSWER.replace("- Circulaire economie [1]\n", ""))
    assert c["complete"] is False and not c["acceptable"]


def test_the_answer_must_come_first():
    padded = "De Twente Board werkt aan de economie van Twente. [2] " + LIST_ANSWER
    c = checks(padded)
    assert c["first"] is False and not c["acceptable"]


def test_language_of_the_answers_own_words():
    english = "The four impact portfolios are: [1]\n- Digitalisering [1]\n- Innovatie in de zorg [1]"
    assert own_words(english).startswith("The four")
    c = checks(
        "De vier impactportfolio's van de Board zijn de volgende en zij zijn: [1]\n- Digitalisering [1]",
        language="en",
        facts=[["Digitalisering"]],
    )
    assert c["language"] is False and not c["acceptable"]
    assert checks(english, language="en", facts=[["Digitalisering"]])["language"] is True


def test_length_and_citations():
    long = "Wim Boomkamp is de voorzitter. [1] " + "Dat staat in het plan en meer. " * 20
    c = checks(long, kind="names", facts=[["Wim Boomkamp"]])
    assert c["length"] is False and not c["acceptable"]
    c = checks("Wim Boomkamp is de voorzitter. [1]", kind="names", facts=[["Wim Boomkamp"]], citation_precision=0.5)
    assert c["cited"] is False and not c["acceptable"]
    c = checks("Wim Boomkamp is de voorzitter.", kind="names", facts=[["Wim Boomkamp"]], citation_precision=None)
    assert not c["acceptable"]  # an answer without citations does not count


def test_yes_no_and_refusals():
    c = checks("Ja, de provincie zit in de Board. [1]", kind="yes_no", facts=[["provincie"]])
    assert c["first"] is True
    assert checks("De provincie zit in de Board. [1]", kind="yes_no", facts=[["provincie"]])["first"] is False
    assert (
        answer_checks(
            answer="", refused=True, answerable=False, language="nl", kind="fact", facts=[], citation_precision=None
        )["acceptable"]
        is True
    )
    assert checks("x", refused=True)["acceptable"] is False


def test_first_unit_takes_the_list_an_intro_announces():
    assert "Digitalisering" in first_unit(LIST_ANSWER)
    assert first_unit("Eerste zin. [1] Tweede zin. [1]") == "Eerste zin."


def test_list_length_grows_with_items():
    assert max_words_for("list", LIST_FACTS) > max_words_for("list", LIST_FACTS[:1])
    assert max_words_for("names", [], 12) == 12


def test_dutch_quoted_in_single_quotes_is_not_the_answers_own_words():
    answer = "Besides income, the Planbureau looks at 'gezondheid en leefomgeving' and 'samenleving en welzijn'. [1]"
    assert "gezondheid" not in own_words(answer) and "looks at" in own_words(answer)
    assert checks(answer, language="en", facts=[["gezondheid"]])["language"] is True
    assert (
        own_words("The Board's four portfolio's are what it's about.")
        == "The Board's four portfolio's are what it's about."
    )
