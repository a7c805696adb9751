"""The page: Gradio Blocks with the chat, portfolio and documents tabs, wired to the handlers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import gradio as gr
from gradio.utils import get_upload_folder

from assistant.portfolio import MAX_IDEA_CHARS
from assistant.ui import conversation_handlers as cv
from assistant.ui.document_actions import DocumentActions
from assistant.ui.handlers import KEEP, delete_document, portfolio_check, upload_document
from assistant.ui.labels import BACKEND_CHOICES, EXAMPLE_QUESTIONS, L
from assistant.ui.render import document_choices, documents_html, error_text, message_html, sources_html
from ingest.loaders import SUPPORTED_EXTENSIONS

if TYPE_CHECKING:
    from assistant.documents import DocumentService
    from assistant.services import Services
    from assistant.settings import Settings

log = logging.getLogger(__name__)


def build_blocks(services: Services, settings: Settings, documents_service: DocumentService | None = None) -> gr.Blocks:
    """The whole page; `documents_service` is the app's own (shared with the API) when it has one."""
    docs = DocumentActions(services, documents_service)
    key_configured = settings.api_key is not None and bool(settings.api_key.get_secret_value())
    default_backend = settings.backend

    def skip(values: tuple) -> tuple:
        return tuple(gr.skip() if v is KEEP else v for v in values)

    def picker(choices, conversation_id):
        return KEEP if choices is KEEP else gr.update(choices=choices, value=conversation_id)

    def respond(question: str, backend: str, scope: list | None, chat: list, cid, ids, request: gr.Request):
        # the browser's cookie says whose conversation it is; the history comes from the database
        owner = cv.owner_of_request(request)
        cleared = KEEP if not (question or "").strip() else ""
        turns = cv.conversation_turn(services, owner, question, backend, chat, cid, ids, scope)
        for chat_state, sources_state, cid_state, ids_state, choices in turns:
            yield skip((chat_state, sources_state, cid_state, ids_state, picker(choices, cid_state), cleared))
            cleared = KEEP  # empty the box once; keep what the user types while the answer streams

    def show(view: cv.View) -> tuple:
        chat = KEEP if view.chat is KEEP else gr.update(value=view.chat, feedback_value=view.feedback)
        return skip(
            (
                chat,
                view.sources,
                view.conversation_id,
                view.turn_ids,
                picker(view.choices, view.conversation_id),
                view.title,
                view.message,
                view.share,
                view.rated,
                KEEP if view.files is KEEP else gr.update(value=view.files, visible=bool(view.files)),
            )
        )

    def open_chat(conversation_id: str | None, request: gr.Request):
        return show(cv.open_conversation(services, cv.owner_of_request(request), conversation_id))

    def new_chat(request: gr.Request):
        return show(cv.new_conversation(services, cv.owner_of_request(request)))

    def delete_chat(conversation_id: str | None, request: gr.Request):
        return show(cv.delete_conversation(services, cv.owner_of_request(request), conversation_id))

    def rename_chat(conversation_id: str | None, title: str, request: gr.Request):
        choices, box, message = cv.rename_conversation(services, cv.owner_of_request(request), conversation_id, title)
        return skip((picker(choices, conversation_id), box, message))

    def load_chats(request: gr.Request):
        choices, message = cv.load_list(services, cv.owner_of_request(request))
        return gr.update(choices=choices, value=None), message

    def rate(cid, ids, chat: list, comment: str, data: gr.LikeData, request: gr.Request):
        owner = cv.owner_of_request(request)
        return skip(cv.rate_answer(services, owner, cid, ids, chat, data.index, data.liked, comment))

    def comment_on(rated, comment: str, request: gr.Request):
        return skip(cv.send_comment(services, cv.owner_of_request(request), rated, comment))

    def export(conversation_id: str | None, request: gr.Request):
        folder = Path(get_upload_folder())  # Gradio's cache: served from there, cleaned with it
        files, message = cv.export_conversation(services, cv.owner_of_request(request), conversation_id, folder)
        return skip((KEEP if files is KEEP else gr.update(value=files, visible=True), message))

    def share(conversation_id: str | None, request: gr.Request):
        return cv.share_conversation(services, cv.owner_of_request(request), conversation_id)

    def unshare(conversation_id: str | None, request: gr.Request):
        return cv.unshare_conversation(services, cv.owner_of_request(request), conversation_id)

    def check_idea(idea: str, backend: str) -> str:
        return portfolio_check(services, idea, backend)

    def refresh_docs():
        try:
            documents = docs.list()
            table = documents_html(documents)
        except Exception as exc:
            log.exception("listing the documents failed")
            documents, table = [], message_html(error_text(exc), "error")
        # the chat's picker keeps what is still there of the user's choice (gr.update leaves value)
        picker = gr.update(choices=document_choices(documents))
        if not key_configured:
            return table, picker
        return table, picker, gr.update(choices=document_choices(documents), value=None)

    def upload(file, key: str):
        return (upload_document(docs, settings.api_key, file, key), *refresh_docs())

    def delete(doc_id: str, key: str):
        return (delete_document(docs, settings.api_key, doc_id, key), *refresh_docs())

    # ---- layout ------------------------------------------------------------------------------
    keep = settings.ui_upload_keep_seconds
    with gr.Blocks(
        title=L["title"], analytics_enabled=False, delete_cache=(max(60, min(600, keep // 3)), keep)
    ) as blocks:
        gr.Markdown(f"# {L['title']}\n{L['subtitle']}", elem_classes=["ta-header"])
        with gr.Tabs():
            with gr.Tab(L["tab_chat"], id="chat", elem_id="tab-chat"):
                conversation_id = gr.State(None)  # the open conversation (saved server-side)
                turn_ids = gr.State([])  # its saved turn per assistant message in the chat
                rated = gr.State(None)  # the answer rated last, for the comment sent after it
                with gr.Row(equal_height=False):
                    with gr.Column(scale=1, min_width=240, elem_id="conversations-panel"):
                        conversations = gr.Dropdown(
                            choices=[],
                            value=None,
                            label=L["conversations"],
                            info=L["conversations_info"],
                            elem_id="conversations",
                            interactive=True,
                        )
                        open_btn = gr.Button(L["open_chat"], size="sm", elem_id="open-chat")
                        rename_title = gr.Textbox(
                            label=L["rename_title"],
                            elem_id="rename-title",
                            max_length=settings.max_conversation_title_chars,
                            lines=1,
                            max_lines=1,
                        )
                        rename_btn = gr.Button(L["rename"], size="sm", elem_id="rename")
                        with gr.Row():
                            share_btn = gr.Button(L["share"], size="sm", elem_id="share", min_width=80)
                            unshare_btn = gr.Button(L["unshare"], size="sm", elem_id="unshare", min_width=80)
                        share_box = gr.HTML("", elem_id="share-link", js_on_load=None)
                        export_btn = gr.Button(L["export"], size="sm", elem_id="export")
                        export_files = gr.File(
                            label=L["export_files"],
                            file_count="multiple",
                            interactive=False,
                            elem_id="export-files",
                            visible=False,  # shown with the files of an export
                        )
                        delete_chat_btn = gr.Button(L["delete_chat"], size="sm", variant="stop", elem_id="delete-chat")
                        conv_msg = gr.HTML("", elem_id="conversation-msg", js_on_load=None)
                    with gr.Column(scale=3, min_width=360):
                        chatbot = gr.Chatbot(
                            label=L["chat_label"],
                            elem_id="chat",
                            height=520,
                            placeholder=L["chat_placeholder"],
                            sanitize_html=True,
                            render_markdown=True,
                            latex_delimiters=[],
                            allow_tags=False,
                            feedback_options=("Like", "Dislike"),
                            buttons=["copy"],
                        )
                        with gr.Row():
                            question = gr.Textbox(
                                label=L["question"],
                                placeholder=L["question_ph"],
                                elem_id="question",
                                lines=1,
                                max_lines=4,
                                max_length=settings.max_question_chars,
                                scale=5,
                                autofocus=True,
                                submit_btn=False,
                            )
                            ask = gr.Button(L["send"], variant="primary", elem_id="ask", scale=1, min_width=90)
                        with gr.Row():
                            comment = gr.Textbox(
                                label=L["feedback_comment"],
                                placeholder=L["feedback_comment_ph"],
                                elem_id="feedback-comment",
                                lines=1,
                                max_lines=4,
                                max_length=settings.max_feedback_comment_chars,
                                scale=5,
                            )
                            comment_btn = gr.Button(
                                L["feedback_send"], size="sm", elem_id="feedback-send", scale=1, min_width=120
                            )
                        feedback_msg = gr.HTML("", elem_id="feedback-msg", js_on_load=None)
                        gr.Markdown(f"**{L['examples']}**")
                        with gr.Row(elem_classes=["ta-examples"]):
                            example_buttons = [
                                gr.Button(q, size="sm", elem_classes=["ta-example"]) for q in EXAMPLE_QUESTIONS
                            ]
                        scope = gr.Dropdown(
                            choices=[],
                            value=[],
                            multiselect=True,
                            label=L["scope"],
                            info=L["scope_info"],
                            elem_id="scope",
                        )
                        with gr.Row():
                            backend = gr.Dropdown(
                                choices=list(BACKEND_CHOICES),
                                value=default_backend,
                                label=L["backend"],
                                elem_id="backend",
                                scale=3,
                            )
                            clear = gr.Button(L["new_chat"], elem_id="new-chat", scale=1, min_width=120)
                    with gr.Column(scale=2, min_width=300):
                        sources = gr.HTML(sources_html([], "answered"), elem_id="sources", js_on_load=None)
            with gr.Tab(L["tab_portfolio"], id="portfolio", elem_id="tab-portfolio"), gr.Row(equal_height=False):
                with gr.Column(scale=2, min_width=320):
                    idea = gr.Textbox(
                        label=L["idea"],
                        placeholder=L["idea_ph"],
                        lines=6,
                        max_lines=20,
                        max_length=MAX_IDEA_CHARS,
                        elem_id="idea",
                    )
                    pf_backend = gr.Dropdown(
                        choices=list(BACKEND_CHOICES), value=default_backend, label=L["backend"], elem_id="pf-backend"
                    )
                    check = gr.Button(L["check"], variant="primary", elem_id="check")
                with gr.Column(scale=3, min_width=360):
                    pf_result = gr.HTML(message_html(L["portfolio_empty"]), elem_id="portfolio-result", js_on_load=None)
            with gr.Tab(L["tab_docs"], id="documents", elem_id="tab-docs"):
                gr.Markdown(L["docs_intro"])
                docs_table = gr.HTML(elem_id="documents", js_on_load=None)
                refresh = gr.Button(L["refresh"], size="sm", elem_id="docs-refresh")
                doc_msg = gr.HTML("", elem_id="docs-msg", js_on_load=None)
                if key_configured:
                    api_key = gr.Textbox(label=L["api_key"], type="password", elem_id="api-key")
                    with gr.Row(equal_height=False):
                        with gr.Column():
                            upload_file = gr.File(
                                label=L["upload_file"],
                                file_count="single",
                                type="filepath",
                                file_types=sorted(SUPPORTED_EXTENSIONS),
                                elem_id="upload-file",
                            )
                            upload_btn = gr.Button(L["upload"], variant="primary", elem_id="upload")
                        with gr.Column():
                            delete_id = gr.Dropdown(label=L["delete_id"], choices=[], elem_id="delete-id")
                            delete_btn = gr.Button(L["delete"], variant="stop", elem_id="delete")
                else:
                    gr.HTML(message_html(L["docs_disabled"]), elem_id="docs-disabled", js_on_load=None)

        # ---- events --------------------------------------------------------------------------
        chat_outputs = [chatbot, sources, conversation_id, turn_ids, conversations, question]
        chat_inputs = [question, backend, scope, chatbot, conversation_id, turn_ids]
        question.submit(respond, chat_inputs, chat_outputs, api_visibility="private")
        ask.click(respond, chat_inputs, chat_outputs, api_visibility="private")
        for button, text in zip(example_buttons, EXAMPLE_QUESTIONS, strict=True):

            def ask_example(backend_value, scope_value, chat, cid, ids, request: gr.Request, _text=text):
                yield from respond(_text, backend_value, scope_value, chat, cid, ids, request)

            button.click(
                ask_example,
                [backend, scope, chatbot, conversation_id, turn_ids],
                chat_outputs,
                api_visibility="private",
            )
        view_outputs = [
            chatbot,
            sources,
            conversation_id,
            turn_ids,
            conversations,
            rename_title,
            conv_msg,
            share_box,
            rated,
            export_files,
        ]
        conversations.input(open_chat, conversations, view_outputs, api_visibility="private")
        open_btn.click(open_chat, conversations, view_outputs, api_visibility="private")
        clear.click(new_chat, None, view_outputs, api_visibility="private")
        chatbot.clear(new_chat, None, view_outputs, api_visibility="private")  # its own bin icon
        delete_chat_btn.click(delete_chat, conversation_id, view_outputs, api_visibility="private")
        rename_btn.click(
            rename_chat,
            [conversation_id, rename_title],
            [conversations, rename_title, conv_msg],
            api_visibility="private",
        )
        chatbot.like(
            rate, [conversation_id, turn_ids, chatbot, comment], [feedback_msg, rated], api_visibility="private"
        )
        comment_btn.click(comment_on, [rated, comment], [feedback_msg, comment], api_visibility="private")
        export_btn.click(export, conversation_id, [export_files, conv_msg], api_visibility="private")
        share_btn.click(share, conversation_id, share_box, api_visibility="private")
        unshare_btn.click(unshare, conversation_id, share_box, api_visibility="private")
        blocks.load(load_chats, None, [conversations, conv_msg], api_visibility="private")
        check.click(check_idea, [idea, pf_backend], pf_result, api_visibility="private")
        docs_outputs = [docs_table, scope, delete_id] if key_configured else [docs_table, scope]
        refresh.click(refresh_docs, None, docs_outputs, api_visibility="private")
        blocks.load(refresh_docs, None, docs_outputs, api_visibility="private")
        if key_configured:
            upload_btn.click(upload, [upload_file, api_key], [doc_msg, *docs_outputs], api_visibility="private")
            delete_btn.click(delete, [delete_id, api_key], [doc_msg, *docs_outputs], api_visibility="private")
    return blocks
