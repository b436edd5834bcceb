"""Our sentence reranker: a cross-encoder that reads (question, sentence) together and says how
well the sentence answers. Trained by ``training/train_reranker.py`` on SQuAD (model card:
``models/reranker.json``); int8 ONNX, run with onnxruntime and ``tokenizers`` only.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ..errors import ModelError

MODELS = Path(__file__).resolve().parent / "models"
MODEL_FILE = "reranker.int8.onnx"
MAX_TOKENS = 128  # the training length


class Reranker:
    """Score (question, sentence) pairs; higher is a better answer (a logit)."""

    def __init__(self, model: Path, tokenizer_json: Path, threads: int = 0) -> None:
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
            self._tokenizer.no_padding()
            self._tokenizer.enable_truncation(MAX_TOKENS)
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
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
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(pairs), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n], mask[row, :n], types[row, :n] = enc.ids, 1, enc.type_ids
        feed = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        out = self._session.run(None, {k: v for k, v in feed.items() if k in self._inputs})[0]
        return np.asarray(out, dtype=np.float32).reshape(-1)


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
