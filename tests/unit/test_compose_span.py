"""Question-aware composition on hand-made evidence (assistant/answering/compose.py)."""

from __future__ import annotations

from assistant.answering.compose import compose_span, writer_evidence
from assistant.answering.evidence import ScoredSentence
from assistant.answering.lists import list_blocks
from assistant.answering.question import analyse


def s(text: str, score: float, passage: int = 0, position: int = 0, section: str = "A") -> ScoredSentence:
    return ScoredSentence(text, passage, position, score, score, 0.0, section, f"§{section}")


LIST = [
    s("De Twente Board werkt aan vier impactportfolio's.", 0.90, 0, 0),
    s("Deze impactportfolio's zijn:", 0.86, 0, 1),
    s("- Digitalisering;", 0.84, 0, 2),
    s("- Innovatie in de zorg;", 0.83, 0, 3),
    s("- Circulaire economie;", 0.82, 0, 4),
    s("- Sleuteltechnologieën.", 0.82, 0, 5),
    s("Elders in het plan gaat het over talent.", 0.89, 1, 0, "B"),
]


def texts(span):
    return [x.text for x in span.sentences]


def test_a_list_question_gets_the_whole_list_with_its_intro_and_nothing_else():
    span = compose_span(analyse("Welke vier impactportfolio's zijn er?"), LIST)
    assert texts(span) == [x.text for x in LIST[1:6]]


def test_list_blocks_are_found_per_passage():
    (block,) = list_blocks(LIST)
    assert block[0].text.endswith(":") and len(block) == 5


def test_a_fact_question_gets_the_best_sentence_without_padding():
    sentences = [
        s("De Twente Board wordt voorgezeten door Wim Boomkamp.", 0.90, 0, 0),
        s("Kennispunt Twente stelt de index samen.", 0.86, 0, 1),
        s("Talent is belangrijk.", 0.89, 1, 0, "B"),
    ]
    span = compose_span(analyse("Door wie wordt de Board voorgezeten?"), sentences)
    assert texts(span) == [sentences[0].text]


def test_a_sentence_that_announces_a_list_brings_the_list():
    span = compose_span(analyse("Waar werkt de Twente Board aan?"), LIST)
    assert texts(span) == [x.text for x in LIST[:6]]


def test_a_list_of_other_things_after_the_answer_sentence_is_left_out():
    sentences = [
        s("De ondersteuning van ondernemers is gericht op het aanjagen van innovatie.", 0.90, 0, 0),
        s("In de komende jaren werken we aan:", 0.895, 0, 1),
        s("- Kennis en technologie transfer;", 0.84, 0, 2),
        s("- Directe ondersteuning van ondernemers.", 0.83, 0, 3),
    ]
    assert texts(compose_span(analyse("Waar is de ondersteuning van ondernemers op gericht?"), sentences)) == [
        sentences[0].text
    ]
    # asked how, the list after the sentence is how it is done
    assert len(texts(compose_span(analyse("Hoe ondersteunt de Board ondernemers?"), sentences))) == 4


def test_a_date_question_prefers_the_sentence_with_a_date():
    sentences = [
        s("Het plan gaat over de toekomst van Twente.", 0.90),
        s("Het plan loopt van 2020 tot 2025.", 0.87, position=1),
    ]
    assert texts(compose_span(analyse("In welk jaar eindigt het plan?"), sentences)) == [
        "Het plan loopt van 2020 tot 2025."
    ]


def test_a_definition_takes_the_naming_sentence_and_the_one_that_explains():
    sentences = [
        s("Samenwerking staat centraal.", 0.91, position=0),
        s("In Twente hebben we noaberschap.", 0.88, position=1),
        s("Het betekent dat buren elkaar helpen.", 0.80, position=2),
    ]
    span = compose_span(analyse("Wat wordt bedoeld met noaberschap?"), sentences)
    assert texts(span) == ["In Twente hebben we noaberschap.", "Het betekent dat buren elkaar helpen."]


def test_an_overview_gives_one_line_per_section():
    sentences = [
        s("Over talent in A.", 0.90, 0, 0, "A"),
        s("Nog meer over talent in A.", 0.89, 0, 1, "A"),
        s("Het gaat om talent in B.", 0.88, 1, 0, "B"),
        s("Het gaat om talent in C.", 0.86, 2, 0, "C"),
    ]
    span = compose_span(analyse("Wat zegt het plan over talent?"), sentences)
    assert span.overview and texts(span) == [
        "Over talent in A.",
        "Het gaat om talent in B.",
        "Het gaat om talent in C.",
    ]


