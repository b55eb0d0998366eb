"""Hypothesis clean-up: Traditional → Simplified (OpenCC), Whisper's silence
hallucinations (data: ``lexicons/asr_hallucinations.yaml``), spaces → commas.

Works on :class:`Char` lists so that every character keeps its audio time.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from screening.asr.decoder import Word

DEFAULT_HALLUCINATIONS = Path(__file__).resolve().parent.parent.parent / "lexicons" / "asr_hallucinations.yaml"
_PUNCT = set("，。！？、；：,.!?;:…—-·\"'“”‘’()（）《》【】[] \u3000")


@dataclass(frozen=True, slots=True)
class Char:
    """One transcript character with absolute audio times (seconds)."""

    ch: str
    start: float
    end: float


def is_punct(ch: str) -> bool:
    return ch in _PUNCT or unicodedata.category(ch)[0] in "PZ"


@lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError as exc:  # pragma: no cover - dependency
        raise RuntimeError("缺少 OpenCC，请安装 opencc / OpenCC is not installed") from exc
    for cfg in ("t2s", "t2s.json"):
        try:
            return opencc.OpenCC(cfg)
        except Exception:  # noqa: BLE001 - the two opencc packages name configs differently
            continue
    raise RuntimeError("OpenCC 无法加载 t2s 配置 / OpenCC cannot load the t2s config")


def to_simplified(text: str) -> str:
    return _t2s().convert(text) if text else text


def words_to_chars(words: list[Word], offset: float = 0.0) -> list[Char]:
    """Split decoder words into characters (times spread evenly), converting to Simplified."""
    raw = "".join(w.text for w in words)
    simp = to_simplified(raw)
    same = len(simp) == len(raw)
    out: list[Char] = []
    pos = 0
    for w in words:
        text = simp[pos:pos + len(w.text)] if same else to_simplified(w.text)
        pos += len(w.text)
        if not text:
            continue
        step = (w.end - w.start) / len(text)
        for i, ch in enumerate(text):
            s = w.start + i * step
            out.append(Char(ch, round(s + offset, 3), round(s + step + offset, 3)))
    return _tidy(out)


def _mangled(ch: str) -> bool:
    """A full-width letter or digit: Whisper's byte-level BPE sometimes ends a
    full-width comma (EF BC 8C) with the wrong byte (２ = EF BC 92, Ｇ = EF BC A7)."""
    o = ord(ch)
    return 0xFF10 <= o <= 0xFF19 or 0xFF21 <= o <= 0xFF3A or 0xFF41 <= o <= 0xFF5A


def _tidy(chars: list[Char]) -> list[Char]:
    """Whitespace between words becomes one '，'; no leading or doubled punctuation."""
    out: list[Char] = []
    for c in chars:
        ch = c.ch
        if ch.isspace() or _mangled(ch):
            ch = "，"
        if is_punct(ch):
            if not out or is_punct(out[-1].ch):
                continue
            if ch in ",":
                ch = "，"
        out.append(Char(ch, c.start, c.end) if ch != c.ch else c)
    return out


def trim_repeats(chars: list[Char], max_period: int = 24) -> list[Char]:
    """Cut a decoding loop (the same block repeated up to the end of the hypothesis).

    A block of 4+ characters repeated twice, or of 2-3 characters repeated three
    times, running to the end, is kept once.  Hosts do say 买它买它, so shorter or
    rarer repeats stay.
    """
    text = "".join(c.ch for c in chars)
    n = len(text)
    for i in range(n):
        for p in range(2, min(max_period, (n - i) // 2) + 1):
            if text[i:i + p] != text[i + p:i + 2 * p]:
                continue
            reps = (n - i) // p
            if all(text[k] == text[k - p] for k in range(i + p, n)) and (reps >= 3 or (p >= 4 and reps >= 2)):
                return chars[:i + p]
    return chars


class HallucinationFilter:
    def __init__(self, path: Path | str | None = None):
        path = Path(path) if path else DEFAULT_HALLUCINATIONS
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RuntimeError(f"无法读取幻觉过滤表 {path.name} / cannot read {path}: {exc}") from exc
        self.phrases = sorted({self._key(p) for p in data.get("phrases", []) if self._key(p)}, key=len, reverse=True)
        self.patterns = [re.compile(p) for p in data.get("patterns", [])]
        self.alone = {self._key(p) for p in data.get("alone", []) if self._key(p)}

    @staticmethod
    def _key(s: str) -> str:
        return "".join(ch for ch in to_simplified(str(s)) if not is_punct(ch)).lower()

    def clean(self, chars: list[Char], *, whole: bool = True) -> list[Char]:
        """Remove hallucinated spans; everything else keeps its times.

        ``whole``: the chars are a whole utterance, so the ``alone`` lines apply too
        (not for a window that starts in the middle of one).
        """
        if not chars:
            return chars
        keep = [True] * len(chars)
        # phrases: match on the punctuation-free text, map back to char indices
        idx = [i for i, c in enumerate(chars) if not is_punct(c.ch)]
        bare = "".join(chars[i].ch for i in idx).lower()
        for p in self.phrases:
            start = bare.find(p)
            while start >= 0:
                for k in range(start, start + len(p)):
                    keep[idx[k]] = False
                start = bare.find(p, start + len(p))
        text = "".join(c.ch for c in chars)
        for pat in self.patterns:
            for m in pat.finditer(text):
                for k in range(m.start(), m.end()):
                    keep[k] = False
        out = [c for c, k in zip(chars, keep) if k]
        if whole and "".join(c.ch for c in out if not is_punct(c.ch)).lower() in self.alone:
            return []
        return _tidy(out)

    def is_alone(self, text: str) -> bool:
        return self._key(text) in self.alone
