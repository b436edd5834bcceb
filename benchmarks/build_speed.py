"""The whole build against a plain LangChain + sentence-transformers pipeline, same articles, same run.

Ours: ``Assistant.build`` over a JSONL of the first N RTQA articles: ingest, chunking, chunk and
headline vectors (int8 ONNX), the BM25 posting arrays, the SQLite store, checksums, the manifest.
Plain: what ``FAISS.from_documents`` does in LangChain's recipes: ``RecursiveCharacterTextSplitter``
(the same 1000/200 characters), ``SentenceTransformer.encode`` of every chunk, a flat FAISS
index and an in-memory docstore of ``Document``s (langchain_community isn't installed here; its
FAISS wrapper does exactly these steps). The plain pipeline builds less (no headlines, no
keyword index, nothing on disk), so the ratio is conservative. Model loading is left out of
both; ours runs first (torch's thread pool, once started, competes with onnxruntime).

    .venv/bin/python benchmarks/build_speed.py --articles 120 [--ray]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RTQA = ROOT.parent / "shared" / "bench" / "rtqa"


def rows(n: int) -> list[dict]:
    out = []
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        for line in f:
            out.append(json.loads(line))
            if len(out) >= n:
                break
    return out


def ours(articles: list[dict], folder: Path, engine: str = "local") -> tuple[float, int]:
    from assistant import Assistant, Settings

    source = folder / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in articles), encoding="utf-8")
    embedder = Assistant(Settings.load(env={})).embedder
    embedder.embed(["warm up the session"])
    began = time.perf_counter()
    built = Assistant.build(
        [source], index_dir=folder / f"index-{engine}", embedder=embedder, engine=engine
    )
    return time.perf_counter() - began, int(built.info()["counts"]["chunks"])


def plain(articles: list[dict]) -> tuple[float, int]:
    import faiss
    import numpy as np
    from langchain_core.documents import Document
    from langchain_text_splitters import RecursiveCharacterTextSplitter
    from sentence_transformers import SentenceTransformer

    from assistant.embedding import packaged_model_path

    model = SentenceTransformer(str(packaged_model_path()), device="cpu")
    model.encode(["warm up"])
    began = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    docs = splitter.create_documents(
        [r["text"] for r in articles],
        metadatas=[{"title": r.get("title", ""), "url": r.get("url", "")} for r in articles],
    )
    vectors = model.encode(
        [d.page_content for d in docs], batch_size=32, normalize_embeddings=True
    ).astype(np.float32)
    index = faiss.IndexFlatL2(vectors.shape[1])
    index.add(vectors)
    store = {
        str(i): Document(page_content=d.page_content, metadata=d.metadata)
        for i, d in enumerate(docs)
    }
    assert len(store) == index.ntotal
    return time.perf_counter() - began, len(docs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=120)
    parser.add_argument(
        "--ray", action="store_true", help="also build through a local Ray (the cluster extra)"
    )
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    articles = rows(args.articles)
    with tempfile.TemporaryDirectory() as tmp:
        ours_s, ours_chunks = ours(articles, Path(tmp))
        if args.ray:
            ray_s, _ = ours(articles, Path(tmp), engine="ray")  # Ray's start-up included
            print(f"ours through a local Ray {ray_s:.2f} s  ({ours_chunks / ray_s:.1f} chunks/s)")
    plain_s, plain_chunks = plain(articles)
    print(f"articles                 {len(articles)}")
    print(
        f"ours: whole build        {ours_s:.2f} s  ({ours_chunks} chunks, {ours_chunks / ours_s:.1f} chunks/s)"
    )
    print(
        f"plain LangChain + ST     {plain_s:.2f} s  ({plain_chunks} chunks, {plain_chunks / plain_s:.1f} chunks/s)"
    )
    print(f"speedup (chunks/s)       {(ours_chunks / ours_s) / (plain_chunks / plain_s):.2f}x")
    print(f"speedup (wall time)      {plain_s / ours_s:.2f}x")


if __name__ == "__main__":
    main()
