"""The fast embedding backend: an int8 ONNX export of a sentence-transformers BERT model.

The export is made offline, once, from the local weights (torch's TorchScript exporter, then
onnxruntime's dynamic int8 quantisation) and cached under ``cache_dir``; later runs load the
cached file in well under a second. Inference is plain onnxruntime plus the model's own fast
tokenizer, with the same mean pooling and L2 normalisation as all-MiniLM-L6-v2.
Measured here: 3x+ the chunks/s of sentence-transformers on 2 cores, cosine ~0.99 to fp32
(see benchmarks/README.md).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import uuid
import warnings
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..errors import ModelError

EXPORT_NAME = "model.int8-eager-perchannel.onnx"  # a new recipe gets a new name, so a new export
MAX_TOKENS = (
    256  # all-MiniLM-L6-v2's window; longer text is truncated as sentence-transformers does
)


WEIGHT_FILES = ("*.safetensors", "*.bin", "config.json", "tokenizer.json")


def weights_digest(model_dir: str | Path, cache_dir: Path) -> str:
    """Return a SHA-256 of the model's weight, config and tokenizer files.

    Hashing ~90 MB takes a fraction of a second, so the digest is remembered under
    ``cache_dir`` keyed by the files' names, sizes and modification times (as git's index
    does): new weights at the same path get a new digest, hence a new export.
    """
    files = sorted({f for pattern in WEIGHT_FILES for f in Path(model_dir).glob(pattern)})
    stats = [(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files]
    stat_key = hashlib.sha256(json.dumps([str(Path(model_dir).resolve()), stats]).encode())
    memo = Path(cache_dir) / "digests" / f"{stat_key.hexdigest()[:24]}.txt"
    try:
        return memo.read_text(encoding="ascii").strip()
    except OSError:
        pass
    h = hashlib.sha256()
    for f in files:
        h.update(f.name.encode() + b"\0")
        with f.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    digest = h.hexdigest()
    try:
        memo.parent.mkdir(parents=True, exist_ok=True)
        tmp = memo.with_name(f".{uuid.uuid4().hex}.tmp")
        tmp.write_text(digest, encoding="ascii")
        os.replace(tmp, memo)
    except OSError:
        pass  # a read-only cache: hash again next time
    return digest


def _export(model_dir: str, target: Path) -> None:
    """Write ``target`` (int8 ONNX) from the transformer weights in ``model_dir``."""
    import torch
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(model_dir)
    # The eager attention exports as plain MatMul/Softmax: ~1.3x the texts/s of the SDPA export,
    # whose mask handling adds Where/IsNaN nodes to every layer (measured here on RTQA chunks;
    # cosine to fp32 unchanged at 0.9945, to the SDPA export's vectors 0.9994: int8 noise).
    model = AutoModel.from_pretrained(model_dir, attn_implementation="eager").eval()
    sample = tokenizer(["a sample sentence", "another one"], padding=True, return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    target.parent.mkdir(parents=True, exist_ok=True)
    fp32 = target.with_name(f".{uuid.uuid4().hex}.fp32.onnx")
    tmp = target.with_name(f".{uuid.uuid4().hex}.int8.onnx")

    class Wrapper(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module) -> None:
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            return self.inner(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    try:
        with torch.no_grad(), warnings.catch_warnings():
            # The TorchScript exporter announces its deprecation; it is the one that exports
            # this model without extra packages (the dynamo exporter needs onnxscript).
            warnings.simplefilter("ignore")
            torch.onnx.export(
                Wrapper(model),
                tuple(sample[n] for n in names),
                str(fp32),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes={n: {0: "batch", 1: "tokens"} for n in [*names, "last_hidden_state"]},
                opset_version=17,
                dynamo=False,
            )
            # Per-channel int8 on MatMul weights only: cosine to fp32 0.994 mean / 0.987 min
            # on RTQA chunks, against 0.947 / 0.897 for the per-tensor default (measured here).
            quantize_dynamic(
                str(fp32),
                str(tmp),
                weight_type=QuantType.QInt8,
                per_channel=True,
                op_types_to_quantize=["MatMul"],
            )
        os.replace(tmp, target)  # atomic: a half-written model is never picked up
    finally:
        for leftover in (fp32, tmp):
            leftover.unlink(missing_ok=True)


class OnnxInt8Embedder:
    """Embed with an int8 ONNX export of a local sentence-transformers model.

    Texts are embedded one per call, without padding, by worker threads sharing one
    single-threaded session. Measured on 2 cores with RTQA chunks: 75 chunks/s (79-83 with the
    eager-attention export), against 34-54 for one
    two-threaded session on padded batches of 64-4 and 20 for sentence-transformers. One text per
    call also makes a text's vector independent of what it was embedded with: int8 activations
    are quantised per call, so batching made vectors drift with their batch-mates.
    """

    def __init__(
        self, name: str, model_dir: str, cache_dir: Path, batch_size: int = 64, threads: int = 0
    ) -> None:
        self.name = name
        self.batch_size = batch_size  # only the progress step: inference is one text per call
        self.workers = threads or (os.cpu_count() or 1)
        try:
            import onnxruntime as ort
            from tokenizers import Tokenizer

            digest = weights_digest(model_dir, Path(cache_dir))
            path = Path(cache_dir) / f"{Path(model_dir).name}-{digest[:16]}" / EXPORT_NAME
            if not path.exists():
                _export(model_dir, path)
            # tokenizer.json through `tokenizers` alone: the same ids as transformers'
            # AutoTokenizer without importing transformers and torch (~10 s, ~300 MB).
            self._tokenizer = Tokenizer.from_file(str(Path(model_dir) / "tokenizer.json"))
            self._tokenizer.no_padding()
            self._tokenizer.no_truncation()
            # One single-threaded session that every worker thread runs at once (onnxruntime's
            # run is thread-safe): the same chunks/s as one session per worker, one copy of the
            # weights (measured here: 82 MB against 142 MB for two sessions).
            options = ort.SessionOptions()
            options.intra_op_num_threads = 1
            options.inter_op_num_threads = 1
            session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
            self._session = session
        except Exception as exc:  # any failure here means the backend can't be used
            raise ModelError(
                f"cannot prepare the ONNX int8 embedder for {model_dir}: {exc}; set "
                f"ASSISTANT_EMBEDDING_BACKEND=sentence-transformers to use the plain model"
            ) from exc
        # What defines the vectors besides the model name, recorded in the index manifest.
        self.versions = {
            "onnxruntime": ort.__version__,
            "export": EXPORT_NAME,
            "weights": digest[:16],
        }
        self._inputs = {i.name for i in session.get_inputs()}
        self.dim = int(session.get_outputs()[0].shape[-1] or 384)
        self.max_seq_length = MAX_TOKENS
        self._pool: ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    def token_count(self, text: str) -> int:
        """Return how many tokens the model sees for ``text`` before truncation."""
        return len(self._tokenizer.encode(text).ids)

    def _one(self, text: str) -> np.ndarray:
        enc = self._tokenizer.encode(text)
        keep = MAX_TOKENS - 1  # truncate like transformers: keep [SEP] as the last token
        ids, types = enc.ids, enc.type_ids
        if len(ids) > MAX_TOKENS:
            ids, types = ids[:keep] + ids[-1:], types[:keep] + types[-1:]
        arrays = {
            "input_ids": np.array([ids], dtype=np.int64),
            "attention_mask": np.ones((1, len(ids)), dtype=np.int64),
            "token_type_ids": np.array([types], dtype=np.int64),
        }
        feed = {k: v for k, v in arrays.items() if k in self._inputs}
        hidden = self._session.run(None, feed)[0][0]
        pooled = hidden.mean(axis=0)  # one text, no padding: the mask is all ones
        return (pooled / max(float(np.linalg.norm(pooled)), 1e-12)).astype(np.float32)

    def _executor(self) -> ThreadPoolExecutor:
        with self._pool_lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.workers, thread_name_prefix="embed")
            return self._pool

    def embed(
        self, texts: Sequence[str], progress=None, batch_size: int | None = None
    ) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) <= 1 or self.workers == 1:
            for i, text in enumerate(texts):
                out[i] = self._one(text)
            if progress and texts:
                progress(len(texts), len(texts))
            return out
        step = batch_size or self.batch_size
        # Longest first, so the last texts to finish are short ones and the workers end together.
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        for done, (i, vector) in enumerate(
            zip(order, self._executor().map(lambda i: self._one(texts[i]), order), strict=True),
            start=1,
        ):
            out[i] = vector
            if progress and (done % step == 0 or done == len(texts)):
                progress(done, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        return self._one(text)
