"""Embedding on a Ray cluster: the texts of a build go through a Ray Data actor pool, each actor
running the same embedder as a local build (one single-threaded ONNX session per CPU, one text
per call), so the vectors are the local ones and the index is the same. Only the embedding is
distributed: ingest, chunking and the single crash-safe writer stay on the machine that holds
the index. Needs the ``cluster`` extra (``pip install -e '.[cluster]'``).

Without an address a local Ray starts on this machine; ``ray://host:10001`` (or ``auto``) runs
the same build against a cluster.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import ConfigError
from . import Embedder, load_embedder

log = logging.getLogger(__name__)
MIN_TEXTS = 256  # fewer texts are embedded locally: starting the pool costs more than it saves
BATCH = 64  # texts per Ray task


class _Worker:
    """One actor of the pool: loads the embedder once, embeds batches of texts."""

    def __init__(self, model: str, backend: str, cache_dir: str | None) -> None:
        self.embedder = load_embedder(
            model,
            BATCH,
            threads=1,
            backend=backend,
            cache_dir=Path(cache_dir) if cache_dir else None,
        )

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        texts = [str(t) for t in batch["text"]]
        batch["vector"] = list(self.embedder.embed(texts))
        return batch


class RayEmbedder:
    """An Embedder whose ``embed`` runs on Ray; ``embed_query`` stays local."""

    def __init__(
        self,
        inner: Embedder,
        *,
        model: str,
        backend: str,
        cache_dir: str | None = None,
        address: str | None = None,
        workers: int | None = None,
    ) -> None:
        try:
            import ray
            import ray.data  # noqa: F401
        except ImportError as exc:
            raise ConfigError(
                "--engine ray needs the cluster extra: run `.venv/bin/pip install -e '.[cluster]'`"
            ) from exc
        self.inner = inner
        self.name, self.dim = inner.name, inner.dim
        self.versions = dict(getattr(inner, "versions", {}) or {})
        self.max_seq_length = getattr(inner, "max_seq_length", 256)
        self._args = (model, backend, cache_dir)
        self.address = address
        self.workers = workers
        self._started = False

    def _ray(self) -> Any:
        import ray

        if not ray.is_initialized():
            ray.init(
                address=self.address,
                include_dashboard=False,
                log_to_driver=False,
                logging_level=logging.WARNING,
            )
            self._started = True
        return ray

    def embed(self, texts: Sequence[str], progress=None) -> np.ndarray:
        if len(texts) < MIN_TEXTS:
            return self.inner.embed(texts, progress=progress)
        ray = self._ray()
        ray.data.DataContext.get_current().enable_progress_bars = False
        workers = self.workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
        items = ray.data.from_items([{"i": i, "text": t} for i, t in enumerate(texts)])
        rows = items.map_batches(
            _Worker,
            fn_constructor_kwargs=dict(
                zip(("model", "backend", "cache_dir"), self._args, strict=True)
            ),
            batch_size=BATCH,
            compute=ray.data.ActorPoolStrategy(size=workers),
            num_cpus=1,
        ).take_all()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row in rows:
            out[int(row["i"])] = np.asarray(row["vector"], dtype=np.float32)
        if progress:
            progress(len(texts), len(texts))
        log.info("embedded %d texts on Ray with %d workers", len(texts), workers)
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)

    def close(self) -> None:
        """Stop the local Ray this embedder started (a cluster is left running)."""
        if self._started:
            import ray

            ray.shutdown()
            self._started = False