def test_a_signature_line_does_not_answer_a_what_question():
    sentences = [
        s("Wim Boomkamp", 0.93, 0, 0),
        s("Door de coronacrisis is nog veel onduidelijk.", 0.90, 0, 1),
    ]
    span = compose_span(analyse("Wat schrijft Wim Boomkamp over de coronacrisis?"), sentences)
    assert texts(span) == [sentences[1].text]


def test_the_writer_gets_the_span_and_a_few_more_sentences_grouped_by_passage():
    evidence = writer_evidence(analyse("Welke vier impactportfolio's zijn er?"), LIST, extra=2)
    flat = [x.text for _, group in evidence for x in group]
    assert all(x.text in flat for x in LIST[1:6])
    assert len(flat) <= 5 + 2
    assert [pi for pi, _ in evidence] == sorted({pi for pi, _ in evidence}, key=[pi for pi, _ in evidence].index)


def member(text: str, score: float, position: int) -> ScoredSentence:
    return ScoredSentence(text, 0, position, score, score, 0.0, "M", "Leden Twente Board", "members")


MEMBERS = [
    member("Wim Boomkamp, voorzitter Twente Board", 0.88, 0),
    member("Onno van Veldhuizen, burgemeester Enschede en voorzitter Regio Twente", 0.87, 1),
    member("Bert Tijhof, wethouder Rijssen-Holten", 0.86, 2),
    member("Pieter van Zwanenburg, wethouder Hof van Twente", 0.86, 3),
    member("Anka Mulder, voorzitter college van bestuur Saxion Hogeschool", 0.85, 4),
]


def test_a_who_question_about_one_role_gets_the_member_who_holds_it():
    span = compose_span(analyse("Wie is de voorzitter van de Twente Board?"), MEMBERS)
    assert texts(span) == ["Wim Boomkamp, voorzitter Twente Board"]


def test_an_english_role_word_finds_the_dutch_one_in_the_member_list():
    span = compose_span(analyse("Who chairs the Twente Board?"), MEMBERS)
    assert texts(span) == ["Wim Boomkamp, voorzitter Twente Board"]


def test_a_who_question_about_an_organisation_gets_its_member():
    span = compose_span(analyse("Wie is namens Saxion Hogeschool lid van de Twente Board?"), MEMBERS)
    assert texts(span) == ["Anka Mulder, voorzitter college van bestuur Saxion Hogeschool"]


def test_a_role_held_by_several_members_gets_all_of_them_in_list_order():
    span = compose_span(analyse("Welke wethouders zitten in de Twente Board?"), MEMBERS)
    assert texts(span) == [MEMBERS[2].text, MEMBERS[3].text]


def test_a_question_naming_only_the_list_itself_gets_the_whole_list():
    span = compose_span(analyse("Wie zijn de leden van de Twente Board?"), MEMBERS)
    assert texts(span) == [m.text for m in MEMBERS]


def test_an_amount_question_gets_the_intro_with_the_number_not_the_list():
    sentences = [
        s("De investeringen bestaan uit 4 centrale actielijnen:", 0.92, 0, 0),
        s("- Techniek als motor;", 0.85, 0, 1),
        s("- Arbeidsmarkt & Talent;", 0.84, 0, 2),
    ]
    span = compose_span(analyse("Uit hoeveel actielijnen bestaan de investeringen?"), sentences)
    assert texts(span) == [sentences[0].text]


def test_asked_how_many_a_sentence_naming_them_gives_their_count():
    sentences = [
        s("De programma's Regio Deal Twente en de Agenda voor Twente vormen de basis.", 0.92, 0, 0),
        s("Twente ontwikkelt zich verder.", 0.91, 0, 1),
    ]
    span = compose_span(analyse("Hoeveel programma's vormen de basis?"), sentences)
    assert texts(span) == [sentences[0].text] and span.count == 2 and span.given_as_is
    # a number stated close by goes first: the names are then not counted
    stated = [*sentences, s("Beide programma's worden benut.", 0.90, 0, 2)]
    span = compose_span(analyse("Hoeveel programma's vormen de basis?"), stated)
    assert texts(span) == ["Beide programma's worden benut."] and span.count is None
    # not asked how many: no count
    assert compose_span(analyse("Wat vormt de basis?"), sentences).count is None


def test_capitalised_names_are_counted_only_in_a_sentence_naming_what_is_counted():
    sentences = [s("Het plan noemt Enschede, Hengelo en Almelo als steden.", 0.92, 0, 0)]
    assert compose_span(analyse("Hoeveel steden noemt het plan?"), sentences).count == 3
    assert compose_span(analyse("Hoeveel bedrijven noemt het plan?"), sentences).count is None


