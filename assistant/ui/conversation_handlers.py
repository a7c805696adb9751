"""The chat tab's saved conversations: the browser's list, open / new / rename / delete, a question
inside the open conversation (saved as a turn, its history from the database), thumbs up/down with
a comment, export and the share link. Plain functions of their inputs (no Gradio), so they are
tested without a browser.

The owner is the browser's `ta_owner` cookie (`owner_of_request`); every store call names it, so
another browser's conversation is not found, let alone shown. `owner` None (no cookie) is a
readable message, never a crash. A value `KEEP` leaves that part of the page as it is.
"""

from __future__ import annotations

import html
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.api.owner import COOKIE, cookie_value, owner_from_cookie
from assistant.conversations.export import as_json, as_markdown
from assistant.conversations.store import DEFAULT_TITLE
from assistant.schema import Answer, Citation
from assistant.ui.handlers import KEEP, _is_expected, chat_turn
from assistant.ui.labels import L
from assistant.ui.render import (
    answer_markdown,
    answer_meta,
    chat_markdown,
    error_text,
    esc,
    local_time,
    message_html,
    sources_html,
)
from assistant.ui.shared_page import SHARED_PATH

if TYPE_CHECKING:
    from assistant.services import Services

log = logging.getLogger(__name__)

EXPORT_DIR = "ta-exports"  # under Gradio's cache: cleaned up with it (Blocks' delete_cache)
RATINGS = {True: "up", False: "down"}
FEEDBACK_VALUES = {"up": "Like", "down": "Dislike"}  # the Chatbot's thumbs


class NoOwner(Exception):
    """The request carries no (valid) owner cookie."""


def owner_of_request(request: Any) -> str | None:
    """The owner id of the browser behind a Gradio request (its `ta_owner` cookie), else None.

    Only the cookie the browser sent counts (not one the middleware has just made up for it)."""
    raw = getattr(request, "request", None)
    scope = getattr(raw, "scope", None)
    if isinstance(scope, dict):
        value = cookie_value(scope)
    else:  # a request Gradio kept without its Starlette request: the cookies as a dict
        cookies = getattr(request, "cookies", None) or {}
        given = cookies.get(COOKIE) if hasattr(cookies, "get") else None
        header = f"{COOKIE}={given}".encode("latin-1", "replace") if isinstance(given, str) else b""
        value = cookie_value({"type": "http", "headers": [(b"cookie", header)]}) if header else None
    return owner_from_cookie(value) if value else None


def _owner(owner: str | None) -> str:
    if not owner:
        raise NoOwner(L["no_owner"])
    return owner


def _error(exc: BaseException) -> str:
    if isinstance(exc, NoOwner):
        return message_html(str(exc), "error")
    if not _is_expected(exc):
        log.exception("a conversation action failed")
    return message_html(error_text(exc), "error")


# ---- what the tab shows of a conversation -----------------------------------------------------


@dataclass
class View:
    """The chat tab for one conversation; KEEP leaves a part as it is."""

    chat: Any = KEEP
    sources: Any = KEEP
    conversation_id: Any = KEEP
    turn_ids: Any = KEEP  # the saved turn of each assistant message in `chat` (None: not saved)
    choices: Any = KEEP  # the conversations list: (label, id), newest first
    title: Any = KEEP  # the rename box (emptied when another conversation opens)
    feedback: Any = KEEP  # the Chatbot's thumbs per assistant message: "Like", "Dislike" or None
    message: Any = KEEP  # the status line (HTML)
    share: Any = KEEP  # the share link panel (HTML)
    rated: Any = KEEP  # the answer rated last (for a comment sent after the thumbs)
    files: Any = KEEP  # the export files


def conversation_choices(conversations: list[dict]) -> list[tuple[str, str]]:
    """(label, id) for the list: the title and when it was last changed (newest first as given).

    The list shows its labels as text (no markup), so a title is given as the text it is: the
    service's entities (a question's '<' arrives as '&lt;') are decoded."""
    out = []
    for c in conversations:
        title = html.unescape(str(c.get("title") or DEFAULT_TITLE))
        when = local_time(c.get("updated_at"))
        out.append((f"{title} · {when}" if when else title, str(c["id"])))
    return out


