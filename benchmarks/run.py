"""Benchmarks: build throughput, search/ask latency, update, cold start, RAM and disk.

    .venv/bin/python benchmarks/run.py [--index DIR] [--sample-articles 300] [--out FILE]

Prints one table and writes JSON (benchmarks/results/latest.json). Everything is measured in
one run on this machine, next to the plain pipeline a user would otherwise write
(sentence-transformers ``encode`` of the same chunks, same model, same threads).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from assistant import Assistant, make_article  # noqa: E402
from assistant.embedding import load_embedder  # noqa: E402
from assistant.evaluation import load_queries  # noqa: E402
from assistant.indexing.chunking import chunk_article, embedding_text  # noqa: E402

RTQA = ROOT.parent / "shared" / "bench" / "rtqa"


def machine() -> dict[str, object]:
    flags = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = " ".join(
                    f
                    for f in line.split(":", 1)[1].split()
                    if f.startswith(("avx", "sse4", "fma", "amx", "vnni"))
                )
                break
    except OSError:
        pass
    versions = {}
    for pkg in (
        "torch",
        "sentence-transformers",
        "onnxruntime",
        "faiss-cpu",
        "numpy",
        "transformers",
    ):
        try:
            versions[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            versions[pkg] = None
    return {
        "cores": os.cpu_count(),
        "cpu_flags": flags,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "versions": versions,
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))] if ordered else 0.0


def sample_chunks(n_articles: int) -> tuple[list, list[str]]:
    articles = []
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            articles.append(
                make_article(row["text"], title=row.get("title", ""), url=row.get("url", ""))
            )
            if len(articles) >= n_articles:
                break
    texts = [embedding_text(a, c) for a in articles for c in chunk_article(a)]
    return articles, texts


def bench_embedding(texts: list[str]) -> dict[str, object]:
    """Chunks/s of our backend and of plain sentence-transformers on the same chunks."""
    out: dict[str, object] = {"chunks": len(texts)}
    # Ours first: torch's thread pool, once started, competes with onnxruntime for the 2 cores.
    fast = load_embedder(backend="onnx-int8")
    fast.embed(texts[:8])  # session start-up is cold start's business, not throughput's
    began = time.perf_counter()
    ours = fast.embed(texts)
    out["onnx_int8_chunks_per_s"] = len(texts) / (time.perf_counter() - began)
    plain = load_embedder(backend="sentence-transformers")
    began = time.perf_counter()
    reference = plain._model.encode(
        texts, batch_size=64, normalize_embeddings=True, show_progress_bar=False
    )  # the plain pipeline
    out["plain_st_chunks_per_s"] = len(texts) / (time.perf_counter() - began)
    cos = (ours * reference).sum(axis=1)
    out["cosine_to_fp32_mean"] = float(cos.mean())
    out["cosine_to_fp32_min"] = float(cos.min())
    out["speedup"] = out["onnx_int8_chunks_per_s"] / out["plain_st_chunks_per_s"]
    return out


def bench_index(index: Path) -> dict[str, object]:
    """Latency, update, cold start, disk for an existing index (the RTQA one)."""
    out: dict[str, object] = {}
    began = time.perf_counter()
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            (
                f"import time,sys; t=time.perf_counter(); sys.path.insert(0, {str(ROOT)!r})\n"
                "from assistant import Assistant\n"
                f"a=Assistant.open({str(index)!r}); a.ask('Which country hosted the World Cup?')\n"
                "print(time.perf_counter()-t)"
            ),
        ],
        capture_output=True,
        text=True,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
    )
    out["cold_start_to_first_answer_s"] = (
        float(proc.stdout.strip().splitlines()[-1]) if proc.returncode == 0 else None
    )
    out["cold_start_process_s"] = time.perf_counter() - began

    assistant = Assistant.open(index)
    queries = [q["question"] for q in load_queries(RTQA / "queries_dev.jsonl")]
    assistant.search(queries[0])
    assistant.ask(queries[0])  # warm up
    search_ms, ask_ms = [], []
    for q in queries:
        t = time.perf_counter()
        assistant.search(q)
        search_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        assistant.ask(q)
        ask_ms.append((time.perf_counter() - t) * 1000)
    info = assistant.info()
    out.update(
        {
            "chunks": info["counts"]["chunks"],
            "articles": info["counts"]["articles"],
            "search_p50_ms": pct(search_ms, 0.5),
            "search_p95_ms": pct(search_ms, 0.95),
            "ask_p50_ms": pct(ask_ms, 0.5),
            "ask_p95_ms": pct(ask_ms, 0.95),
            "disk_mb": sum(
                f.stat().st_size
                for f in [index / info["catalog"]]
                + [f for e in info["segments"] for f in (index / e["name"]).iterdir()]
            )
            / 1e6,
        }
    )
    # Incremental update of one article, on a copy so the benchmark index stays as it was.
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "index"
        shutil.copytree(index, copy, ignore=shutil.ignore_patterns("uploads"))
        report = Path(tmp) / "one.txt"
        report.write_text(
            "date 2022-11-20 A new report.\n\nThe ferry service to the island resumed on Sunday after storms.",
            encoding="utf-8",
        )
        a = Assistant.open(copy)
        t = time.perf_counter()
        a.update([report])
        out["update_one_article_s"] = time.perf_counter() - t
        t = time.perf_counter()
        a.update([report])
        out["update_same_again_s"] = time.perf_counter() - t
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--index", type=Path, default=None, help="an RTQA index for latency figures"
    )
    parser.add_argument("--sample-articles", type=int, default=300)
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "latest.json")
    args = parser.parse_args()
    result: dict[str, object] = {"machine": machine()}
    if args.index:  # latency first, in a process that hasn't run the embedding benchmark yet
        result["rtqa_index"] = bench_index(args.index)
    _, texts = sample_chunks(args.sample_articles)
    result["embedding"] = bench_embedding(texts)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(f"machine: {result['machine']['cores']} cores, {result['machine']['cpu_flags']}")
    for section in ("embedding", "rtqa_index"):
        for key, value in (result.get(section) or {}).items():
            shown = f"{value:.3f}" if isinstance(value, float) else value
            print(f"{section:<12} {key:<32} {shown}")
    print(f"peak RSS MB  {result['peak_rss_mb']:.0f}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
