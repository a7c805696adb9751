"""PNG plots of an evaluation result (matplotlib, Agg backend: no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

BAR_METRICS = (
    "hit@5",
    "mrr",
    "ndcg@10",
    "recall@5",
    "fact_recall",
    "citation_precision",
    "citation_recall",
    "not_found_precision",
    "not_found_recall",
)


def _save(fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def metrics_by_config(result: dict, path: Path, split: str = "all") -> Path | None:
    """Grouped bars: one group per metric, one bar per configuration."""
    configs = [c for c, e in result["configs"].items() if split in e["splits"]]
    if not configs:
        return None
    fig, ax = plt.subplots(figsize=(12, 4.8))
    width = 0.8 / len(configs)
    x = np.arange(len(BAR_METRICS))
    for i, name in enumerate(configs):
        agg = result["configs"][name]["splits"][split]
        vals = [agg.get(m) for m in BAR_METRICS]
        ax.bar(
            x + i * width - 0.4 + width / 2,
            [0 if v is None else v for v in vals],
            width,
            label=name + ("" if result["configs"][name].get("refuses", True) else " (never refuses)"),
        )
        for j, v in enumerate(vals):
            if v is None:
                ax.text(
                    x[j] + i * width - 0.4 + width / 2, 0.01, "n/a", rotation=90, ha="center", va="bottom", fontsize=6
                )
    ax.set_xticks(x, BAR_METRICS, rotation=20)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("score")
    ax.set_title(f"Metrics per configuration ({split} split of the {result['subset']} subset)")
    ax.legend(fontsize=8, ncol=len(configs), loc="upper center", bbox_to_anchor=(0.5, -0.18), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return _save(fig, path)


def latency(result: dict, path: Path) -> Path | None:
    """Box plot of milliseconds per stage for the default configuration, plus median totals per config."""
    name = result["default_config"]
    entry = result["configs"].get(name)
    if not entry:
        return None
    stages: dict[str, list[float]] = {}
    for r in entry["records"]:
        for s, ms in r["timings"].items():
            stages.setdefault(s, []).append(ms)
    if not stages:
        return None
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.5), gridspec_kw={"width_ratios": [2, 1]})
    labels = list(stages)
    a1.boxplot([stages[s] for s in labels], showfliers=True)
    a1.set_xticks(range(1, len(labels) + 1), labels, rotation=20)
    a1.set_yscale("symlog", linthresh=1.0)
    a1.set_ylim(bottom=0)
    a1.set_ylabel("ms (symlog)")
    a1.set_title(f"Latency per stage: {name}")
    a1.grid(axis="y", alpha=0.3)
    names = [n for n, e in result["configs"].items() if e["splits"]["all"]["latency"].get("total")]
    med = [result["configs"][n]["splits"]["all"]["latency"]["total"]["median"] for n in names]
    p95 = [result["configs"][n]["splits"]["all"]["latency"]["total"]["p95"] for n in names]
    y = np.arange(len(names))
    a2.barh(y, p95, color="#c9d6ea", label="p95")
    a2.barh(y, med, color="#4c72b0", label="median")
    a2.set_yticks(y, names, fontsize=8)
    a2.set_xlabel("total ms per answer")
    a2.legend(fontsize=8)
    a2.set_title("Total per configuration")
    return _save(fig, path)


def threshold_curve(result: dict, path: Path) -> Path | None:
    sweep = result.get("threshold_sweep")
    if not sweep:
        return None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    styles = {"dev": "-", "test": "--", "all": ":"}
    for split, rows in sweep.items():
        if split == "all" and ("dev" in sweep and "test" in sweep):
            continue
        t = [r["threshold"] for r in rows]
        for key, color, label in (
            ("not_found_precision", "#4c72b0", "precision"),
            ("not_found_recall", "#dd8452", "recall"),
            ("refusal_rate_answerable", "#55a868", "answerable refused"),
        ):
            vals = [np.nan if r[key] is None else r[key] for r in rows]
            ax.plot(t, vals, styles.get(split, "-"), color=color, label=f"{label} ({split})")
    chosen = result["settings"]["not_found_threshold"]
    ax.axvline(chosen, color="grey", lw=1)
    ax.text(chosen, 1.02, f" configured {chosen}", fontsize=8, color="grey")
    ax.axhline(0.05, color="#55a868", lw=0.6, ls=":")
    ax.set_xlabel("not_found threshold")
    ax.set_ylim(-0.02, 1.08)
    ax.set_title("Not-found decision: precision / recall per threshold")
    ax.legend(fontsize=7, ncol=2)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def sweep_plot(
    rows: list[dict],
    label_keys: tuple[str, ...],
    path: Path,
    title: str,
    metrics: tuple[str, ...] = ("hit@5", "mrr", "fact_recall", "citation_precision", "not_found_recall"),
) -> Path | None:
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(max(6, 0.55 * len(rows) + 3), 4.2))
    labels = ["/".join(str(r[k]) for k in label_keys) for r in rows]
    x = np.arange(len(rows))
    for m in metrics:
        ax.plot(x, [np.nan if r.get(m) is None else r[m] for r in rows], marker="o", label=m)
    ax.set_xticks(x, labels, rotation=45, fontsize=8)
    ax.set_xlabel(" / ".join(label_keys))
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def write_all(result: dict, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    made = [
        metrics_by_config(result, out / "metrics_by_config.png"),
        latency(result, out / "latency.png"),
        threshold_curve(result, out / "not_found_threshold.png"),
        sweep_plot(
            result.get("chunking_sweep", []),
            ("chunk_words", "overlap"),
            out / "sweep_chunking.png",
            "Chunking sweep (dev)",
        ),
        sweep_plot(
            result.get("fusion_sweep", []),
            ("dense_weight", "bm25_weight", "rrf_k"),
            out / "sweep_fusion.png",
            "Fusion sweep (dev)",
        ),
    ]
    return [p for p in made if p is not None]


def scale_plot(result: dict, path: Path) -> Path | None:
    """The scale benchmark at a glance, per Chroma mode: ingest throughput beside the bare
    embedder, warm and cold query latency on the shipped corpus beside the big store, and peak
    memory. Figures from `assistant bench scale`; nothing is re-measured here."""
    modes = [m for m in ("embedded", "http") if f"{m}.ingest_chunks" in result]
    if not modes:
        return None
    label = {"embedded": "embedded Chroma", "http": "Chroma server"}
    big = result.get("big_corpus_chunks", "big")
    fig, axes = plt.subplots(1, 3, figsize=(14, 5))
    x = np.arange(len(modes))

    def bars(ax, series: list[tuple[str, list[float | None]]], ylabel: str, title: str, fmt: str) -> None:
        width = 0.8 / len(series)
        for i, (name, vals) in enumerate(series):
            pos = x + i * width - 0.4 + width / 2
            ax.bar(pos, [v if v is not None else 0 for v in vals], width, label=name)
            for p, v in zip(pos, vals, strict=True):
                if v is not None:
                    ax.text(p, v, fmt.format(v), ha="center", va="bottom", fontsize=7)
        ax.set_xticks(x, [label[m] for m in modes])
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        ax.legend(fontsize=7, frameon=False, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.1))
        ax.grid(axis="y", alpha=0.3)

    chunks = result[f"{modes[0]}.ingest_chunks"]
    bars(
        axes[0],
        [
            ("ingest pipeline", [result[f"{m}.ingest_chunks_per_s"] for m in modes]),
            ("bare embedder, same texts", [result[f"{m}.bare_embed_chunks_per_s"] for m in modes]),
        ],
        "chunks / s (wall)",
        f"Ingest of {chunks:,} chunks ({result.get('embedder', '')})",
        "{:.1f}",
    )
    bars(
        axes[1],
        [
            ("shipped, warm", [result[f"{m}.shipped_warm_median_ms"] for m in modes]),
            (f"{big:,} chunks, warm", [result[f"{m}.big_warm_median_ms"] for m in modes]),
            ("shipped, cold", [result[f"{m}.shipped_cold_median_ms"] for m in modes]),
            (f"{big:,} chunks, cold", [result[f"{m}.big_cold_median_ms"] for m in modes]),
        ],
        "median /api/ask latency (ms)",
        f"Query latency over HTTP ({result.get('questions', '?')} questions)",
        "{:.0f}",
    )
    bars(
        axes[2],
        [
            ("ingest process", [result[f"{m}.ingest_peak_rss_mb"] for m in modes]),
            ("server, shipped", [result[f"{m}.shipped_peak_rss_mb"] for m in modes]),
            (f"server, {big:,} chunks", [result[f"{m}.big_peak_rss_mb"] for m in modes]),
            ("chroma run", [result.get(f"{m}.chroma_server_peak_rss_mb") for m in modes]),
        ],
        "peak RSS (MB)",
        "Memory",
        "{:.0f}",
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return _save(fig, path)
