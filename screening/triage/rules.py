"""Rule layer of the comment classifier: 引流 contacts and abuse words.

Used two ways, both measured in scripts/eval_triage.py:
* as extra features for the char n-gram logistic regression (``features``);
* as overrides after any model (``apply``): a phone number, WeChat/QQ handle or link makes
  a comment ``spam``; an abuse word makes it ``toxic`` and, unless the comment is a
  complaint, ``abuse``.

The term lists are data: abuse/diversion terms come from the screening lexicons
(``lexicons/abuse.yaml``, ``lexicons/diversion.yaml``) when present, and a trained model
stores the exact rule set it was trained with (``rules.json``) so it behaves the same
wherever it is loaded.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from screening.triage.labels import INTENT_INDEX

CONTACT_PATTERNS: dict[str, str] = {
    # WeChat/QQ and their disguises: 薇信/威信/V信/vx/wx/绿泡泡/卫星/+V/V❤/扣扣/企鹅号
    "contact": r"薇信|威信|徽信|维信|v信|vx|wx|绿泡泡|卫星号|卫星[:：]|➕\s*v|\+\s*v|加\s*v(?![a-z])|v\s*[:：❤♥]|"
               r"v我(?!\d)|扣扣|企鹅号|q群|加q|q\s*[:：]?\s*\d{5,}|加微信|加qq|微信号|qq号",
    # a bare mention ("能用微信支付吗") is not diversion by itself
    "mention": r"微信|qq",
    "phone": r"(?<!\d)1[3-9](?:[\s\-]?\d){9}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)|\d(?:\s\d){8,}",
    "link": r"https?://|www\.|[a-z0-9\-]+\.(?:com|cn|net|top|cc|vip)\b|t\.cn/",
    "lure": r"私我|私聊|私信我|加我|看我主页|点头像|看我头像|主页有|进群|拉你进|日赚|刷单|兼职|一件代发|招代理|"
            r"高仿|a货|1比1",
}
_HANDLE = re.compile(r"[a-z][a-z0-9_\-]{3,}\d|\d{5,}")

# Insults aimed at a host, a shop or another viewer.  Extended by lexicons/abuse.yaml.
SEED_ABUSE = [
    "傻x", "傻逼", "煞笔", "sb", "脑残", "智障", "白痴", "废物", "垃圾主播", "滚出", "去死", "死胖子", "丑八怪",
    "贱人", "狗东西", "畜生", "人渣", "你妈的", "尼玛", "nmsl", "神经病", "有病", "吃屎", "老女人",
    "狗都不", "缺德", "找人弄你", "被车撞",
]

RULE_FEATURES = ("contact", "mention", "phone", "link", "lure", "handle", "abuse", "question")
_QUESTION = re.compile(r"[?？]|吗|么|呢|怎么|多少|几|能不能|可不可以|是不是|有没有|请问|求问")


def fold(text: str) -> str:
    """Width- and case-folded text (full-width letters/digits to ASCII, lower case)."""
    return unicodedata.normalize("NFKC", text).lower()


def _lexicon_terms(lexicon_dir: Path, area_file: str) -> list[str]:
    path = lexicon_dir / area_file
    if not path.is_file():
        return []
    from screening.lexicon import load_file

    try:
        area = load_file(path)
    except Exception:  # a broken lexicon is reported by the screening core itself
        return []
    return [t for e in area.entries for t in e.terms if len(t) >= 2]


@dataclass
class RuleSet:
    abuse_terms: list[str]
    contact_patterns: dict[str, str] = field(default_factory=lambda: dict(CONTACT_PATTERNS))

    def __post_init__(self) -> None:
        self._contact = {k: re.compile(v) for k, v in self.contact_patterns.items()}
        terms = sorted({fold(t) for t in self.abuse_terms if t.strip()}, key=lambda t: (-len(t), t))
        self.abuse_terms = terms
        # latin terms (sb, nmsl, tmd) only as whole words: "usb" is not an insult
        alts = [rf"(?<![a-z0-9]){re.escape(t)}(?![a-z0-9])" if t.isascii() else re.escape(t) for t in terms]
        self._abuse = re.compile("|".join(alts)) if alts else None

    # -------------------------------------------------------------- construction
    @classmethod
    def default(cls, lexicon_dir: Path | None = None) -> "RuleSet":
        from screening.lexicon import DEFAULT_DIR

        d = Path(lexicon_dir or DEFAULT_DIR)
        return cls(SEED_ABUSE + _lexicon_terms(d, "abuse.yaml"))

    @classmethod
    def load(cls, path: Path) -> "RuleSet":
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return cls(data["abuse_terms"], data["contact_patterns"])

    def save(self, path: Path) -> None:
        Path(path).write_text(json.dumps({"abuse_terms": self.abuse_terms, "contact_patterns": self.contact_patterns},
                                         ensure_ascii=False, indent=1, sort_keys=True) + "\n", encoding="utf-8")

    # -------------------------------------------------------------- detection
    def hits(self, text: str) -> dict[str, str]:
        """Rule name -> the matched text, for every rule that fires."""
        t = fold(text)
        out = {}
        for name, rx in self._contact.items():
            m = rx.search(t)
            if m:
                out[name] = m.group(0)
        if ("contact" in out or "mention" in out or "lure" in out) and "phone" not in out:
            m = _HANDLE.search(t)
            if m:
                out["handle"] = m.group(0)
        if self._abuse is not None:
            m = self._abuse.search(t)
            if m:
                out["abuse"] = m.group(0)
        if _QUESTION.search(t):
            out["question"] = "?"
        return out

    @staticmethod
    def is_diversion(h: dict[str, str]) -> bool:
        """A concrete way to reach someone off-platform, not just a word like 微信."""
        if {"phone", "link", "contact"} & h.keys():
            return True
        return "handle" in h and bool({"mention", "lure"} & h.keys())

    def features(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(RULE_FEATURES)), dtype=np.float32)
        for i, t in enumerate(texts):
            h = self.hits(t)
            for j, name in enumerate(RULE_FEATURES):
                if name in h:
                    out[i, j] = 1.0
        return out

    def apply(self, texts: list[str], intents: np.ndarray, negative: np.ndarray, toxic: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[dict[str, str]]]:
        """Overrides after a model; returns adjusted copies and the hits per text."""
        intents, negative, toxic = intents.copy(), negative.copy(), toxic.copy()
        spam, abuse = INTENT_INDEX["spam"], INTENT_INDEX["abuse"]
        complaint = [INTENT_INDEX[k] for k in ("quality", "logistics", "after_sales")]
        all_hits = []
        for i, t in enumerate(texts):
            h = self.hits(t)
            all_hits.append(h)
            if self.is_diversion(h):
                _boost(intents[i], spam, 0.9)
            if "abuse" in h:
                toxic[i] = max(toxic[i], 0.9)
                negative[i] = max(negative[i], 0.7)
                if intents[i, complaint].sum() < 0.5:
                    _boost(intents[i], abuse, 0.7)
        return intents, negative, toxic, all_hits


def _boost(row: np.ndarray, k: int, p: float) -> None:
    """Give class k probability at least p, scaling the others down."""
    if row[k] >= p:
        return
    rest = row.sum() - row[k]
    if rest > 0:
        row *= (1 - p) / rest
    row[k] = p