def list_choices(services: Services, owner: str | None) -> list[tuple[str, str]]:
    return conversation_choices(services.conversations.list(_owner(owner)))


def load_list(services: Services, owner: str | None) -> tuple[Any, str]:
    """On page load: the browser's conversations, or a message why there are none."""
    try:
        return list_choices(services, owner), ""
    except Exception as exc:
        return [], _error(exc)


def _turn_answer(turn: dict) -> Answer:
    citations = []
    for c in turn.get("citations") or []:
        try:
            citations.append(Citation(**c))
        except Exception:  # a citation saved by an older schema: left out of the panel
            continue
    return Answer(
        answer=turn.get("answer", ""),
        status="not_found" if turn.get("status") == "not_found" else "answered",
        citations=citations,
        timings=turn.get("timings") or {},
        backend=turn.get("backend") or "extractive",
        question=turn.get("question", ""),
        standalone_question=turn.get("standalone_question", ""),
        usage=turn.get("usage") or {},
        notice=turn.get("notice"),
    )


def _sources_of(answer: Answer) -> str:
    interpreted = (
        answer.standalone_question
        if answer.standalone_question and answer.standalone_question != answer.question
        else None
    )
    return sources_html(answer.citations, answer.status, interpreted, answer_meta(answer))


def share_html(token: str) -> str:
    url = f"{SHARED_PATH}/{token}"
    return (
        f'<div class="ta-msg ta-msg-ok ta-share" role="status">{esc(L["share_note"])} '
        f'<a class="ta-share-link" href="{esc(url)}" target="_blank" rel="noopener noreferrer">{esc(url)}</a></div>'
    )


def conversation_view(conversation: dict, choices: Any = KEEP, share: str = "") -> View:
    """A saved conversation in the tab: its turns in the chat (escaped as answers are), the
    last turn's sources in the panel, the turn ids and the thumbs already given."""
    chat: list[dict] = []
    turn_ids: list[str | None] = []
    feedback: list[str | None] = []
    answer = None
    for t in conversation.get("turns", []):
        answer = _turn_answer(t)
        chat += [
            {"role": "user", "content": chat_markdown(answer.question)},
            {"role": "assistant", "content": answer_markdown(answer)},
        ]
        turn_ids.append(t["id"])
        feedback.append(FEEDBACK_VALUES.get((t.get("feedback") or {}).get("rating", "")))
    return View(
        chat=chat,
        sources=_sources_of(answer) if answer is not None else sources_html([], "answered"),
        conversation_id=conversation["id"],
        turn_ids=turn_ids,
        choices=choices,
        title="",
        feedback=feedback,
        share=share,
        rated=None,
        files=None,
    )


def _empty_view(choices: Any, message: str) -> View:
    return View(
        chat=[],
        sources=sources_html([], "answered"),
        conversation_id=None,
        turn_ids=[],
        choices=choices,
        title="",
        feedback=[],
        message=message,
        share="",
        rated=None,
        files=None,
    )


# ---- open, new, rename, delete ----------------------------------------------------------------


def open_conversation(services: Services, owner: str | None, conversation_id: str | None) -> View:
    if not conversation_id:
        return View(message=message_html(L["no_conversation"], "error"))
    try:
        who = _owner(owner)
        conversation = services.conversations.get(who, conversation_id)
        share = share_html(services.conversations.share(who, conversation_id)) if conversation.get("shared") else ""
        view = conversation_view(conversation, list_choices(services, who), share)
    except Exception as exc:
        return View(message=_error(exc))
    view.message = message_html(L["opened"].format(title=conversation.get("title", "")), "ok")
    return view


