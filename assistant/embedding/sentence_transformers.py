"""The sentence-transformers backend (torch). The only module that imports sentence_transformers."""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence

import numpy as np

from ..config import DEFAULT_MODEL
from ..errors import ModelError
from . import Progress, packaged_model_path


def _version(package: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(package)
    except PackageNotFoundError:
        return "unknown"


class SentenceTransformerEmbedder:
    """Embed with a sentence-transformers model (name, path, or the packaged default)."""

    def __init__(self, model: str = DEFAULT_MODEL, batch_size: int = 64, threads: int = 0) -> None:
        self.name = model
        self.batch_size = batch_size
        self._lock = threading.Lock()  # torch modules are not safe to call from two threads
        location = packaged_model_path() if model == DEFAULT_MODEL else model
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        try:
            import torch
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.utils.logging.disable_progress_bar()  # no weight-loading bars in output

            if threads > 0:
                torch.set_num_threads(threads)
            self._model = SentenceTransformer(location, device="cpu")
        except Exception as exc:  # any failure here means the model can't be used
            raise ModelError(
                f"cannot load embedding model {model!r}: {exc}. Use a local path or the default "
                f"(unset ASSISTANT_EMBEDDING_MODEL); hub downloads don't work offline"
            ) from exc
        dim = (
            self._model.get_embedding_dimension()
            if hasattr(self._model, "get_embedding_dimension")
            else self._model.get_sentence_embedding_dimension()
        )
        self.dim = int(dim or 0)
        self.versions = {
            "sentence_transformers": _version("sentence-transformers"),
            "torch": torch.__version__,
        }
        self.max_seq_length = int(getattr(self._model, "max_seq_length", 256) or 256)

    def token_count(self, text: str) -> int:
        """Return how many tokens the model sees for ``text`` before truncation."""
        return len(self._model.tokenizer(text)["input_ids"])

    def embed(
        self, texts: Sequence[str], progress: Progress | None = None, batch_size: int | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        # Sort by length so each batch pads to similar lengths; write back in input order.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        done = 0
        step = batch_size or self.batch_size
        for begin in range(0, len(order), step):
            idx = order[begin : begin + step]
            with self._lock:
                vecs = self._model.encode(
                    [texts[i] for i in idx],
                    batch_size=len(idx),
                    normalize_embeddings=True,
                    convert_to_numpy=True,
                    show_progress_bar=False,
                )
            out[idx] = vecs
            done += len(idx)
            if progress:
                progress(done, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self.embed([text])[0]
