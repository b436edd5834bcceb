"""Our sentence reranker: a cross-encoder that reads (question, sentence) together and says how
well the sentence answers. Trained by ``training/train_reranker.py`` on SQuAD (model card:
``models/reranker.json``); int8 ONNX, run with onnxruntime and ``tokenizers`` only.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import ModelError

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "reranker.int8.onnx"
MAX_TOKENS = 128  # the training length


class Reranker:
    """Score (question, sentence) pairs; higher is a better answer (a logit).

    One pair per call on single-threaded workers sharing the session (one per core), like the
    embedder: no padding to the longest pair (a batch of quotes and their grown forms: 37 ->
    28 ms p50 on 2 cores)."""

    def __init__(self, model: Path, tokenizer_json: Path, threads: int = 0) -> None:
        self.workers = threads or (os.cpu_count() or 1)
        self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="rerank")
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
            self._tokenizer.no_padding()
            self._tokenizer.enable_truncation(MAX_TOKENS)
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            self._session = ort.InferenceSession(
                str(model), options, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:  # any failure here means the reranker can't be used
            raise ModelError(
                f"cannot load the sentence reranker {model}: {exc}; reinstall the package, or "
                f"set ASSISTANT_SENTENCE_SCORER=hand to answer without it"
            ) from exc
        self._inputs = {i.name for i in self._session.get_inputs()}

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """Return one logit per text, in order."""
        return self.pair_scores([(question, t) for t in texts])

    def pair_scores(self, pairs: Sequence[tuple[str, str]]) -> np.ndarray:
        """Return one logit per (question, text) pair, in order."""
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        encodings = self._tokenizer.encode_batch(list(pairs))
        if len(pairs) == 1 or self.workers == 1:
            return np.array([self._one(e) for e in encodings], dtype=np.float32)
        # Longest first, so the workers finish together.
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        found = dict(
            zip(order, self._pool.map(lambda i: self._one(encodings[i]), order), strict=True)
        )
        return np.array([found[i] for i in range(len(encodings))], dtype=np.float32)

    def _one(self, encoding) -> float:  # a tokenizers.Encoding
        ids = np.asarray([encoding.ids], dtype=np.int64)
        feed = {
            "input_ids": ids,
            "attention_mask": np.ones_like(ids),
            "token_type_ids": np.asarray([encoding.type_ids], dtype=np.int64),
        }
        out = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return float(np.asarray(out).reshape(-1)[0])


_LOADED: Reranker | None = None
_LOCK = threading.Lock()


def available() -> bool:
    """Return True when the trained reranker ships with the package."""
    return (MODELS / MODEL_FILE).is_file()


def shared(threads: int = 0) -> Reranker:
    """Return the process's reranker, loading it on first use."""
    global _LOADED
    with _LOCK:
        if _LOADED is None:
            from ..embedding import packaged_model_path

            tokenizer = Path(packaged_model_path()) / "tokenizer.json"
            _LOADED = Reranker(MODELS / MODEL_FILE, tokenizer, threads)
        return _LOADED