def test_a_list_item_headed_by_the_term_defines_it():
    sentences = [
        s("De portfolio's sturen de actielijnen 'Techniek als motor' en 'Circulaire economie & duurzaamheid'.", 0.95),
        s("- Circulaire economie & Duurzaamheid: aansluiten bij de vraag naar duurzame technologie;", 0.93, 1, 0),
        s("- Circulaire economie: focus op kringlooplandbouw;", 0.91, 2, 0),
    ]
    span = compose_span(analyse("Wat houdt de actielijn Circulaire economie & Duurzaamheid in?"), sentences)
    assert texts(span) == [sentences[1].text]


def test_a_definition_opening_with_a_reference_back_brings_the_sentence_it_refers_to():
    sentences = [
        s("Met de programma's wordt geïnvesteerd in het onderhouden van het ecosysteem.", 0.80, 0, 0),
        s("Voor dat laatste wordt de zogenaamde basisinfrastructuur gebruikt.", 0.95, 0, 1),
        s("Dit is een belangrijke aanjager van het ecosysteem.", 0.82, 0, 2),
    ]
    span = compose_span(analyse("Wat is de basisinfrastructuur?"), sentences)
    assert texts(span) == [x.text for x in sentences]


def test_a_question_about_one_list_item_gets_that_item_not_the_list():
    form = analyse("Innovatie in de zorg: Wat valt er precies onder de tweede?")
    assert form.focus == "Innovatie in de zorg"
    items = [
        s("Deze impactportfolio's zijn:", 0.90, 0, 0),
        s("- Digitalisering: focus op robotica;", 0.88, 0, 1),
        s("- Innovatie in de zorg: focus op medtech en preventie;", 0.87, 0, 2),
    ]
    assert texts(compose_span(form, items)) == [items[2].text]


def test_a_focus_no_item_is_headed_by_gets_the_best_sentence_naming_it():
    sentences = [
        s("Deze portfolio's zijn:", 0.90, 0, 0),
        s("- Digitalisering: focus op robotica en artificiële intelligentie;", 0.89, 0, 1),
        s("- Sleuteltechnologieën: fotonica en artificiële intelligentie;", 0.86, 0, 2),
    ]
    span = compose_span(analyse("artificiële intelligentie: waar komt die voor?"), sentences)
    assert texts(span) == [sentences[1].text]


def test_a_sentence_naming_the_asked_noun_brings_the_enumeration_it_points_to():
    sentences = [
        s("We hebben hiermee unieke posities opgebouwd in de sleuteltechnologieën.", 0.92, 0, 0),
        s("Denk aan slimme materialen, sensing, robotica en fotonica.", 0.80, 0, 1),
        s("We werken met techniek als motor om talent, bedrijven en kapitaal samen te brengen.", 0.87, 1, 0, "B"),
    ]
    span = compose_span(analyse("In welke sleuteltechnologieën heeft Twente unieke posities?"), sentences)
    assert texts(span) == [sentences[0].text, sentences[1].text]


def test_the_writer_gets_only_the_item_a_focused_question_asks_about():
    sentences = [
        s("Deze impactportfolio's zijn:", 0.90, 0, 0),
        s("- Innovatie in de zorg: focus op medtech en preventie;", 0.87, 0, 1),
        s("Daarbij gaat het om wat je kunt met techniek.", 0.89, 1, 0, "B"),
    ]
    evidence = writer_evidence(analyse("Innovatie in de zorg: wat valt daaronder?"), sentences, extra=2)
    assert [[x.text for x in group] for _, group in evidence] == [[sentences[1].text]]


def test_an_enumeration_comes_with_the_sentence_that_spells_it_out_read_as_one():
    sentences = [
        s(
            "De Board wil publieke en private financieringsbronnen aan de regio binden, via een lobbyagenda.",
            0.90,
            0,
            0,
        ),
        s("Daarbij gaat het om Europese fondsen, Rijksprogramma's en risicokapitaal.", 0.84, 0, 1),
        s("Kapitaal is nodig.", 0.80, 0, 2),
    ]
    span = compose_span(analyse("Welke financieringsbronnen wil de Board binden?"), sentences)
    assert texts(span) == [x.text for x in sentences[:2]]
    assert span.joined == frozenset({1})


