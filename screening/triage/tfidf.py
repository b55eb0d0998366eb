"""Char n-gram TF-IDF + logistic regression: three heads (intent, negative, toxic).

Stored without pickles: ``vocab.json`` (n-grams in column order) and ``weights.npz``
(idf and the coefficients), so a model file can never execute code on load and does not
depend on the scikit-learn version that trained it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

import numpy as np

from screening.triage.labels import INTENTS
from screening.triage.rules import RULE_FEATURES, RuleSet, fold

NGRAMS = (1, 3)
RULE_WEIGHT = 1.0  # scale of the binary rule features next to the (L2-normalised) tf-idf row


def _vectorizer(vocabulary=None, max_features=None):
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char", ngram_range=NGRAMS, sublinear_tf=True, min_df=2, lowercase=False,
                           dtype=np.float32, vocabulary=vocabulary, max_features=max_features)


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


class TfidfModel:
    name = "tfidf"

    def __init__(self, vectorizer, heads: dict[str, tuple[np.ndarray, np.ndarray]], rules: RuleSet | None):
        self.vec = vectorizer
        self.heads = heads  # name -> (coef [k, d], intercept [k])
        self.rules = rules

    # ------------------------------------------------------------------ features
    def _x(self, texts: Sequence[str]):
        import scipy.sparse as sp

        x = self.vec.transform([fold(t) for t in texts])
        if self.rules is not None:
            x = sp.hstack([x, sp.csr_matrix(self.rules.features(list(texts)) * RULE_WEIGHT)], format="csr")
        return x

    def predict(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        n = len(texts)
        if not n:
            return np.zeros((0, len(INTENTS)), np.float32), np.zeros(0, np.float32), np.zeros(0, np.float32)
        x = self._x(texts)
        w, b = self.heads["intent"]
        intents = _softmax(np.asarray(x @ w.T) + b)
        w, b = self.heads["negative"]
        neg = _sigmoid(np.asarray(x @ w.T).ravel() + b[0])
        w, b = self.heads["toxic"]
        tox = _sigmoid(np.asarray(x @ w.T).ravel() + b[0])
        return intents.astype(np.float32), neg.astype(np.float32), tox.astype(np.float32)

    # ------------------------------------------------------------------ training
    @classmethod
    def fit(cls, intent_rows: list[tuple[str, int]], negative_rows: list[tuple[str, int]],
            toxic_rows: list[tuple[str, int]], *, rules: RuleSet | None, seed: int = 42, c_intent: float = 8.0,
            c_binary: float = 4.0, max_features: int | None = 150_000, progress=None,
            weights: dict[str, list[float]] | None = None) -> "TfidfModel":
        """``weights``: optional per-row sample weights for the negative/toxic heads."""
        from sklearn.linear_model import LogisticRegression

        texts = sorted({fold(t) for t, _ in intent_rows + negative_rows + toxic_rows})
        vec = _vectorizer(max_features=max_features)
        vec.fit(texts)
        if progress:
            progress(1, 4, f"词表 {len(vec.vocabulary_)} 个 n-gram")
        model = cls(vec, {}, rules)
        specs = [("intent", intent_rows, c_intent, "balanced"), ("negative", negative_rows, c_binary, None),
                 ("toxic", toxic_rows, c_binary, "balanced")]
        for k, (name, rows, c, cw) in enumerate(specs, 2):
            x = model._x([t for t, _ in rows])
            y = np.array([lab for _, lab in rows])
            lr = LogisticRegression(C=c, max_iter=3000, class_weight=cw, random_state=seed)
            lr.fit(x, y, sample_weight=np.asarray(weights[name]) if weights and name in weights else None)
            coef, icpt = lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32)
            if name == "intent" and len(lr.classes_) != len(INTENTS):
                full_c = np.full((len(INTENTS), coef.shape[1]), 0, np.float32)
                full_b = np.full(len(INTENTS), -30, np.float32)
                full_c[lr.classes_] = coef
                full_b[lr.classes_] = icpt
                coef, icpt = full_c, full_b
            model.heads[name] = (coef, icpt)
            if progress:
                progress(k, 4, f"{name} 头：{len(rows)} 条")
        return model

    # ------------------------------------------------------------------ storage
    def save(self, out_dir: Path) -> list[str]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        vocab = [None] * len(self.vec.vocabulary_)
        for term, i in self.vec.vocabulary_.items():
            vocab[i] = term
        (out_dir / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False, separators=(",", ":")) + "\n",
                                            encoding="utf-8")
        arrays = {"idf": self.vec.idf_.astype(np.float32)}
        for name, (w, b) in self.heads.items():
            arrays[f"{name}_coef"] = w.astype(np.float16)
            arrays[f"{name}_intercept"] = b.astype(np.float32)
        # np.savez_compressed embeds zip timestamps; write a deterministic archive instead
        _save_npz_deterministic(out_dir / "weights.npz", arrays)
        files = ["vocab.json", "weights.npz"]
        if self.rules is not None:
            self.rules.save(out_dir / "rules.json")
            files.append("rules.json")
        return files

    @classmethod
    def load(cls, model_dir: Path, *, use_rules: bool) -> "TfidfModel":
        model_dir = Path(model_dir)
        vocab = json.loads((model_dir / "vocab.json").read_text(encoding="utf-8"))
        with np.load(model_dir / "weights.npz", allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        vec = _vectorizer(vocabulary={t: i for i, t in enumerate(vocab)})
        vec.idf_ = arrays["idf"]
        heads = {name: (arrays[f"{name}_coef"].astype(np.float32), arrays[f"{name}_intercept"])
                 for name in ("intent", "negative", "toxic")}
        rules = RuleSet.load(model_dir / "rules.json") if use_rules else None
        expect = len(vocab) + (len(RULE_FEATURES) if rules else 0)
        if heads["intent"][0].shape[1] != expect:
            raise ValueError(f"weights.npz 与 vocab.json 不匹配（{heads['intent'][0].shape[1]} != {expect}）")
        return cls(vec, heads, rules)


def _save_npz_deterministic(path: Path, arrays: dict[str, np.ndarray]) -> None:
    import io
    import zipfile

    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(arrays):
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arrays[name]), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buf.getvalue())
