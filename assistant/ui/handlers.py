"""The functions behind the widgets: one chat turn (streamed), the portfolio check, and document
upload and removal. Plain functions of their inputs, so they are tested without a browser."""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, cast

from pydantic import SecretStr

from assistant.failures import classify
from assistant.portfolio import MAX_IDEA_CHARS
from assistant.schema import Answer, ChatMessage, Citation
from assistant.ui.document_actions import DocumentActions
from assistant.ui.labels import L
from assistant.ui.render import (
    answer_markdown,
    answer_meta,
    chat_markdown,
    error_markdown,
    error_text,
    message_html,
    portfolio_html,
    sources_html,
    streaming_markdown,
)

if TYPE_CHECKING:
    from assistant.answering.service import Event
    from assistant.services import Services

log = logging.getLogger(__name__)

KEEP = object()  # "leave this output as it is" (gr.skip() in the page)


def _is_expected(exc: BaseException) -> bool:
    """False for a bug, which is logged with its traceback."""
    return classify(exc).expected


# ---- chat -------------------------------------------------------------------------------------


def history_to_messages(turns: Iterable[dict | ChatMessage] | None) -> list[ChatMessage]:
    """The conversation kept by the UI (role/content dicts) -> ChatMessage list for the service.

    Only user and assistant turns with text; anything else (errors, notices) is dropped."""
    messages: list[ChatMessage] = []
    for turn in turns or []:
        if isinstance(turn, ChatMessage):
            turn = {"role": turn.role, "content": turn.content}
        if not isinstance(turn, dict):
            continue
        role, content = turn.get("role"), turn.get("content")
        if isinstance(content, list):  # openai-style parts: [{"type": "text", "text": ...}]
            content = " ".join(p.get("text", "") for p in content if isinstance(p, dict))
        if role not in ("user", "assistant") or not isinstance(content, str) or not content.strip():
            continue
        messages.append(ChatMessage(role=role, content=content))
    return messages


def _chat_user(text: str) -> dict:
    return {"role": "user", "content": chat_markdown(text)}


def _chat_bot(markdown: str) -> dict:
    return {"role": "assistant", "content": markdown}


def chat_turn(
    services: Services,
    question: str,
    backend: str | None,
    chat: list | None,
    convo: list | None,
    documents: list[str] | None = None,
    *,
    stream: Callable[..., Iterable[Event]] | None = None,
) -> Iterator[tuple]:
    """One question in the chat, as a stream of (chat, sources_html, convo) states.

    `documents`: the ids picked in the chat's document picker; none picked means all documents.
    `stream`: where the events come from (`services.answers.stream` by default; a saved
    conversation's turn passes its own, see `conversation_handlers`).
    `chat` is what the Chatbot shows (openai-style dicts with escaped Markdown); `convo` is the
    plain conversation (role/content dicts of the service's own texts) passed back as history.
    Tokens update the last message as they arrive; the final (checked) answer replaces them.
    Errors end the turn as a readable message in the chat and are not added to `convo`."""
    chat = list(chat or [])
    convo = list(convo or [])
    question = (question or "").strip()
    if not question:
        yield list(chat), KEEP, list(convo)
        return
    chat += [_chat_user(question), _chat_bot(L["searching"])]
    yield list(chat), sources_html([], "answered"), list(convo)
    tokens = ""
    citations: list[Citation] = []
    last_push = 0.0
    try:
        events = stream or services.answers.stream
        for event in events(
            question, history_to_messages(convo), backend or None, documents=list(documents) if documents else None
        ):
            if event.type == "sources":
                citations = list(cast("list[Citation] | None", event.data) or [])
                yield list(chat), sources_html(citations, "answered"), list(convo)
            elif event.type == "token":
                tokens += str(event.data)
                now = time.monotonic()
                if now - last_push > 0.05:
                    last_push = now
                    chat[-1] = _chat_bot(streaming_markdown(tokens))
                    yield list(chat), KEEP, list(convo)
            elif event.type == "final":
                answer = cast(Answer, event.data)
                chat[-1] = _chat_bot(answer_markdown(answer))
                interpreted = (
                    answer.standalone_question
                    if answer.standalone_question and answer.standalone_question != question
                    else None
                )
                convo += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.answer}]
                yield (
                    list(chat),
                    sources_html(answer.citations, answer.status, interpreted, answer_meta(answer)),
                    list(convo),
                )
                return
        raise RuntimeError("the answer stream ended without a final answer")
    except Exception as exc:  # shown as a message in the chat, never a traceback
        if not _is_expected(exc):
            log.exception("answering failed")
        chat[-1] = _chat_bot(error_markdown(exc))
        yield list(chat), sources_html(citations, "answered") if citations else KEEP, list(convo)


# ---- portfolio --------------------------------------------------------------------------------


def portfolio_check(services: Services, idea: str, backend: str | None) -> str:
    """The portfolio tab's result panel (HTML) for an idea, or a readable error."""
    idea = (idea or "").strip()
    if not idea:
        return message_html(L["idea_empty"].format(limit=MAX_IDEA_CHARS), "error")
    if len(idea) > MAX_IDEA_CHARS:
        return message_html(L["idea_too_long"].format(length=len(idea), limit=MAX_IDEA_CHARS), "error")
    try:
        fit = services.portfolio.check(idea, backend=backend or None)
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("portfolio check failed")
        return message_html(error_text(exc), "error")
    return portfolio_html(fit)


# ---- documents --------------------------------------------------------------------------------


def key_matches(configured: SecretStr | str | None, given: str | None) -> bool:
    """Constant-time comparison of the entered key with the configured one."""
    if configured is None:
        return False
    secret = configured.get_secret_value() if isinstance(configured, SecretStr) else str(configured)
    if not secret:
        return False
    return hmac.compare_digest(secret.encode(), (given or "").encode())


def upload_document(docs: DocumentActions, api_key: SecretStr | None, file: object, given_key: str | None) -> str:
    """Upload from the Documents tab (a Gradio file path); the key must match. -> message HTML."""
    if not key_matches(api_key, given_key):
        return message_html(L["bad_key"], "error")
    if not file:
        return message_html(L["no_file"], "error")
    path = Path(file if isinstance(file, (str, Path)) else getattr(file, "name", ""))
    name = Path(getattr(file, "orig_name", None) or path.name).name
    try:
        return message_html(f"{L['uploaded']}: {docs.upload(path, name)}", "ok")
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("upload failed")
        return message_html(error_text(exc), "error")


def delete_document(docs: DocumentActions, api_key: SecretStr | None, doc_id: str | None, given_key: str | None) -> str:
    """Removal from the Documents tab; the key must match. -> message HTML."""
    if not key_matches(api_key, given_key):
        return message_html(L["bad_key"], "error")
    if not doc_id:
        return message_html(L["no_doc"], "error")
    try:
        return message_html(f"{L['deleted']}: {docs.delete(doc_id)}", "ok")
    except Exception as exc:
        if not _is_expected(exc):
            log.exception("delete failed")
        return message_html(error_text(exc), "error")