def test_a_following_sentence_that_only_continues_is_not_joined():
    sentences = [
        s("De Board wil publieke, private en Europese financieringsbronnen binden.", 0.90, 0, 0),
        s("Daarbij is lobby belangrijk.", 0.84, 0, 1),
    ]
    span = compose_span(analyse("Welke financieringsbronnen wil de Board binden?"), sentences)
    assert texts(span) == [sentences[0].text] and not span.joined


def test_a_sentence_that_restates_the_question_gives_way_to_what_follows_it():
    sentences = [
        s("Voor de toekomst van Twente zijn het mkb en de start-ups van groot belang.", 0.92, 0, 0),
        s("Zij zorgen voor de banen van morgen.", 0.85, 0, 1),
        s("Met hun producten bieden zij oplossingen.", 0.83, 0, 2),
        s("Kapitaal is nodig.", 0.82, 0, 3),
    ]
    span = compose_span(analyse("Waarom zijn het mkb en start-ups belangrijk voor de toekomst van Twente?"), sentences)
    assert texts(span) == [sentences[1].text, sentences[2].text]


def test_a_sentence_that_adds_to_the_question_is_the_answer_itself():
    sentences = [
        s("Het mkb en de start-ups zorgen voor de banen van morgen in Twente.", 0.92, 0, 0),
        s("Zij bieden oplossingen.", 0.80, 0, 1),
    ]
    span = compose_span(analyse("Waarom zijn het mkb en start-ups belangrijk voor Twente?"), sentences)
    assert texts(span) == [sentences[0].text]


def test_two_things_called_by_the_asked_noun_are_a_list_without_a_comma():
    sentences = [
        s("De uitvoeringsorganisatie Twente Board Development ondersteunt de Board.", 0.92, 0, 0),
        s("Signaleren en monitoren zijn de basistaken van de uitvoeringsorganisatie.", 0.88, 0, 1),
        s("De Board kan projecten aanjagen, partijen verbinden en lobby organiseren.", 0.87, 1, 0, "B"),
    ]
    span = compose_span(analyse("Wat zijn de basistaken van Twente Board Development?"), sentences)
    assert texts(span) == [sentences[1].text]


def test_an_elaboration_is_rendered_as_the_rest_of_the_sentence_it_spells_out():
    from assistant.answering.extractive import compose_extractive
    from assistant.answering.span import Span
    from assistant.retrieval import Passage, Retrieval
    from ingest.model import Chunk

    first = "De Board wil financieringsbronnen aan de regio binden."
    second = "Daarbij gaat het om Europese fondsen, Rijksprogramma's en risicokapitaal."
    chunk = Chunk("c0", "d", "D", 0, f"{first} {second}", None, "", None, None, "", "body", 0, 12)
    retrieval = Retrieval("q", [Passage(chunk, 1.0)], None, {}, dense_top=0.9, dense_mean=0.5)
    span = Span([s(first, 0.9, 0, 0), s(second, 0.85, 0, 1)], joined=frozenset({1}))
    answer = compose_extractive("Welke bronnen?", "Welke bronnen?", retrieval, [], "nl", 4, span=span)
    assert answer.answer == (
        "De Board wil financieringsbronnen aan de regio binden: daarbij gaat het om Europese fondsen, "
        "Rijksprogramma's en risicokapitaal. [1]"
    )
    assert answer.citations[0].quotes == [first, second]


def test_an_english_list_question_finds_its_noun_in_a_dutch_elliptic_compound_pair():
    sentences = [
        s("Van oudsher is Twente sterk in techniek.", 0.90, 0, 0),
        s("Dankzij de florerende textiel- en staalindustrie heeft Twente haar sporen verdiend.", 0.88, 0, 1),
        s(
            "De topwerklocaties Kennispark, High Tech Systems Park, Technology Base en XL Park trekken bedrijven.",
            0.89,
            1,
            0,
            "B",
        ),
    ]
    span = compose_span(analyse("Which historic industries made Twente strong in technology?"), sentences)
    assert texts(span) == [sentences[1].text]


HEADED = [
    s("De regio werkt langs vier centrale actielijnen:", 0.90, 0, 0),
    s("- Techniek als motor: versterken van de technische kracht van de regio;", 0.88, 0, 1),
    s("- Arbeidsmarkt & Talent: voldoende talent op alle niveaus aantrekken en behouden;", 0.87, 0, 2),
    s("- Circulaire economie & Duurzaamheid: aansluiten bij de vraag naar duurzame technologie.", 0.86, 0, 3),
]


