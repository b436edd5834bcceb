"""Search over 1, 2 and 4 time shards of the same archive: latency, memory, and that the
ranking is the one index's.

    .venv/bin/python benchmarks/shards.py --source /tmp/idx/rtqa --out /tmp/shards [--counts 1 2 4]
    .venv/bin/python benchmarks/shards.py --source /tmp/store1m --out /tmp/shards1m [--reuse]

The source index's articles are split by publication date into N shards of about equal chunk
counts (undated articles go to the newest shard, as archive updates route them), reusing the
source's stored vectors: nothing is embedded, the rest is the real writer. Each configuration is
then opened in a fresh process (``Assistant.open([...])``) and times search and ask over the RTQA
dev questions, with and without the question's date, and reports its peak RSS. "same top 10" is
the share of questions whose ten first passages (article and offset) equal the one index's
(flat vectors: ties aside, 1.0; past the IVF switch each index's lists are trained on its own
vectors, so approximate search differs between one index and its shards).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
RTQA = ROOT.parent / "shared" / "bench" / "rtqa"


def split(source: Path, out: Path, count: int) -> list[Path]:
    """Write ``count`` shard indexes of ``source``'s articles, split by date."""
    from store_1m import live_articles, writer_like  # the 1M store copies its source the same way

    from assistant.store import Snapshot
    from assistant.store.segment import reconstruct
    from assistant.types import Chunk

    snap = Snapshot(source, verify=False)
    rows = live_articles(snap)
    source_of = dict(snap._query("SELECT article_id, file FROM sources"))
    aliases = snap._query("SELECT source_id, article_id FROM source_ids")
    dated = sorted(
        (snap.article(chunks[0][1]).published.toordinal(), len(chunks))
        for _, chunks, _ in rows
        if snap.article(chunks[0][1]).published
    )
    weights = np.cumsum([n for _, n in dated])
    cuts = [
        dated[int(np.searchsorted(weights, weights[-1] * i / count))][0] for i in range(1, count)
    ]

    def shard(published) -> int:
        if published is None:
            return count - 1
        return int(np.searchsorted(cuts, published.toordinal(), side="right"))

    dirs = [out / f"shard-{count}-{i}" for i in range(count)]
    began = time.perf_counter()
    for number, folder in enumerate(dirs):
        with writer_like(snap, folder) as w:
            mine = set()
            for seg, chunk_rows, title_id in rows:
                article = snap.article(chunk_rows[0][1])
                if shard(article.published) != number:
                    continue
                mine.add(article.id)
                chunks = [
                    Chunk(article.id, r[2], r[3], r[4], article.text[r[3] : r[4]])
                    for r in chunk_rows
                ]
                vectors = reconstruct(seg.vectors, np.array([r[0] for r in chunk_rows]))
                title = None
                if title_id is not None:
                    title = (f"t-{article.id}", seg.titles.reconstruct(int(title_id)))
                w.add(article, chunks, [r[5] for r in chunk_rows], vectors, title)
                if article.id in source_of:
                    w.add_source(source_of[article.id], article.id)
            for source_id, aid in aliases:
                if aid in mine:
                    w.add_alias(source_id, aid)
    print(f"{count} shard(s) written in {time.perf_counter() - began:.0f} s", flush=True)
    for folder in dirs:  # the first open hashes every file once (remembered): not a cold start
        Snapshot(folder)
    return dirs


MEASURE = r"""
import datetime as dt, json, sys, time
t0 = time.perf_counter()
from assistant import Assistant
from assistant.evaluation import load_queries
dirs = json.loads(sys.argv[1])
a = Assistant.open(dirs if len(dirs) > 1 else dirs[0])
a.ask("Which country hosted the World Cup?")
out = {"cold_start_to_first_answer_s": time.perf_counter() - t0}
queries = load_queries(sys.argv[2])
def pct(v, q):
    v = sorted(v); return v[min(len(v) - 1, int(round(q * (len(v) - 1))))]
tops = {}
for label, dated in (("", False), ("_with_dates", True)):
    search, ask = [], []
    for q in queries:
        as_of = dt.date.fromisoformat(q["question_date"]) if dated else None
        t = time.perf_counter(); found = a.search(q["question"], k=10, as_of=as_of); search.append((time.perf_counter() - t) * 1000)
        tops[q["id"] + label] = [[p.article.id, p.start] for p in found]
        t = time.perf_counter(); a.ask(q["question"], as_of=as_of); ask.append((time.perf_counter() - t) * 1000)
    out.update({f"search_p50_ms{label}": pct(search, .5), f"search_p95_ms{label}": pct(search, .95),
                f"ask_p50_ms{label}": pct(ask, .5)})
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
out["peak_rss_mb"] = int(hwm.split()[1]) / 1e3
print(json.dumps({"figures": out, "tops": tops}))
"""


def measure(dirs: list[Path]) -> dict:
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            MEASURE,
            json.dumps([str(d) for d in dirs]),
            str(RTQA / "queries_dev.jsonl"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "HF_HUB_OFFLINE": "1"},
        check=True,
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, required=True, help="an index to split")
    parser.add_argument("--out", type=Path, required=True, help="folder for the shard indexes")
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 2, 4])
    parser.add_argument(
        "--reuse", action="store_true", help="measure shards written by an earlier run again"
    )
    args = parser.parse_args()
    baseline = None
    for count in args.counts:
        dirs = [args.out / f"shard-{count}-{i}" for i in range(count)]
        if count == 1:
            dirs = [args.source]
        elif not (args.reuse and all(d.is_dir() for d in dirs)):
            dirs = split(args.source, args.out, count)
        result = measure(dirs)
        if baseline is None:
            baseline = result["tops"]
        same = sum(result["tops"][k] == v for k, v in baseline.items()) / len(baseline)
        figures = {"shards": count, **result["figures"], "same_top10_as_first": same}
        print(
            json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}),
            flush=True,
        )


if __name__ == "__main__":
    main()