def new_conversation(services: Services, owner: str | None) -> View:
    """A new saved conversation; an untouched one of the browser ('Nieuw gesprek', no questions
    yet) is reused, so clicking twice does not leave empty ones behind."""
    try:
        who = _owner(owner)
        unused = next(
            (c for c in services.conversations.list(who) if c["turn_count"] == 0 and c["title"] == DEFAULT_TITLE), None
        )
        conversation = unused or services.conversations.create(who)
        view = conversation_view({**conversation, "turns": []}, list_choices(services, who))
    except Exception as exc:
        return _empty_view(KEEP, _error(exc))  # the chat is emptied all the same
    view.message = message_html(L["new_started"], "ok")
    return view


def rename_conversation(
    services: Services, owner: str | None, conversation_id: str | None, title: str | None
) -> tuple[Any, Any, str]:
    """-> (choices, title box, message)."""
    if not conversation_id:
        return KEEP, KEEP, message_html(L["no_conversation"], "error")
    if not (title or "").strip():
        return KEEP, KEEP, message_html(L["rename_empty"], "error")
    try:
        who = _owner(owner)
        renamed = services.conversations.rename(who, conversation_id, title or "")
        return (
            list_choices(services, who),
            renamed["title"],
            message_html(L["renamed"].format(title=renamed["title"]), "ok"),
        )
    except Exception as exc:
        return KEEP, KEEP, _error(exc)


def delete_conversation(services: Services, owner: str | None, conversation_id: str | None) -> View:
    if not conversation_id:
        return View(message=message_html(L["no_conversation"], "error"))
    try:
        who = _owner(owner)
        title = services.conversations.get(who, conversation_id)["title"]
        services.conversations.delete(who, conversation_id)
        return _empty_view(
            list_choices(services, who), message_html(L["conversation_deleted"].format(title=title), "ok")
        )
    except Exception as exc:
        return View(message=_error(exc))


# ---- a question in the open conversation ------------------------------------------------------


def conversation_turn(
    services: Services,
    owner: str | None,
    question: str,
    backend: str | None,
    chat: list | None,
    conversation_id: str | None,
    turn_ids: list | None,
    documents: list[str] | None = None,
) -> Iterator[tuple]:
    """One question, saved in the open conversation (made on the first question when none is
    open): a stream of (chat, sources_html, conversation_id, turn_ids, choices) states.

    The history is the conversation's own (from the database); the last state refreshes the
    list (the new title, newest first). A failed turn is not saved: its turn id is None."""
    chat = list(chat or [])
    ids = list(turn_ids or [])
    if not (question or "").strip():
        yield chat, KEEP, conversation_id, ids, KEEP
        return
    if not owner:
        chat += [
            {"role": "user", "content": chat_markdown(question.strip())},
            {"role": "assistant", "content": f"**⚠️ {L['error']}:** {chat_markdown(L['no_owner'])}"},
        ]
        yield chat, KEEP, conversation_id, [*ids, None], KEEP
        return
    saved: list[Answer] = []
    current = conversation_id

    def stream(q: str, _history: object, chosen: str | None, documents: list[str] | None = None):
        nonlocal current
        if current is None:
            current = services.conversations.create(owner)["id"]
        for event in services.chat.stream(owner, q, current, backend=chosen, documents=documents):
            if event.type == "final" and isinstance(event.data, Answer):
                saved.append(event.data)
            yield event

    def turn_ids_now() -> list:
        return [*ids, saved[-1].turn_id if saved else None]

    for chat_state, sources, _convo in chat_turn(services, question, backend, chat, [], documents, stream=stream):
        yield chat_state, sources, current, turn_ids_now(), KEEP
    try:
        choices: Any = list_choices(services, owner)
    except Exception:
        log.exception("listing the conversations failed")
        choices = KEEP
    yield KEEP, KEEP, current, turn_ids_now(), choices


# ---- feedback ---------------------------------------------------------------------------------


