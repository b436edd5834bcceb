"""A real store at about a million chunks, then the product's own open / search / ask timed on it.

The archive is the RTQA index copied ``--copies`` times (23 copies of 44k chunks ~ 1M): every
copy is its own article (title tagged with the copy number, publication date moved back one year
per copy, so the archive spans decades like a newspaper's), its chunk and headline vectors are the
RTQA ones plus a little noise. Nothing is embedded (1M chunks would take ~4 hours on 2 cores); the
rest is the real writer (SQLite, BM25 posting arrays, the IVF switch) and the real Assistant.

    .venv/bin/python benchmarks/store_1m.py --source /tmp/rtqa2/index --out /tmp/store1m
    .venv/bin/python benchmarks/store_1m.py --out /tmp/store1m --measure-only [--update]
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RTQA = ROOT.parent / "shared" / "bench" / "rtqa"


def live_articles(snap) -> list[tuple[object, list[tuple], object]]:
    """Return (segment, chunk rows, title vector id) for every live article of a Snapshot; a
    chunk row is (id, article id, ordinal, start, end, text hash)."""
    articles: list[tuple[object, list[tuple], object]] = []
    for seg in snap.segments:
        by_article: dict[str, list[tuple]] = {}
        for row in seg.query(
            'SELECT id, article_id, ordinal, start, "end", hash FROM chunks ORDER BY article_id, ordinal'
        ):
            if snap.owner[row[0]] >= 0:
                by_article.setdefault(row[1], []).append(row)
        titled = dict(seg.query("SELECT article_id, id FROM titles"))
        articles += [(seg, rows, titled.get(aid)) for aid, rows in by_article.items()]
    return articles


def writer_like(snap, folder: Path):
    """Return a fresh store writer at ``folder`` for the same model, chunking and versions as
    the Snapshot ``snap``, so its vectors and chunks can be copied in as they are."""
    from assistant.store import write_generation

    return write_generation(
        folder,
        model=snap.model,
        dim=snap.dim,
        chunking=snap.manifest["chunking"],
        fresh=True,
        versions=snap.manifest.get("versions", {}),
    )


def build(source: Path, out: Path, copies: int) -> None:
    from assistant.store import Snapshot
    from assistant.store.segment import reconstruct
    from assistant.types import Chunk

    snap = Snapshot(source, verify=False)
    articles = live_articles(snap)
    source_of = dict(snap._query("SELECT article_id, file FROM sources"))
    rng = np.random.default_rng(0)
    began = time.perf_counter()
    with writer_like(snap, out) as w:
        for copy in range(copies):
            for n, (seg, chunk_rows, title_id) in enumerate(articles):
                aid = chunk_rows[0][1]
                article = snap.article(aid)
                if copy:
                    moved = (
                        article.published - dt.timedelta(days=365 * copy)
                        if article.published
                        else None
                    )
                    article = dataclasses.replace(
                        article,
                        id=f"{aid}-{copy}",
                        title=f"{article.title} [{copy}]",
                        published=moved,
                        source_id=f"{article.source_id}-{copy}" if article.source_id else "",
                    )
                chunks = [
                    Chunk(article.id, r[2], r[3], r[4], article.text[r[3] : r[4]])
                    for r in chunk_rows
                ]
                vectors = reconstruct(seg.vectors, np.array([r[0] for r in chunk_rows]))
                title = None
                if title_id is not None:
                    title = (f"t{copy}-{aid}", seg.titles.reconstruct(int(title_id)))
                if copy:
                    vectors = vectors + 0.05 * rng.standard_normal(vectors.shape, dtype=np.float32)
                    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
                    if title is not None:
                        v = title[1] + 0.05 * rng.standard_normal(title[1].shape, dtype=np.float32)
                        title = (title[0], v / np.linalg.norm(v))
                w.add(article, chunks, [f"{r[5]}-{copy}" for r in chunk_rows], vectors, title)
                if (
                    aid in source_of
                ):  # the same source file, or the next update drops it as an orphan
                    w.add_source(source_of[aid], article.id)
                if n % 1000 == 0:
                    print(
                        f"copy {copy + 1}/{copies}, article {n}, {time.perf_counter() - began:.0f} s",
                        flush=True,
                    )
    print(f"built {out} in {time.perf_counter() - began:.0f} s")


MEASURE = r"""
import datetime as dt, json, resource, sys, time
t0 = time.perf_counter()
from assistant import Assistant
from assistant.evaluation import load_queries
a = Assistant.open(sys.argv[1])
a.ask("Which country hosted the World Cup?")
cold = time.perf_counter() - t0
queries = load_queries(sys.argv[2])
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
out = {"cold_start_to_first_answer_s": cold, "chunks": a.info()["counts"]["chunks"],
       "articles": a.info()["counts"]["articles"]}
for label, dated in (("", False), ("_with_dates", True)):
    search, ask = [], []
    for q in queries:
        as_of = dt.date.fromisoformat(q["question_date"]) if dated else None
        t = time.perf_counter(); a.search(q["question"], as_of=as_of); search.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter(); a.ask(q["question"], as_of=as_of); ask.append((time.perf_counter() - t) * 1000)
    out.update({f"search_p50_ms{label}": pct(search, .5), f"search_p95_ms{label}": pct(search, .95),
                f"ask_p50_ms{label}": pct(ask, .5), f"ask_p95_ms{label}": pct(ask, .95)})
# VmHWM, not ru_maxrss: a child inherits its parent's ru_maxrss (the build's) across fork
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["serving_peak_rss_gb"] = int(hwm.split()[1]) / 1e6
if len(sys.argv) > 3:  # one new article into the 1M store (changes it: run last)
    from pathlib import Path
    report = Path(sys.argv[3])
    report.write_text("date 2022-11-20 A new report.\n\nThe ferry service to the island resumed on Sunday after storms.")
    t = time.perf_counter(); a.update([report]); out["update_one_article_s"] = time.perf_counter() - t
print(json.dumps(out))
"""


def measure(out: Path, update: bool) -> dict[str, float]:
    extra = [str(out.parent / f"{out.name}-one.txt")] if update else []
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(out), str(RTQA / "queries_dev.jsonl"), *extra],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    manifest = json.loads((out / "manifest.json").read_text())
    used = [out / manifest["catalog"]] + [
        f for e in manifest["segments"] for f in (out / e["name"]).iterdir()
    ]
    result["disk_gb"] = sum(f.stat().st_size for f in used) / 1e9
    result["segments"] = len(manifest["segments"])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="the RTQA index to copy")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--copies", type=int, default=23)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument(
        "--update", action="store_true", help="also time a one-article update (changes the store)"
    )
    args = parser.parse_args()
    if not args.measure_only:
        build(args.source, args.out, args.copies)
        print(f"build peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e6:.2f} GB")
    for key, value in measure(args.out, args.update).items():
        print(f"{key:<32} {value:.3f}" if isinstance(value, float) else f"{key:<32} {value}")


if __name__ == "__main__":
    main()
