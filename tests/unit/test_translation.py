"""English answers by checked translation (assistant/answering/translation.py, service)."""

from __future__ import annotations

from support.config import ingest_plan, make_settings
from support.fakes import FakeEmbedder, FakeGenerator

from assistant.answering.prompts import TEXTS, WRITER
from assistant.answering.translation import checked_translations, parse_numbered, translation_messages
from assistant.services import Services


def test_the_reply_is_read_by_its_numbers_and_junk_is_ignored():
    reply = "Here you go:\n1. The first.\n3) The third.\n1. A second try at the first.\n7. Out of range."
    assert parse_numbered(reply, 3) == {1: "The first.", 3: "The third."}


def test_a_reply_without_numbers_is_read_line_by_line_when_the_count_matches():
    assert parse_numbered("The Board wants growth.", 1) == {1: "The Board wants growth."}
    assert parse_numbered("One.\nTwo.", 2) == {1: "One.", 2: "Two."}
    assert parse_numbered("One.\nTwo.\nThree.", 2) == {}


def test_the_prompt_numbers_each_sentence_on_its_own_line():
    messages = translation_messages(["Een  zin.", "Nog een\nzin."])
    assert messages[0]["content"].startswith("Translate each numbered Dutch sentence")
    assert messages[1]["content"] == "1. Een zin.\n2. Nog een zin."


def test_a_translation_that_drifts_from_its_source_is_dropped():
    embedder = FakeEmbedder()
    sources = ["Wim Boomkamp is voorzitter van de Twente Board.", "De regio telt vier topwerklocaties."]
    reply = "1. Wim Boomkamp is chair of the Twente Board.\n2. Bananas grow in warm countries."
    kept, dropped = checked_translations(sources, reply, embedder, min_similarity=0.5)
    assert kept == {sources[0]: "Wim Boomkamp is chair of the Twente Board."}
    assert dropped == ["Bananas grow in warm countries."]


def test_an_english_question_gets_the_composed_answer_translated(tmp_path):
    embedder = FakeEmbedder()
    data_dir = ingest_plan(tmp_path, embedder)

    def reply(messages):
        assert messages[0]["content"].startswith("Translate each numbered")
        lines = messages[1]["content"].splitlines()
        # a "translation" that keeps the source's words (the fake embedder compares words)
        return "\n".join(f"{line} (in English)" for line in lines)

    gen = FakeGenerator(reply)
    settings = make_settings(data_dir, english_answers="translate", translation_min_similarity=0.5)
    svc = Services(settings, embedder=embedder, generators={"llamacpp": gen})
    answer = svc.answers.ask(
        "Which organisation supports the Twente Board in carrying out its plans?", backend="llamacpp"
    )
    assert answer.status == "answered" and answer.backend == "llamacpp"
    assert "(in English)" in answer.answer and not answer.answer.startswith(TEXTS["en"]["quoted"])
    assert answer.citations and "[1]" in answer.answer

    drifting = FakeGenerator("1. Bananas grow in warm countries.")
    svc = Services(settings, embedder=embedder, generators={"llamacpp": drifting})
    quoted = svc.answers.ask(
        "Which organisation supports the Twente Board in carrying out its plans?", backend="llamacpp"
    )
    assert quoted.answer.startswith(TEXTS["en"]["quoted"])  # nothing translated: the Dutch quote, said so
    assert quoted.flagged_sentences == ["Bananas grow in warm countries."]


def test_when_no_written_sentence_is_supported_the_composed_answer_is_translated(tmp_path):
    embedder = FakeEmbedder()
    data_dir = ingest_plan(tmp_path, embedder)

    def translate(messages):
        return "\n".join(f"{line} (in English)" for line in messages[1]["content"].splitlines())

    gen = FakeGenerator(["Bananas grow in warm countries. [1]", translate])
    settings = make_settings(data_dir, english_answers="write", translation_min_similarity=0.5)
    svc = Services(settings, embedder=embedder, generators={"llamacpp": gen})
    answer = svc.answers.ask(
        "Which organisation supports the Twente Board in carrying out its plans?", backend="llamacpp"
    )
    assert [c["messages"][0]["content"].split()[0] for c in gen.calls] == [WRITER["en"].split()[0], "Translate"]
    assert "(in English)" in answer.answer and "Bananas" not in answer.answer
    again = Services(
        settings, embedder=embedder, generators={"llamacpp": FakeGenerator(["Bananas grow. [1]", translate])}
    )
    events = [e.type for e in again.answers.stream("Which organisation supports the Twente Board?", backend="llamacpp")]
    assert events.count("sources") == 1 and events[-1] == "final"


def test_a_member_line_span_is_exact_and_a_plain_sentence_is_not():
    from assistant.answering.compose import compose_span
    from assistant.answering.evidence import ScoredSentence
    from assistant.answering.question import analyse

    line = ScoredSentence(
        "Wim Boomkamp, voorzitter Twente Board", 0, 0, 0.9, 0.9, 0.0, "M", "Leden Twente Board", "members"
    )
    other = ScoredSentence(
        "Anka Mulder, voorzitter college van bestuur Saxion",
        0,
        1,
        0.88,
        0.88,
        0.0,
        "M",
        "Leden Twente Board",
        "members",
    )
    assert compose_span(analyse("Who chairs the Twente Board?"), [line, other]).exact
    body = ScoredSentence("De Twente Board heeft een ambitie.", 0, 0, 0.9, 0.9, 0.0, "B", "§2", "body")
    assert not compose_span(analyse("What is the Board's ambition?"), [body]).exact


def test_an_english_list_of_named_items_translates_the_intro_and_the_names_only(tmp_path):
    embedder = FakeEmbedder()
    data_dir = ingest_plan(tmp_path, embedder)
    sent: list[str] = []

    def reply(messages):
        lines = messages[1]["content"].splitlines()
        sent.extend(lines)
        return "\n".join(f"{line} (in English)" for line in lines)

    settings = make_settings(data_dir, translation_min_similarity=0.5)
    svc = Services(settings, embedder=embedder, generators={"llamacpp": FakeGenerator(reply)})
    answer = svc.answers.ask("What are the 4 centrale actielijnen of the regionale investeringen?", backend="llamacpp")
    assert answer.status == "answered"
    # the model was asked for the intro and the four names, not for the explanations
    assert len(sent) == 5 and not any("technische kracht" in line for line in sent)
    assert answer.answer.splitlines()[1:] == [
        "- Techniek als motor (in English) [1]",
        "- Arbeidsmarkt & Talent (in English) [1]",
        "- Bereikbaarheid & Vestigingsklimaat (in English) [1]",
        "- Circulaire economie & Duurzaamheid (in English) [1]",
    ]