def _assistant_position(chat: list | None, index: Any) -> int | None:
    """Which assistant message (0, 1, ...) the message at `index` of the chat is."""
    if isinstance(index, (list, tuple)):
        index = index[0] if index else None
    if not isinstance(index, int) or not chat or not 0 <= index < len(chat):
        return None
    if not isinstance(chat[index], dict) or chat[index].get("role") != "assistant":
        return None
    return sum(1 for m in chat[:index] if isinstance(m, dict) and m.get("role") == "assistant")


def rate_answer(
    services: Services,
    owner: str | None,
    conversation_id: str | None,
    turn_ids: list | None,
    chat: list | None,
    index: Any,
    liked: Any,
    comment: str | None = "",
) -> tuple[str, Any]:
    """A thumb on the answer at `index` of the chat (Gradio's LikeData) -> (message, rated).

    `liked` True / False is up / down; '' (a thumb taken back) changes nothing stored."""
    if liked not in (True, False):
        return message_html(L["feedback_cleared"]), KEEP
    position = _assistant_position(chat, index)
    ids = list(turn_ids or [])
    turn_id = ids[position] if position is not None and position < len(ids) else None
    if not conversation_id or not turn_id:
        return message_html(L["feedback_unsaved"], "error"), KEEP
    rating = RATINGS[bool(liked)]
    try:
        services.chat.feedback(_owner(owner), conversation_id, turn_id, rating, (comment or "").strip())
    except Exception as exc:
        return _error(exc), KEEP
    rated = {"conversation_id": conversation_id, "turn_id": turn_id, "rating": rating}
    return message_html(L[f"feedback_{rating}"] + L["feedback_hint"], "ok"), rated


def send_comment(services: Services, owner: str | None, rated: dict | None, comment: str | None) -> tuple[str, Any]:
    """The comment for the answer rated last (its rating again) -> (message, comment box)."""
    if not rated:
        return message_html(L["feedback_none"], "error"), KEEP
    if not (comment or "").strip():
        return message_html(L["feedback_comment_empty"], "error"), KEEP
    try:
        services.chat.feedback(
            _owner(owner), rated["conversation_id"], rated["turn_id"], rated["rating"], (comment or "").strip()
        )
    except Exception as exc:
        return _error(exc), KEEP
    return message_html(L["feedback_comment_saved"], "ok"), ""


# ---- export and share -------------------------------------------------------------------------


def export_conversation(
    services: Services, owner: str | None, conversation_id: str | None, folder: Path
) -> tuple[Any, str]:
    """The open conversation as gesprek-<id>.md and .json in a fresh folder under `folder`
    (Gradio's cache in the page) -> (file paths, message)."""
    if not conversation_id:
        return KEEP, message_html(L["no_conversation"], "error")
    try:
        conversation = services.conversations.get(_owner(owner), conversation_id)
        root = Path(folder) / EXPORT_DIR
        if root.is_dir():  # folders whose files the cache clean-up has removed
            for old in root.iterdir():
                if old.is_dir() and not any(old.iterdir()):
                    old.rmdir()
        out = root / secrets.token_hex(16)
        out.mkdir(parents=True)
        stem = f"gesprek-{conversation_id[:8]}"
        markdown, data = out / f"{stem}.md", out / f"{stem}.json"
        markdown.write_text(as_markdown(conversation), encoding="utf-8")
        data.write_text(as_json(conversation), encoding="utf-8")
    except Exception as exc:
        return KEEP, _error(exc)
    return [str(markdown), str(data)], message_html(L["exported"], "ok")


def share_conversation(services: Services, owner: str | None, conversation_id: str | None) -> str:
    """The read-only link of the open conversation (the same one until it is revoked)."""
    if not conversation_id:
        return message_html(L["no_conversation"], "error")
    try:
        return share_html(services.conversations.share(_owner(owner), conversation_id))
    except Exception as exc:
        return _error(exc)


def unshare_conversation(services: Services, owner: str | None, conversation_id: str | None) -> str:
    if not conversation_id:
        return message_html(L["no_conversation"], "error")
    try:
        services.conversations.unshare(_owner(owner), conversation_id)
    except Exception as exc:
        return _error(exc)
    return message_html(L["share_stopped"], "ok")
