"""The page's texts, in Dutch: labels and messages (`L`), the portfolio verdicts and fit levels,
what went wrong, the example questions and the names the backends are shown under."""

from __future__ import annotations

from assistant.llm.names import BACKENDS
from assistant.schema import FitLevel, Verdict

EXAMPLE_QUESTIONS = (
    "Wat zijn de vier impactportfolio's?",
    "Welke regionale actoren ondersteunen ondernemers?",
    "Wat zegt het plan over talent?",
    "What does the plan say about talent?",
)

BACKEND_LABELS = {
    "auto": "Automatisch (per vraag het beste: citaten, of het taalmodel voor Engels)",
    "extractive": "Extractief (zonder taalmodel)",
    "llamacpp": "Lokaal taalmodel (llama.cpp)",
    "openai": "OpenAI-compatibele server",
}
# why an answer came from another backend than asked (Answer.notice)
NOTICES = {
    "busy": "het taalmodel was bezet: direct beantwoord met citaten",
    "unavailable": "het taalmodel is niet beschikbaar: beantwoord met citaten",
}
# (label, name) pairs for the backend dropdowns, in the order of assistant.llm.names.BACKENDS
BACKEND_CHOICES = tuple((BACKEND_LABELS[name], name) for name in BACKENDS)

L: dict[str, str] = {
    "title": "Twente strategie-assistent",
    "subtitle": "Stel vragen over het strategisch plan 2020-2025 van de Twente Board. Elk antwoord "
    "verwijst met [n] naar de passages waarop het steunt.",
    "tab_chat": "Vragen",
    "tab_portfolio": "Portfolio-check",
    "tab_docs": "Documenten",
    "question": "Uw vraag",
    "question_ph": "Bijvoorbeeld: Wat zijn de vier impactportfolio's?",
    "send": "Vraag",
    "new_chat": "Nieuw gesprek",
    "examples": "Voorbeeldvragen",
    "backend": "Antwoordmethode",
    "scope": "Documenten",
    "view_section": "Toon in de sectie",
    "open_original": "Open het origineel op p. {page}",
    "source_page_title": "Bron",
    "source_cited": "geciteerde passage",
    "source_back": "Terug naar de assistent",
    "source_pages": "pagina's {first}-{last}",
    "scope_info": "Kies documenten om alleen daaruit te antwoorden; niets gekozen: alle documenten.",
    "chat_label": "Gesprek",
    "chat_placeholder": "Stel een vraag over het strategisch plan, of kies een voorbeeldvraag hieronder.",
    "searching": "_Bezig met zoeken in de documenten…_",
    "sources": "Bronnen",
    "sources_empty": "Hier verschijnen de passages waarop het antwoord steunt.",
    "nearest": "Dichtstbijzijnde passages (geen antwoord)",
    "not_found_badge": "De documenten zeggen hier niets over",
    "not_found_note": "Er staat in de documenten geen antwoord op deze vraag. Hieronder staan de "
    "passages die er het dichtst bij komen; ze beantwoorden de vraag niet.",
    "interpreted": "Opgevat als",
    "section": "§",
    "page": "p.",
    "error": "Er ging iets mis",
    "unexpected_failure": "{error} ({kind}). Probeer het opnieuw of kies een andere antwoordmethode.",
    "idea": "Uw idee of projectvoorstel",
    "idea_ph": "Beschrijf in een paar zinnen wat u wilt doen, voor wie en met welk doel.",
    "check": "Controleer",
    "idea_empty": "Beschrijf eerst uw idee (1 tot {limit} tekens).",
    "idea_too_long": "Het idee is {length} tekens; de grens is {limit}.",
    "portfolio_empty": "Beschrijf een idee en klik op ‘Controleer’ om te zien bij welk "
    "impactportfolio en welke actielijnen van het plan het past.",
    "portfolios": "Impactportfolio's (gerangschikt)",
    "action_lines": "Actielijnen",
    "served": "bediend",
    "not_served": "niet bediend",
    "conditions": "Voorwaarden uit het plan",
    "support": "Wie kan helpen (regionale actoren)",
    "matched": "Overeenkomsten",
    "evidence": "Onderbouwing",
    "flagged": "Weggelaten (niet door de bronnen gedekt)",
    "score": "score",
    "docs_intro": "De documenten waarop de assistent antwoordt.",
    "docs_empty": "Er zijn nog geen documenten ingelezen.",
    "docs_title": "Titel",
    "docs_id": "Id",
    "docs_chunks": "Passages",
    "docs_ingested": "Ingelezen op",
    "docs_source": "Bron",
    "docs_upload": "upload",
    "docs_corpus": "corpus",
    "docs_disabled": "Uploaden en verwijderen zijn uitgeschakeld: er is geen API-sleutel ingesteld "
    "(ASSISTANT_API_KEY).",
    "api_key": "API-sleutel",
    "upload_file": "Document (md, txt, pdf, docx, html, png, jpg)",
    "upload": "Uploaden",
    "delete_id": "Document om te verwijderen",
    "delete": "Verwijderen",
    "refresh": "Lijst verversen",
    "bad_key": "De API-sleutel klopt niet.",
    "no_file": "Kies eerst een bestand.",
    "no_doc": "Kies eerst een document.",
    "uploaded": "Toegevoegd",
    "deleted": "Verwijderd",
    # saved conversations (the chat tab's list, export, share) and feedback on answers
    "conversations": "Uw gesprekken",
    "conversations_info": "Alleen zichtbaar in deze browser. Kies een gesprek om het te openen.",
    "open_chat": "Openen",
    "rename_title": "Titel van het gesprek",
    "rename": "Hernoemen",
    "delete_chat": "Verwijder gesprek",
    "export": "Exporteer",
    "export_files": "Download (Markdown en JSON)",
    "share": "Deel",
    "unshare": "Stop met delen",
    "share_note": "Iedereen met deze link kan het gesprek lezen, niet wijzigen:",
    "share_stopped": "Het gesprek wordt niet meer gedeeld; de link werkt niet meer.",
    "no_conversation": "Er is nog geen gesprek geopend: stel eerst een vraag of kies een gesprek.",
    "no_owner": "Uw browser stuurt het cookie van deze site niet mee, dus uw gesprekken kunnen niet "
    "worden bewaard of getoond. Herlaad de pagina en sta cookies voor deze site toe.",
    "opened": "Geopend: {title}",
    "new_started": "Nieuw gesprek gestart.",
    "renamed": "Hernoemd: {title}",
    "rename_empty": "Geef eerst een titel op.",
    "conversation_deleted": "Verwijderd: {title}",
    "exported": "Klaar: download het gesprek hieronder.",
    "feedback_comment": "Toelichting bij uw beoordeling",
    "feedback_comment_ph": "Optioneel: wat klopte er niet, of wat was goed aan het antwoord?",
    "feedback_send": "Verstuur toelichting",
    "feedback_up": "Bedankt voor uw beoordeling (duim omhoog).",
    "feedback_down": "Bedankt voor uw beoordeling (duim omlaag).",
    "feedback_hint": " Een toelichting kunt u hieronder toevoegen.",
    "feedback_comment_saved": "Bedankt: de toelichting is opgeslagen bij het beoordeelde antwoord.",
    "feedback_comment_empty": "Schrijf eerst een toelichting.",
    "feedback_none": "Beoordeel eerst een antwoord met duim omhoog of omlaag.",
    "feedback_unsaved": "Dit antwoord is niet bewaard (er ging iets mis) en kan niet worden beoordeeld.",
    "feedback_cleared": "De eerdere beoordeling blijft bewaard; kies duim omhoog of omlaag om haar te wijzigen.",
    "shared_page_title": "Gedeeld gesprek",
    "shared_readonly": "Een gedeeld gesprek uit de Twente strategie-assistent (alleen lezen).",
    "shared_missing": "Deze link naar een gedeeld gesprek bestaat niet (meer).",
    "shared_created": "Gestart op",
}

VERDICTS: dict[Verdict, str] = {
    "fit": "Past bij het plan",
    "partial": "Past gedeeltelijk",
    "no_fit": "Past niet bij het plan",
}
FIT_LEVELS: dict[FitLevel, str] = {"strong": "sterk", "partial": "gedeeltelijk", "none": "geen"}
ROLES: dict[str, str] = {"primary": "eerste keus", "secondary": "tweede keus"}

# what went wrong, by assistant.failures code; {msg} is the exception's own text
FAILURES: dict[str, str] = {
    "backend_busy": "Het taalmodel is bezet met andere vragen. Probeer het over een paar seconden opnieuw.",
    "invalid_question": "Deze vraag kan niet worden verwerkt: {msg}.",
    "backend_unavailable": "Het gekozen taalmodel is niet beschikbaar: {msg}. Kies ‘Extractief’ als "
    "antwoordmethode om zonder taalmodel te antwoorden.",
    "conversation_not_found": "Dit gesprek bestaat niet (meer). Kies een ander gesprek of start een nieuw gesprek.",
    "conversation_limit": "Een grens is bereikt ({msg}). Verwijder oude gesprekken of start een nieuw gesprek.",
    "invalid_conversation": "Dit kan niet: {msg}.",
}
