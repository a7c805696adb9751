"""The web UI: a Gradio app mounted on the FastAPI app at /ui (chat, portfolio check, documents).

`mount_ui(app, services, settings)` builds everything; importing this package does no work.

- `labels`: every text on the page (Dutch), the example questions, the backend names shown
- `render`: results -> escaped HTML panels and chat Markdown (plain functions)
- `handlers`: the functions behind the widgets (`chat_turn` streams one question,
  `portfolio_check`, `upload_document`, `delete_document`)
- `conversation_handlers`: the chat tab's saved conversations (the browser's list by its
  `ta_owner` cookie, open / new / rename / delete, a question saved as a turn, thumbs up/down
  with a comment, Markdown/JSON export, the share link)
- `shared_page`: the read-only page of a shared conversation at /shared/{token}
- `document_actions`: the UI's calls to assistant.documents.DocumentService
- `blocks`: lays out the widgets and wires them to the handlers; `theme` and `style.css`: the look
- `mount`: serves it all at /ui

`render` and `handlers` are tested without a browser and the mounted page with a test client
(tests/integration/test_ui_logic.py, test_ui_conversation_logic.py); the page in Chromium by
tests/integration/test_ui_browser.py and test_ui_conversations_browser.py.

Safety: document and answer text is never put into the page as markup (see `render`), and the
Chatbot additionally sanitises what it renders.
"""

from assistant.ui.mount import mount_ui

__all__ = ["mount_ui"]
