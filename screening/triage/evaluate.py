"""Held-out metrics and speed of a triage model (shared by training, eval and bench scripts)."""

from __future__ import annotations

import time
from typing import Sequence

import numpy as np

from screening.triage.dataset import Example
from screening.triage.labels import INTENTS, INTENT_INDEX


def intent_metrics(model, examples: Sequence[Example]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    rows = [e for e in examples if e.intent]
    if not rows:
        return {}
    s = model.predict([e.text for e in rows])
    y = np.array([INTENT_INDEX[e.intent] for e in rows])
    p = s.intents.argmax(1)
    per = f1_score(y, p, labels=list(range(len(INTENTS))), average=None, zero_division=0)
    return {
        "n": len(rows),
        "accuracy": round(float(accuracy_score(y, p)), 4),
        "macro_f1": round(float(f1_score(y, p, labels=list(range(len(INTENTS))), average="macro", zero_division=0)), 4),
        "per_intent_f1": {INTENTS[i]: round(float(v), 3) for i, v in enumerate(per)},
    }


def binary_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float = 0.5) -> dict:
    from sklearn.metrics import f1_score, roc_auc_score

    if len(labels) == 0:
        return {}
    pred = (scores >= threshold).astype(int)
    out = {"n": int(len(labels)), "accuracy": round(float((pred == labels).mean()), 4),
           "f1": round(float(f1_score(labels, pred, zero_division=0)), 4)}
    if len(set(labels.tolist())) == 2:
        out["auc"] = round(float(roc_auc_score(labels, scores)), 4)
    return out


def head_metrics(model, negative: Sequence[Example], toxic: Sequence[Example]) -> dict:
    out = {}
    if negative:
        s = model.predict([e.text for e in negative])
        out["negative"] = binary_metrics(s.negative, np.array([e.negative for e in negative]))
    if toxic:
        s = model.predict([e.text for e in toxic])
        out["toxic"] = binary_metrics(s.toxic, np.array([e.toxic for e in toxic]), model.toxic_threshold)
    return out


def speed(fn_batch, fn_single, texts: Sequence[str], *, single_n: int = 300, repeats: int = 2) -> dict:
    """Best-of-``repeats`` batch throughput and single-text latency percentiles (ms)."""
    texts = list(texts)
    fn_batch(texts[:64])  # warm-up
    best = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn_batch(texts)
        best = max(best, len(texts) / (time.perf_counter() - t0))
    lat = []
    for t in texts[:single_n]:
        t0 = time.perf_counter()
        fn_single(t)
        lat.append((time.perf_counter() - t0) * 1000)
    lat.sort()
    pick = lambda q: round(lat[min(len(lat) - 1, int(q * len(lat)))], 2)  # noqa: E731
    return {"per_s": round(best, 1), "p50_ms": pick(0.5), "p99_ms": pick(0.99), "n": len(texts)}
