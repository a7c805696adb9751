"""Running the benchmarks: `main` for `assistant bench`, `command_line` for `python -m evals.bench`
(the same, plus --chunks for scale, and the scale benchmark's `_ingest` child process)."""

from __future__ import annotations

import argparse
import inspect
import json
from collections.abc import Callable
from pathlib import Path

from assistant.settings import Settings
from evals.bench.ingest import bench_ingest
from evals.bench.ingest_process import ingest_main
from evals.bench.llm import bench_llm
from evals.bench.portfolio import bench_portfolio
from evals.bench.query import bench_query
from evals.bench.scale import bench_scale
from evals.figures import print_table

BENCHES: dict[str, Callable[..., dict]] = {
    "ingest": bench_ingest,
    "query": bench_query,
    "llm": bench_llm,
    "portfolio": bench_portfolio,
    "scale": bench_scale,
}


def main(settings: Settings, what: str = "all", out: Path | None = None, **options) -> int:
    """Run one benchmark or all. `options` (e.g. chunks=1000 for scale) go to the benchmarks that
    take them; None values are ignored."""
    names = list(BENCHES) if what == "all" else [what]
    unknown = [n for n in names if n not in BENCHES]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; choose from {', '.join(BENCHES)} or all")
        return 2
    results = []
    for name in names:
        fn = BENCHES[name]
        accepted = inspect.signature(fn).parameters
        kwargs = {k: v for k, v in options.items() if v is not None and k in accepted}
        result = fn(settings, **kwargs)
        print_table(result)
        print(flush=True)
        results.append(result)
        if out:
            out.mkdir(parents=True, exist_ok=True)
            (out / "bench.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
            if name == "scale":
                from evals.plots import scale_plot

                png = scale_plot(result, out / "scale.png")
                if png:
                    print(f"plot: {png}")
    return 0


def command_line(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evals.bench", description="Same as `assistant bench`, plus --chunks for scale."
    )
    parser.add_argument("what", nargs="?", default="all", help="ingest | query | llm | portfolio | scale | all")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument(
        "--chunks",
        type=int,
        default=None,
        help="scale: size of the corpus whose ingest is timed with the real embedder (default 1000)",
    )
    parser.add_argument(
        "--questions",
        type=int,
        default=None,
        help="llm: how many questions (default 3); portfolio: how many ideas (default 6)",
    )
    parser.add_argument("--corpus", type=Path, default=None, help=argparse.SUPPRESS)  # internal: _ingest
    parser.add_argument("--cheap", action="store_true", help=argparse.SUPPRESS)  # internal: _ingest
    args = parser.parse_args(argv)
    if args.what == "_ingest":
        return ingest_main(args.corpus, args.cheap)
    return main(Settings(), what=args.what, out=args.out, chunks=args.chunks, questions=args.questions)
