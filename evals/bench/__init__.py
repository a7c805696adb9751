"""Benchmarks: each prints its figures beside a baseline measured in the same run, as a ratio.

    assistant bench ingest   full ingest vs the bare embedder on the same texts; peak memory
                             (evals/bench/ingest.py)
    assistant bench query    /api/ask over real HTTP (uvicorn on loopback, extractive) vs the bare
                             query embedding of the same questions; cold and warm (query.py)
    assistant bench llm      time to first token and tokens/s of the llamacpp backend through the
                             answering service vs llama_cpp.Llama directly (same prompt, same
                             model) (llm.py)
    assistant bench scale    a generated 10,000-chunk corpus (scale_corpus.py): ingest throughput
                             vs the bare embedder, query latency vs the shipped corpus, peak
                             memory; with embedded Chroma and with a `chroma run` server on
                             loopback (`--chunks N`: ingest timed on N chunks; N >= 10,000 ingests
                             and queries the whole generated corpus with real embeddings) (scale.py)

`python -m evals.bench` is the same command line (cli.py). All figures are measured on this
machine in one run; nothing is compared with stored numbers. evals/BENCHMARKS.md says what each
figure is and lists results.
"""
