"""Loading a triage model from its manifest, verified file by file.

A model directory holds ``manifest.json``::

    {"name": ..., "backend": "tfidf" | "transformer" | "ensemble" | "alias",
     "rules": true, "files": {"vocab.json": "<sha256>", ...}, "training": {...}, "metrics": {...},
     "licence": ..., "members": [{"dir": "../tfidf", "weight": 0.5}, ...]   # ensemble
     "target": "tfidf-rules"}                                             # alias

Every listed file is checked against its sha256 before use; anything missing or changed
fails with a Chinese message naming the file, never a silent fallback.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from screening.triage.dataset import REPO_ROOT
from screening.triage.labels import INTENTS
from screening.triage.rules import RuleSet
from screening.triage.transformer import ModelError

MODELS_DIR = REPO_ROOT / "models" / "triage"  # committed models (small, licence-clean)
CACHE_DIR = REPO_ROOT / "models" / "cache" / "triage"  # models trained locally, not committed
DEFAULT_MODEL = "default"


def find_model_dir(name: str) -> Path:
    """models/triage/<name> if it exists, else models/cache/triage/<name>."""
    for base in (MODELS_DIR, CACHE_DIR):
        if (base / name / "manifest.json").is_file():
            return base / name
    return MODELS_DIR / name


def default_model_dir() -> Path:
    env = os.environ.get("SCREENING_TRIAGE_MODEL")
    if env:
        p = Path(env)
        return p if p.is_absolute() or p.exists() else MODELS_DIR / env
    return MODELS_DIR / DEFAULT_MODEL


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def read_manifest(model_dir: Path) -> dict:
    path = Path(model_dir) / "manifest.json"
    if not path.is_file():
        raise ModelError(f"找不到分诊模型清单 {path}。请先运行 `screening train`（或 make setup）生成默认模型")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"模型清单 {path} 不是有效的 JSON: {exc}") from exc


def verify_files(model_dir: Path, manifest: dict) -> None:
    for name, digest in (manifest.get("files") or {}).items():
        p = Path(model_dir) / name
        if not p.is_file():
            raise ModelError(f"模型文件缺失: {p}（清单 {manifest.get('name')} 需要它）")
        got = sha256_file(p)
        if got != digest:
            raise ModelError(f"模型文件校验失败: {p} 的 sha256 为 {got[:12]}…，清单要求 {digest[:12]}…")


@dataclass
class Scores:
    intents: np.ndarray  # n × 9 probabilities
    negative: np.ndarray  # n
    toxic: np.ndarray  # n
    hits: list[dict[str, str]]  # rule hits per text (empty dicts without a rule layer)
    raw_intents: np.ndarray | None = None  # model probabilities before the rule layer

    def intent(self, i: int) -> str:
        return INTENTS[int(self.intents[i].argmax())]


class TriageModel:
    """A loaded model: ``predict(texts) -> Scores``.  Thread-safe for concurrent predicts."""

    def __init__(self, name: str, manifest: dict, members: list[tuple[object, float]], rules: RuleSet | None,
                 model_dir: Path):
        self.name = name
        self.manifest = manifest
        self.members = members
        self.rules = rules
        self.dir = model_dir
        self.toxic_threshold = float((manifest.get("thresholds") or {}).get("toxic", 0.5))

    def predict(self, texts: Sequence[str]) -> Scores:
        texts = list(texts)
        total_w = sum(w for _, w in self.members)
        acc = None
        for m, w in self.members:
            i, n, t = m.predict(texts)
            if acc is None:
                acc = [i * w, n * w, t * w]
            else:
                acc[0] += i * w
                acc[1] += n * w
                acc[2] += t * w
        intents, neg, tox = (a / total_w for a in acc)
        raw = intents
        if self.rules is not None:
            intents, neg, tox, hits = self.rules.apply(texts, intents, neg, tox)
        else:
            hits = [{} for _ in texts]
        return Scores(intents, neg, tox, hits, raw)

    def describe(self) -> dict:
        m = self.manifest
        return {"name": self.name, "backend": m.get("backend"), "rules": bool(m.get("rules")),
                "licence": m.get("licence"), "metrics": (m.get("metrics") or {}).get("test")}


def _load_member(model_dir: Path, manifest: dict, *, quantize: bool | None):
    backend = manifest.get("backend")
    if backend == "tfidf":
        from screening.triage.tfidf import TfidfModel

        return TfidfModel.load(model_dir, use_rules=bool(manifest.get("rule_features")))
    if backend == "transformer":
        from screening.triage.transformer import TransformerModel

        licence = str(manifest.get("licence") or "")
        if "非商用" in licence or "研究" in licence:
            import logging

            logging.getLogger("screening.triage").warning("模型 %s 的许可证限制: %s", manifest.get("name"), licence)

        q = manifest.get("quantize", "int8") == "int8" if quantize is None else quantize
        return TransformerModel(model_dir, quantize=q, max_len=int(manifest.get("max_len", 64)))
    raise ModelError(f"未知的模型后端 {backend!r}（{model_dir}）")


def load_model(model_dir: Path | str | None = None, *, quantize: bool | None = None) -> TriageModel:
    model_dir = Path(model_dir) if model_dir else default_model_dir()
    if not model_dir.is_dir():
        raise ModelError(f"分诊模型目录不存在: {model_dir}。请先运行 `screening train`")
    manifest = read_manifest(model_dir)
    if manifest.get("backend") == "alias":
        target = Path(manifest["target"])
        return load_model(target if target.is_absolute() else find_model_dir(str(target)), quantize=quantize)
    verify_files(model_dir, manifest)
    if manifest.get("backend") == "ensemble":
        members = []
        for spec in manifest["members"]:
            sub = (model_dir / spec["dir"]).resolve()
            sub_manifest = read_manifest(sub)
            verify_files(sub, sub_manifest)
            members.append((_load_member(sub, sub_manifest, quantize=quantize), float(spec.get("weight", 1.0))))
    else:
        members = [(_load_member(model_dir, manifest, quantize=quantize), 1.0)]
    rules = None
    if manifest.get("rules"):
        rp = model_dir / "rules.json"
        if not rp.is_file():
            raise ModelError(f"模型 {manifest.get('name')} 启用了规则层，但缺少 {rp}")
        rules = RuleSet.load(rp)
    return TriageModel(manifest.get("name", model_dir.name), manifest, members, rules, model_dir)
