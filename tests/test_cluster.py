"""A build embedded on a local Ray (the same command runs against a cluster) gives the local
build's index: the same articles and ids, the same vectors, the same search results."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

from assistant import Assistant

from .conftest import RTQA

pytestmark = pytest.mark.cluster


def test_a_ray_build_is_the_local_build(tmp_path, embedder):
    pytest.importorskip("ray")
    if not (RTQA / "corpus.jsonl.gz").exists():
        pytest.skip("../shared/bench/rtqa is not beside the repository")
    with gzip.open(RTQA / "corpus.jsonl.gz", "rt", encoding="utf-8") as f:
        rows = [json.loads(next(f)) for _ in range(30)]  # ~350 chunks: enough to go to Ray
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    local = Assistant.build([source], index_dir=tmp_path / "local", embedder=embedder)
    ray_built = Assistant.build(
        [source], index_dir=tmp_path / "ray", embedder=embedder, engine="ray"
    )
    assert ray_built.last_report.chunks_embedded >= 256  # the Ray path, not the local fallback
    assert [r.id for r in ray_built.library()] == [r.id for r in local.library()]
    a, b = local.snapshot, ray_built.snapshot
    ids = np.asarray(a.segments[0].table[:, 0])
    assert np.array_equal(ids, np.asarray(b.segments[0].table[:, 0]))
    for cid in ids[:: max(1, len(ids) // 40)]:
        assert np.allclose(a.vector(int(cid)), b.vector(int(cid)), atol=1e-3)
    for question in ("Who won the election?", "grain exports from Ukraine", "inflation rates"):
        want = [(p.article.id, p.start) for p in local.search(question, k=8)]
        assert [(p.article.id, p.start) for p in ray_built.search(question, k=8)] == want