def _rendered(question: str) -> str:
    from assistant.answering.extractive import compose_extractive
    from assistant.retrieval import Passage, Retrieval
    from ingest.model import Chunk

    text = " ".join(x.text for x in HEADED)
    chunk = Chunk("c0", "d", "D", 0, text, None, "", None, None, "", "body", 0, len(text))
    retrieval = Retrieval("q", [Passage(chunk, 1.0)], None, {}, dense_top=0.9, dense_mean=0.5)
    span = compose_span(analyse(question), HEADED)
    return compose_extractive(question, question, retrieval, HEADED, "nl", 4, span=span).answer


def test_a_list_of_named_items_asked_for_as_a_list_is_given_by_the_names():
    answer = _rendered("Wat zijn de centrale actielijnen?")
    assert answer.splitlines()[1:] == [
        "- Techniek als motor [1]",
        "- Arbeidsmarkt & Talent [1]",
        "- Circulaire economie & Duurzaamheid [1]",
    ]


def test_a_question_about_one_named_item_still_gets_its_explanation():
    answer = _rendered("Techniek als motor: wat houdt dat in?")
    assert "versterken van de technische kracht" in answer


def test_names_only_when_the_items_are_one_list_of_distinct_unnumbered_names():
    question = analyse("Wat zijn de doelen?")
    numbered = [
        s("De regio heeft drie doelen:", 0.90, 0, 0),
        s("- Doel 1: vijfduizend extra banen in de techniek;", 0.88, 0, 1),
        s("- Doel 2: meer studenten die in de regio blijven.", 0.87, 0, 2),
    ]
    assert not compose_span(question, numbered).heads
    assert compose_span(analyse("Wat zijn de centrale actielijnen?"), HEADED).heads


def test_a_two_part_list_question_keeps_the_explanations():
    other = s("- Arbeidsmarkt & Talent: voldoende talent op alle niveaus aantrekken;", 0.895, 1, 0, "B")
    span = compose_span(analyse("Wat zijn de actielijnen voor techniek, en welke voor talent?"), [*HEADED, other])
    assert other in span.sentences and not span.heads


def test_a_question_naming_one_item_of_a_named_list_gets_that_item_whole():
    for question in (
        "What does the plan want to achieve with technology as a motor?",
        "Wat wil de regio met techniek als motor bereiken?",
    ):
        span = compose_span(analyse(question), HEADED)
        assert texts(span) == [HEADED[1].text] and span.exact, question


def test_a_list_question_naming_no_item_or_a_number_of_them_keeps_the_list():
    for question in ("Which central action lines does the region work along?", "Welke drie actielijnen zijn er?"):
        span = compose_span(analyse(question), HEADED)
        assert texts(span) == [x.text for x in HEADED], question


def test_a_definition_reads_on_until_the_term_is_explained_but_not_into_another_point():
    sentences = [
        s("In Twente hebben we noaberschap.", 0.90, position=0),
        s("Een authentiek Twents begrip.", 0.80, position=1),
        s("Mensen hebben sterke persoonlijke banden met elkaar; men helpt elkaar.", 0.79, position=2),
        s("Ook is de regio gastvrij voor nieuwkomers uit het buitenland.", 0.78, position=3),
    ]
    span = compose_span(analyse("Wat wordt bedoeld met noaberschap?"), sentences)
    assert texts(span) == [x.text for x in sentences[:3]]
    another = [*sentences[:2], s("Ook is de regio gastvrij voor nieuwkomers.", 0.78, position=2)]
    assert texts(compose_span(analyse("Wat wordt bedoeld met noaberschap?"), another)) == [
        x.text for x in sentences[:2]
    ]


def test_a_fact_sentence_that_stands_for_the_one_before_comes_with_it():
    sentences = [
        s("De Twente Board gaat over de brede economische agenda.", 0.80, position=0),
        s("Daar raakt de opgave van de board die van de sociale agenda.", 0.90, position=1),
    ]
    span = compose_span(analyse("Is de sociale agenda een taak van de Board?"), sentences)
    assert texts(span) == [x.text for x in sentences]
    alone = [sentences[0], s("Daarnaast werkt de Board aan de sociale agenda.", 0.90, position=1)]
    assert texts(compose_span(analyse("Is de sociale agenda een taak van de Board?"), alone)) == [alone[1].text]


def test_the_span_of_a_second_question_adds_only_what_the_first_span_lacks():
    from assistant.answering.span import Span, with_other_part

    first = Span([LIST[0]])
    other = Span([LIST[0], LIST[6]])
    assert with_other_part(first, other).sentences == [LIST[0], LIST[6]]
    assert with_other_part(first, Span([LIST[0]])) is first
