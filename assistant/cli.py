"""`assistant` command line: ingest, show, ask, chat, fit, eval, serve, bench."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__)


def _settings(**overrides):
    from assistant.settings import Settings

    return Settings(**{k: v for k, v in overrides.items() if v is not None})


def _fail(message: str, code: int = 2) -> NoReturn:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


@app.command()
def ingest(
    corpus: Annotated[Path | None, typer.Option("--corpus", help="folder of documents (default: corpus/)")] = None,
    rebuild: bool = typer.Option(False, "--rebuild", help="re-embed everything (e.g. after changing the embedder)"),
    as_json: bool = typer.Option(False, "--json", help="print the summary as JSON"),
):
    """Index the corpus: new and changed files are embedded, removed ones dropped."""
    from assistant.documents import recover_interrupted_uploads
    from assistant.services import Services
    from ingest.store import StoreError

    services = Services(_settings())
    recovery = recover_interrupted_uploads(services.settings.data_dir)
    if recovery.undone:  # a server was killed during an upload: its client never got a 201
        typer.echo(f"put back as before an interrupted upload: {', '.join(recovery.undone)}", err=True)
    try:
        report = services.ingest(corpus_dir=corpus, rebuild=rebuild, progress=sys.stderr.isatty() or not as_json)
    except StoreError as exc:
        _fail(str(exc))
    typer.echo(json.dumps(report.as_dict(), ensure_ascii=False, indent=1) if as_json else report.summary())
    raise typer.Exit(report.exit_code)


@app.command()
def show(
    sections: bool = typer.Option(False, "--sections", help="list every chunk's section"),
    as_json: bool = typer.Option(False, "--json"),
):
    """What is stored: documents, chunk counts, embedder, sections."""
    from ingest.store import StoreError, read_generation_chunks, read_manifest

    settings = _settings()
    try:
        manifest = read_manifest(settings.data_dir)
    except StoreError as exc:
        _fail(str(exc))
    if manifest is None:
        _fail(f"no index in {settings.data_dir}; run `assistant ingest`")
    chunks = read_generation_chunks(settings, manifest)
    if as_json:
        out = {k: manifest[k] for k in ("generation", "embedder", "chunking", "documents", "chunk_count", "created_at")}
        if sections:
            out["chunks"] = [
                {
                    "chunk_id": c.chunk_id,
                    "section": c.section_number,
                    "title": c.section_title,
                    "kind": c.kind,
                    "page": c.page,
                    "words": len(c.text.split()),
                }
                for c in chunks
            ]
        typer.echo(json.dumps(out, ensure_ascii=False, indent=1))
        return
    typer.echo(f"data dir:  {settings.data_dir}")
    typer.echo(f"embedder:  {manifest['embedder']['name']} (dim {manifest['embedder']['dim']})")
    typer.echo(f"chroma:    {manifest.get('chroma_mode')} collection {manifest['collection']}")
    typer.echo(f"chunking:  {manifest['chunking']}")
    typer.echo(f"chunks:    {manifest['chunk_count']}   generation {manifest['generation']} ({manifest['created_at']})")
    typer.echo("documents:")
    for doc_id, d in sorted(manifest["documents"].items()):
        typer.echo(f"  {doc_id}  {d['chunks']:>4} chunks  {d['format']:<4} {d['title']}  ({d['path']})")
    seen: list[list[Any]] = []  # [(doc_id, section number, title), chunk count, kind]
    for c in chunks:
        key = (c.doc_id, c.section_number, c.section_title)
        if not seen or seen[-1][0] != key:
            seen.append([key, 0, c.kind])
        seen[-1][1] += 1
    typer.echo("sections:")
    for (doc_id, num, title), n, kind in seen:
        tag = "" if kind == "body" else f" ({kind})"
        typer.echo(f"  {doc_id}  {num or '-':>5}  {title}{tag}  [{n}]")
    if sections:
        for c in chunks:
            typer.echo(f"{c.chunk_id}  {c.section_number or '-'}  {c.kind}  {c.text[:70]!r}")


def _print_answer(answer, as_json: bool) -> None:
    if as_json:
        typer.echo(answer.model_dump_json(indent=1))
        return
    typer.echo(answer.answer)
    if answer.citations:
        typer.echo("\nBronnen / sources:")
        for c in answer.citations:
            typer.echo(f"[{c.id}] {c.document} — {c.location()}")
            typer.echo("    " + c.text[:300].replace("\n", " ") + ("…" if len(c.text) > 300 else ""))
    if answer.flagged_sentences:
        typer.echo(f"\n(dropped {len(answer.flagged_sentences)} unsupported sentence(s))")


@app.command()
def ask(
    question: str = typer.Argument(..., help="the question, Dutch or English"),
    backend: str | None = typer.Option(None, "--backend", help="extractive | llamacpp | openai"),
    top_k: int | None = typer.Option(None, "--top-k"),
    as_json: bool = typer.Option(False, "--json", help="print the answer as JSON"),
):
    """Answer one question with citations."""
    from assistant.answering.errors import QuestionError
    from assistant.llm.base import GeneratorError
    from assistant.services import Services
    from ingest.store import StoreError

    services = Services(_settings())
    try:
        answer = services.answers.ask(question, backend=backend, top_k=top_k)
    except (QuestionError, StoreError, GeneratorError) as exc:
        _fail(str(exc))
    _print_answer(answer, as_json)


@app.command()
def chat(backend: str | None = typer.Option(None, "--backend")):
    """Interactive conversation in the terminal (empty line or Ctrl-D ends it)."""
    from assistant.answering.errors import QuestionError
    from assistant.llm.base import GeneratorError
    from assistant.schema import ChatMessage
    from assistant.services import Services
    from ingest.store import StoreError

    services = Services(_settings())
    history: list[ChatMessage] = []
    typer.echo("Stel een vraag over het strategisch plan (lege regel om te stoppen).")
    while True:
        try:
            question = input("> ").strip()
        except EOFError:
            break
        if not question:
            break
        try:
            answer = services.answers.ask(question, history=history, backend=backend)
        except (QuestionError, StoreError, GeneratorError) as exc:
            typer.secho(f"error: {exc}", fg=typer.colors.RED)
            continue
        _print_answer(answer, False)
        typer.echo("")
        history += [ChatMessage(role="user", content=question), ChatMessage(role="assistant", content=answer.answer)]


@app.command()
def fit(
    idea: str = typer.Argument(..., help="the idea, 1 to 4,000 characters, Dutch or English"),
    backend: str | None = typer.Option(None, "--backend"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Does an idea fit one of the plan's impact portfolios?"""
    from assistant.answering.errors import BackendBusy
    from assistant.llm.base import GeneratorError
    from assistant.portfolio import IdeaError, render_fit
    from assistant.services import Services
    from ingest.store import StoreError

    services = Services(_settings())
    try:
        result = services.portfolio.check(idea, backend=backend)
    except (IdeaError, StoreError, GeneratorError, BackendBusy) as exc:
        _fail(str(exc))
    typer.echo(result.model_dump_json(indent=1) if as_json else render_fit(result))


