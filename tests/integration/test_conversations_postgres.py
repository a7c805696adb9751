"""The conversation store on a real PostgreSQL server (ASSISTANT_CONVERSATIONS_URL): the store's
own behaviour tests (tests/unit/test_conversation_store.py) run again on it, then what only
replicas do: two stores (two replicas) writing to one conversation at once, and a conversation
started through one server process and continued through another."""

from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import pytest

from assistant.conversations import ConversationStore
from assistant.conversations.postgres import safe_url

pytestmark = pytest.mark.slow

_spec = importlib.util.spec_from_file_location(
    "conversation_store_behaviour", Path(__file__).parents[1] / "unit" / "test_conversation_store.py"
)
assert _spec is not None and _spec.loader is not None
behaviour = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(behaviour)

# the same tests, with `store` below: a PostgreSQL database instead of a SQLite file
test_create_list_get_rename_delete = behaviour.test_create_list_get_rename_delete
test_newest_first_within_one_second = behaviour.test_newest_first_within_one_second
test_conversation_count_limit = behaviour.test_conversation_count_limit
test_turn_limit = behaviour.test_turn_limit
test_title_and_comment_too_long = behaviour.test_title_and_comment_too_long
test_another_owner_cannot_touch_a_conversation = behaviour.test_another_owner_cannot_touch_a_conversation
test_not_yours_reads_like_does_not_exist = behaviour.test_not_yours_reads_like_does_not_exist
test_turns_history_order_and_auto_title = behaviour.test_turns_history_order_and_auto_title
test_auto_title_only_for_an_untitled_conversation_and_shortened = (
    behaviour.test_auto_title_only_for_an_untitled_conversation_and_shortened
)
test_share_token_stable_until_revoked = behaviour.test_share_token_stable_until_revoked
test_feedback_second_vote_replaces_and_outlives_its_conversation = (
    behaviour.test_feedback_second_vote_replaces_and_outlives_its_conversation
)
test_export_markdown_numbers_the_sources = behaviour.test_export_markdown_numbers_the_sources
test_export_json_round_trips = behaviour.test_export_json_round_trips


@pytest.fixture
def store(postgres_server):
    s = ConversationStore(postgres_server.new_database(), max_conversations=3, max_turns=3)
    yield s
    s.close()


def test_the_schema_is_migrated_once_and_the_url_hides_its_password(postgres_server):
    url = postgres_server.new_database()
    first = ConversationStore(url)
    second = ConversationStore(url)  # a second replica finds it migrated
    assert first.schema_version() == second.schema_version() == len(behaviour.MIGRATIONS)
    first.close()
    second.close()
    assert safe_url("postgresql://u:secret@h:5432/db") == "postgresql://u:***@h:5432/db"


def test_two_replicas_add_turns_to_one_conversation_at_once(postgres_server):
    url = postgres_server.new_database()
    replicas = [ConversationStore(url, max_turns=500) for _ in range(2)]
    convo = replicas[0].create("owner-1", "samen")
    errors: list[BaseException] = []

    def add(store: ConversationStore, n: int) -> None:
        try:
            for k in range(20):
                store.add_turn("owner-1", convo["id"], behaviour.answer(f"vraag {n}-{k}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(replicas[i % 2], i)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors
    turns = replicas[1].get("owner-1", convo["id"])["turns"]
    assert [t["position"] for t in turns] == list(range(160))  # contiguous: no position taken twice
    assert len({t["question"] for t in turns}) == 160
    for r in replicas:
        r.close()
