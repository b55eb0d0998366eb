"""Text normalization with an offset map back to the original text.

Every step maps ONE code point to ONE code point (or drops it), so the whole
pipeline is a few precomputed lookup tables applied with numpy at C speed:

* ``LIGHT``  width (NFKC, single-character results only), case, traditional →
  simplified (OpenCC, character level).  Same length as the original, used by
  regex/context rules and jieba.
* ``EXACT``  ``LIGHT`` plus numerals unified to Chinese (1 → 一, 壹 → 一, 0/零 → 〇).
* ``SKIP``   characters dropped between characters: spaces, punctuation, symbols,
  emoji, zero-width and format characters, combining marks.  Newlines are kept
  (a phrase never spans lines) and so is ``%`` (100%).

The kept positions form the offset map: normalized index ``i`` came from original
index ``offsets[i]``.  Homophone folding is lexicon-specific and lives in the
matcher, as one more table composed on top of ``EXACT``.
"""

from __future__ import annotations

import sys
import unicodedata
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

N_CODEPOINTS = 0x110000
KEEP_PUNCT = {"%", "\n"}
NUMERALS = {
    "0": "〇", "1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "七", "8": "八", "9": "九",
    "零": "〇", "壹": "一", "贰": "二", "叁": "三", "肆": "四", "伍": "五", "陆": "六", "柒": "七", "捌": "八", "玖": "九",
}
# Ranges holding characters we look at individually (BMP, CJK Ext-B..F, emoji, tags).
_SCAN_RANGES = [(0, 0x10000), (0x1F000, 0x1FB00), (0xE0000, 0xE0080), (0xE0100, 0xE01F0)]
_CJK_RANGES = [(0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x2A6E0)]


def _skippable(ch: str) -> bool:
    if ch in KEEP_PUNCT:
        return False
    cat = unicodedata.category(ch)
    return cat[0] in "PSZ" or cat in ("Cc", "Cf", "Mn", "Me", "Cs", "Co")


@dataclass(frozen=True)
class Tables:
    light: np.ndarray  # uint32[N] code point -> code point
    exact: np.ndarray  # uint32[N]
    skip: np.ndarray  # bool[N]


@lru_cache(maxsize=1)
def tables() -> Tables:
    """Build the character tables once per process (~0.2 s)."""
    import opencc

    light = np.arange(N_CODEPOINTS, dtype=np.uint32)
    skip = np.zeros(N_CODEPOINTS, dtype=bool)
    for lo, hi in _SCAN_RANGES:
        for cp in range(lo, hi):
            ch = chr(cp)
            if 0xD800 <= cp < 0xE000:  # lone surrogates
                skip[cp] = True
                continue
            n = unicodedata.normalize("NFKC", ch)
            if len(n) != 1:
                n = ch
            if len(n.lower()) == 1:
                n = n.lower()
            if n != ch:
                light[cp] = ord(n)
            skip[cp] = _skippable(ch) or _skippable(n)
    t2s = opencc.OpenCC("t2s")
    for lo, hi in _CJK_RANGES:
        chars = [chr(cp) for cp in range(lo, hi)]
        # convert one character per line; OpenCC never joins across a newline
        conv = t2s.convert("\n".join(chars)).split("\n")
        if len(conv) != len(chars):  # pragma: no cover - defensive
            conv = [t2s.convert(c) for c in chars]
        for c, s in zip(chars, conv):
            if len(s) == 1 and s != c:
                light[ord(c)] = ord(s)
    # chars whose NFKC form is a traditional character (e.g. compatibility ideographs)
    light = light[light]
    exact = light.copy()
    num = np.arange(N_CODEPOINTS, dtype=np.uint32)
    for k, v in NUMERALS.items():
        num[ord(k)] = ord(v)
    exact = num[exact]
    return Tables(light=light, exact=exact, skip=skip)


def to_codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)


def from_codes(codes: np.ndarray) -> str:
    return codes.astype(np.uint32, copy=False).tobytes().decode("utf-32-le", "surrogatepass")


class Normalized:
    """A normalized view of ``original``.

    ``text[i]`` (canonical form: ``EXACT`` of the kept characters) came from
    ``original[offsets[i]]``.  ``light`` has the original's length and offsets
    (width/case/traditional folded only); ``folded`` is ``text`` passed through an
    extra per-lexicon table (homophone classes) when one was given.
    """

    __slots__ = ("original", "offsets", "kept", "folded", "__dict__")

    def __init__(self, original: str, fold: np.ndarray | None = None):
        t = tables()
        codes = to_codes(original)
        self.original = original
        self.offsets = np.flatnonzero(~t.skip[codes])
        self.kept = codes[self.offsets]
        self._fold = t.exact if fold is None else fold
        self.folded = self.view(self._fold)

    @cached_property
    def text(self) -> str:
        return from_codes(tables().exact[self.kept])

    def view_codes(self, table: np.ndarray) -> np.ndarray:
        """The kept characters' code points through another per-character table (cached)."""
        cache = self.__dict__.setdefault("_view_codes", {})
        if id(table) not in cache:
            cache[id(table)] = table[self.kept]
        return cache[id(table)]

    def view(self, table: np.ndarray) -> str:
        """:meth:`view_codes` as a string (cached)."""
        cache = self.__dict__.setdefault("_views", {})
        if id(table) not in cache:
            cache[id(table)] = from_codes(self.view_codes(table))
        return cache[id(table)]

    @cached_property
    def light(self) -> str:
        return from_codes(tables().light[to_codes(self.original)])

    def span(self, start: int, end: int) -> tuple[int, int]:
        """Map a normalized half-open span back to the original text."""
        return int(self.offsets[start]), int(self.offsets[end - 1]) + 1


def normalize(original: str, fold: np.ndarray | None = None) -> Normalized:
    """Normalize ``original``; ``fold`` replaces ``EXACT`` for the ``folded`` view."""
    return Normalized(original, fold)


def light(text: str) -> str:
    """Width/case/traditional folding only (same length as ``text``)."""
    return from_codes(tables().light[to_codes(text)])


def exact(text: str) -> str:
    """The canonical form a lexicon term is matched in (skips dropped, numerals unified)."""
    return normalize(text).text


def exact_many(terms) -> list[str]:
    """:func:`exact` of many one-line terms in one pass (newlines are kept as separators)."""
    terms = list(terms)
    if not terms:
        return []
    if any("\n" in t for t in terms):
        return [exact(t) for t in terms]
    out = normalize("\n".join(terms)).text.split("\n")
    assert len(out) == len(terms)
    return out


if __name__ == "__main__":  # pragma: no cover
    for line in sys.argv[1:]:
        n = normalize(line)
        print(n.text, list(n.offsets))