@app.command()
def serve(
    host: str | None = typer.Option(None, "--host"),
    port: int | None = typer.Option(None, "--port"),
    watch: bool = typer.Option(
        False, "--watch", help="ingest files added, changed or removed in the corpus folder while serving"
    ),
):
    """Ingest when the index is missing or stale, then serve the API and the UI."""
    from assistant.api.server import run

    run(_settings(host=host, port=port, watch=True if watch else None))  # else ASSISTANT_WATCH decides


@app.command(name="eval")
def evaluate(
    configs: str | None = typer.Option(None, "--configs", help="comma-separated configuration names"),
    backend: str | None = typer.Option(None, "--backend", help="also run this answer backend"),
    subset: str | None = typer.Option(None, "--subset", help="dev | test | ci | all"),
    out: Annotated[Path | None, typer.Option("--out", help="reports folder")] = None,
    judge: bool = typer.Option(False, "--judge", help="LLM-judge mode (needs a language model)"),
    gate: bool = typer.Option(False, "--gate", help="exit 1 when the default configuration misses the CI thresholds"),
    eval_set: str | None = typer.Option(
        None, "--set", help="plan (default) | multidoc: the plan and two invented test documents"
    ),
    from_feedback: bool = typer.Option(
        False, "--from-feedback", help="turn thumbs-down answers into draft evaluation items; print the counts"
    ),
    feedback_file: Annotated[
        Path | None, typer.Option("--feedback-file", help="draft items file (default evals/data/feedback_items.jsonl)")
    ] = None,
):
    """Score retrieval, answers, citations, refusals and the portfolio check; write a report."""
    if from_feedback:
        from assistant.services import Services
        from evals.feedback import FEEDBACK_ITEMS
        from evals.feedback import from_feedback as drafts_from_feedback

        services = Services(_settings())
        try:
            typer.echo(drafts_from_feedback(services.conversations, feedback_file or FEEDBACK_ITEMS, out))
        finally:
            services.close()
        raise typer.Exit(0)
    from evals.runner import main as run_eval

    raise typer.Exit(
        run_eval(
            _settings(),
            configs=configs,
            backend=backend,
            subset=subset,
            out=out,
            judge=judge,
            gate=gate,
            eval_set=eval_set,
        )
    )


@app.command()
def bench(
    what: str = typer.Argument("all", help="ingest | query | llm | portfolio | scale | all"),
    out: Annotated[Path | None, typer.Option("--out")] = None,
    chunks: int | None = typer.Option(None, "--chunks", help="scale: chunks embedded for real in the ingest ratio"),
    questions: int | None = typer.Option(
        None, "--questions", help="llm: how many questions (default 3); portfolio: how many ideas (default 6)"
    ),
):
    """Benchmarks that print figures beside a baseline measured in the same run."""
    from evals.bench.cli import main as run_bench

    options = {k: v for k, v in {"chunks": chunks, "questions": questions}.items() if v is not None}
    raise typer.Exit(run_bench(_settings(), what=what, out=out, **options))


if __name__ == "__main__":
    app()
