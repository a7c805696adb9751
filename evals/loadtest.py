"""Load test: N concurrent clients for T seconds against a running server, on loopback only.

    assistant serve --port 8000 &                      # the real server (ingest + warm-up first)
    python -m evals.loadtest --url http://127.0.0.1:8000 --clients 32 --seconds 60

Phases, all against the same server in the same run:

1. warm-up: every question once, one at a time (fills the sentence bank for these questions;
   its latencies are reported as "cold");
2. baseline: `/healthz` probed alone (idle latency), then one client asking questions one after
   another (single-client latency and throughput);
3. load: ``--clients`` clients each asking the evaluation questions in a loop for ``--seconds``,
   while a separate process probes `/healthz` every ``--probe-interval`` seconds (its own
   process, so the load client's busy event loop does not inflate the probe). A slow `/healthz`
   under load means the server's event loop is blocked or starved.

Every figure is printed beside its baseline, as a ratio. An error is any response that is not
200 (or, with ``--expect``, not one of the given statuses) and any transport failure or timeout.

Bounded: only loopback addresses are accepted, each request has a timeout, the run stops at its
deadline, and ``--max-requests`` caps the total. The exit code is 1 when there were errors.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from evals.datasets import question_texts
from evals.figures import ms_summary, print_table, ratio
from evals.serving import RssSampler, serving

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


# ---------------------------------------------------------------------------- requests


def check_loopback(base_url: str) -> str:
    host = urlsplit(base_url).hostname or ""
    if host not in LOOPBACK_HOSTS:
        raise ValueError(
            f"refusing to load-test {host!r}: only loopback addresses ({', '.join(sorted(LOOPBACK_HOSTS))})"
        )
    return base_url.rstrip("/")


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)  # seconds, successful requests only
    statuses: dict[str, int] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    retry_after: int = 0  # error responses that carried Retry-After

    def record(self, status: str, seconds: float, ok: bool, detail: str = "", retry_after: bool = False) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if ok:
            self.latencies.append(seconds)
        else:
            self.errors += 1
            self.retry_after += int(retry_after)
            if len(self.error_samples) < 5:
                self.error_samples.append(f"{status}: {detail[:200]}")

    @property
    def count(self) -> int:
        return sum(self.statuses.values())


async def _one(
    client: httpx.AsyncClient, method: str, url: str, tally: Tally, expect: set[int], json_body: dict | None = None
) -> None:
    started = time.perf_counter()
    try:
        response = await client.request(method, url, json=json_body)
        elapsed = time.perf_counter() - started
        ok = response.status_code in expect
        tally.record(
            str(response.status_code),
            elapsed,
            ok,
            "" if ok else response.text,
            retry_after="retry-after" in response.headers,
        )
    except httpx.HTTPError as exc:
        tally.record(exc.__class__.__name__, time.perf_counter() - started, False, str(exc))


def _payload(question: str, backend: str | None) -> dict:
    return {"question": question, **({"backend": backend} if backend else {})}


async def _asker(client, url, questions, start_at, deadline, tally, expect, backend, budget) -> None:
    for question in itertools.islice(itertools.cycle(questions), start_at, None):
        if time.monotonic() >= deadline or budget[0] <= 0:
            return
        budget[0] -= 1
        await _one(client, "POST", url, tally, expect, _payload(question, backend))


def probe_healthz(url: str, seconds: float, interval: float, timeout: float = 10.0) -> dict:
    """GET /healthz every `interval` s for `seconds` with a plain blocking client; latencies in s.
    Runs in its own process during the load so the client's busy event loop does not inflate
    what it measures."""
    latencies, errors = [], []
    deadline = time.monotonic() + seconds
    with httpx.Client(timeout=timeout) as client:
        while time.monotonic() < deadline:
            t = time.perf_counter()
            try:
                r = client.get(url)
                elapsed = time.perf_counter() - t
                if r.status_code == 200:
                    latencies.append(elapsed)
                else:
                    errors.append(str(r.status_code))
            except httpx.HTTPError as exc:
                errors.append(exc.__class__.__name__)
            time.sleep(interval)
    return {"latencies": latencies, "errors": errors}


async def _probe_in_process(url: str, seconds: float, interval: float) -> Tally:
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "evals.loadtest",
        "--probe",
        url,
        "--seconds",
        str(seconds),
        "--probe-interval",
        str(interval),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        cwd=str(Path(__file__).resolve().parent.parent),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout=seconds + 60)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise
    tally = Tally()
    if proc.returncode != 0:
        tally.record("probe-failed", 0.0, False, err.decode(errors="replace")[-500:])
        return tally
    data = json.loads(out)
    for s in data["latencies"]:
        tally.record("200", s, True)
    for e in data["errors"]:
        tally.record(e, 0.0, False, e)
    return tally


async def run_load(
    base_url: str,
    clients: int = 32,
    seconds: float = 60.0,
    *,
    path: str = "/api/ask",
    backend: str | None = "extractive",
    questions: list[str] | None = None,
    probe_interval: float = 0.2,
    timeout: float = 30.0,
    warmup: bool = True,
    baseline_seconds: float = 5.0,
    max_requests: int = 100_000,
    expect: set[int] | None = None,
) -> dict:
    """Run the three phases (see the module doc) and return every figure in one flat dict."""
    base_url = check_loopback(base_url)
    if clients < 1 or seconds <= 0:
        raise ValueError("clients must be >= 1 and seconds > 0")
    questions = questions or question_texts()
    expect = expect or {200}
    ask_url, health_url = base_url + path, base_url + "/healthz"
    limits = httpx.Limits(max_connections=clients + 4, max_keepalive_connections=clients + 4)
    budget = [max_requests]
    out: dict = {
        "url": base_url,
        "path": path,
        "backend": backend,
        "clients": clients,
        "seconds": seconds,
        "questions": len(questions),
    }
    async with httpx.AsyncClient(timeout=timeout, limits=limits) as client:
        # 1. warm-up (cold latencies)
        if warmup:
            cold = Tally()
            for q in questions:
                if budget[0] <= 0:
                    break
                budget[0] -= 1
                await _one(client, "POST", ask_url, cold, expect, _payload(q, backend))
            out["cold_requests"] = cold.count
            out["cold_errors"] = cold.errors
            out.update({f"cold_{k}": v for k, v in ms_summary(cold.latencies).items() if k != "n"})
        # 2. baselines: idle /healthz, then one client alone
        idle = await _probe_in_process(health_url, min(baseline_seconds, 5.0), probe_interval)
        single = Tally()
        t0 = time.monotonic()
        await _asker(client, ask_url, questions, 0, t0 + baseline_seconds, single, expect, backend, budget)
        single_s = time.monotonic() - t0
        # 3. load, with the /healthz probe beside it
        load = Tally()
        prober = asyncio.create_task(_probe_in_process(health_url, seconds, probe_interval))
        await asyncio.sleep(0.5)  # let the probe process start before the load does
        t0 = time.monotonic()
        deadline = t0 + seconds
        tasks = [
            asyncio.create_task(_asker(client, ask_url, questions, i * 7, deadline, load, expect, backend, budget))
            for i in range(clients)
        ]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout=seconds + timeout + 10)
        except TimeoutError:
            for t in tasks:
                t.cancel()
            out["stopped_at_hard_deadline"] = True
        load_s = time.monotonic() - t0
        probe = await prober
    single_tp = single.count / single_s if single_s > 0 else math.nan
    load_tp = load.count / load_s if load_s > 0 else math.nan
    s_single, s_load = ms_summary(single.latencies), ms_summary(load.latencies)
    s_idle, s_probe = ms_summary(idle.latencies), ms_summary(probe.latencies)
    out.update(
        {
            "requests": load.count,
            "errors": load.errors,
            "statuses": dict(sorted(load.statuses.items())),
            "error_samples": load.error_samples,
            "duration_s": round(load_s, 2),
            "throughput_rps": round(load_tp, 2),
            "latency_p50_ms": s_load.get("p50_ms"),
            "latency_p95_ms": s_load.get("p95_ms"),
            "latency_p99_ms": s_load.get("p99_ms"),
            "latency_max_ms": s_load.get("max_ms"),
            "single_client_requests": single.count,
            "single_client_errors": single.errors,
            "single_client_throughput_rps": round(single_tp, 2),
            "single_client_p50_ms": s_single.get("p50_ms"),
            "single_client_p95_ms": s_single.get("p95_ms"),
            "throughput_ratio_vs_single": ratio(load_tp, single_tp),
            "healthz_probes": probe.count,
            "healthz_errors": probe.errors,
            "healthz_p50_ms": s_probe.get("p50_ms"),
            "healthz_p95_ms": s_probe.get("p95_ms"),
            "healthz_max_ms": s_probe.get("max_ms"),
            "healthz_idle_p50_ms": s_idle.get("p50_ms"),
            "healthz_idle_p95_ms": s_idle.get("p95_ms"),
            "healthz_p95_ratio_vs_idle": ratio(s_probe.get("p95_ms"), s_idle.get("p95_ms")),
            "ask_p50_ratio_vs_single": ratio(s_load.get("p50_ms"), s_single.get("p50_ms")),
        }
    )
    return out


def run(base_url: str, clients: int = 32, seconds: float = 60.0, **kwargs) -> dict:
    """Synchronous wrapper (own event loop)."""
    return asyncio.run(run_load(base_url, clients, seconds, **kwargs))


# ---------------------------------------------------------------------------- command line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", help="base URL of a running server on loopback, e.g. http://127.0.0.1:8000")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="start `assistant serve` (settings from the environment) on a free loopback port instead",
    )
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--path", default="/api/ask")
    parser.add_argument("--backend", default="extractive", help="backend field of each question ('' = server default)")
    parser.add_argument("--questions", type=int, default=None, help="use only the first N evaluation questions")
    parser.add_argument("--probe-interval", type=float, default=0.2)
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--baseline-seconds", type=float, default=5.0)
    parser.add_argument("--max-requests", type=int, default=100_000)
    parser.add_argument("--no-warmup", action="store_true")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures to this file")
    parser.add_argument("--probe", default=None, help=argparse.SUPPRESS)  # internal: the /healthz probe process
    args = parser.parse_args(argv)
    if args.probe:
        check_loopback(args.probe)
        print(json.dumps(probe_healthz(args.probe, args.seconds, args.probe_interval)))
        return 0
    if bool(args.url) == bool(args.serve):
        parser.error("give exactly one of --url or --serve")
    questions = question_texts()[: args.questions] if args.questions else question_texts()
    kwargs = {
        "path": args.path,
        "backend": args.backend or None,
        "questions": questions,
        "probe_interval": args.probe_interval,
        "timeout": args.timeout,
        "warmup": not args.no_warmup,
        "baseline_seconds": args.baseline_seconds,
        "max_requests": args.max_requests,
    }
    if args.serve:
        env = {k: v for k, v in os.environ.items() if k.startswith("ASSISTANT_")}
        with serving(env) as server:
            sampler = RssSampler(server.proc.pid)
            result = run(server.base_url, args.clients, args.seconds, **kwargs)
            result["server_peak_rss_mb"] = sampler.stop()
    else:
        result = run(args.url, args.clients, args.seconds, **kwargs)
    print_table(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1), encoding="utf-8")
    return 1 if result["errors"] or result.get("cold_errors") else 0


if __name__ == "__main__":
    raise SystemExit(main())
