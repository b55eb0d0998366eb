"""Lexicon matcher: one Aho-Corasick automaton (pyahocorasick), built once.

Terms, lawful look-alikes (``allow``) and pattern triggers all live in the same
automaton, keyed in a *folded* space: the canonical text (see normalize.py) with
each character replaced by the representative of its tone-aware homophone class
(罪 → 最, 及 → 级) and every character that occurs in no key replaced by one
filler character.  Latin pinyin spellings of multi-character terms are keys too.

Speed: pyahocorasick looks up a node's children linearly, so a root with hundreds
of distinct first characters is slow.  The folded text has a small alphabet, and
the root's children are inserted most-frequent-character-first (filler first),
so the common case is one or two comparisons per character.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ahocorasick
import numpy as np
from pypinyin import lazy_pinyin
from pypinyin.pinyin_dict import pinyin_dict

from screening.lexicon import Lexicon, PatternRule, Rule
from screening.normalize import N_CODEPOINTS, Normalized, exact, exact_many, from_codes, tables, to_codes

FILLER = "\ue000"
NEVER = "\ue001"  # never occurs in folded text; ends the ordering-only dummy keys
_FREQ_FILE = Path(__file__).parent / "data" / "char_freq.txt"


@dataclass(frozen=True, slots=True)
class Payload:
    kind: str  # "term" | "allow" | "trigger"
    form: str  # canonical (EXACT) form of the key
    variant: str = "exact"  # "exact" | "pinyin"
    term: str = ""  # the lexicon term (canonical) this key spells
    rule: Rule | None = None
    pattern: PatternRule | None = None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Hit:
    """A raw automaton hit, in normalized coordinates, before context rules."""

    start: int  # normalized
    end: int
    payload: Payload
    homophone: bool  # matched only through homophone folding


def _char_rank() -> dict[str, int]:
    lines = [ln for ln in _FREQ_FILE.read_text(encoding="utf-8").splitlines() if not ln.startswith("#")]
    return {c: i for i, c in enumerate("".join(lines))}


def _tone_key(ch: str) -> str | None:
    readings = pinyin_dict.get(ord(ch))
    return readings.split(",")[0] if readings else None


class Matcher:
    def __init__(self, lexicon: Lexicon, rules: list[Rule] | None = None):
        self.lexicon = lexicon
        rules = list(lexicon.rules) if rules is None else rules
        items: list[tuple[str, Payload]] = []
        for rule in rules:
            e = rule.entry
            for term, form in zip(rule.terms, exact_many(rule.terms)):
                if not form:
                    continue
                items.append((form, Payload("term", form, rule=rule, term=form)))
                if e.pinyin and len(form) >= 2 and all("\u4e00" <= c <= "\u9fff" or c == "〇" for c in form):
                    py = "".join(lazy_pinyin(form))
                    if len(py) >= 6 and py.isascii() and py.isalpha():
                        items.append((py, Payload("term", py, variant="pinyin", rule=rule, term=form)))
            for pat in e.patterns:
                for trig in pat.triggers:
                    items.append((exact(trig), Payload("trigger", exact(trig), rule=rule, pattern=pat)))
            for a in e.allow:
                items.append((exact(a), Payload("allow", exact(a), reason=f"{rule.rule_id} 的合法语境")))
        for a, reason in lexicon.allow:
            items.append((exact(a), Payload("allow", exact(a), reason=reason)))
        items = [(f, p) for f, p in items if f]

        alphabet = sorted({c for f, _ in items for c in f})
        exact_tab = tables().exact
        rank = _char_rank()

        # exact space: every character outside the lexicon's alphabet becomes the filler
        keep = np.full(N_CODEPOINTS, ord(FILLER), dtype=np.uint32)
        for c in alphabet:
            keep[ord(c)] = ord(c)
        self._exact_view = keep[exact_tab]
        by_form: dict[str, list[Payload]] = {}
        for form, p in items:
            by_form.setdefault(form, []).append(p)
        self._exact = _Automaton(by_form, weight={c: 1.0 / (rank.get(c, 10**5) + 10) for c in alphabet})

        # homophone space: each character -> representative of its tone-aware pinyin class
        reps: dict[str, str] = {}
        for c in alphabet:
            k = _tone_key(c)
            if k and (k not in reps or c < reps[k]):
                reps[k] = c
        fold = np.full(N_CODEPOINTS, ord(FILLER), dtype=np.uint32)
        for cp, readings in pinyin_dict.items():
            k = readings.split(",")[0]
            if k in reps and cp < N_CODEPOINTS:
                fold[cp] = ord(reps[k])
        for c in alphabet:
            k = _tone_key(c)
            fold[ord(c)] = ord(reps[k]) if k else ord(c)
        self._homo_view = fold[exact_tab]
        # class weight = how often text characters fall into it (drives the root's child order)
        weight: dict[str, float] = {}
        for c, r in rank.items():
            f = chr(fold[exact_tab[ord(c)]])
            if f != FILLER:
                weight[f] = weight.get(f, 0.0) + 1.0 / (r + 10)

        def folded(s: str) -> str:
            return from_codes(fold[to_codes(s)])

        self._homo: dict[int, _Automaton] = {}
        for min_len in (2, 3):
            keyed: dict[str, list[Payload]] = {}
            for form, p in items:
                if len(form) < min_len or p.variant != "exact":
                    continue
                if p.kind == "term" and p.rule.entry.homophones and not p.rule.entry.generic or p.kind == "allow":
                    keyed.setdefault(folded(form), []).append(p)
            self._homo[min_len] = _Automaton(keyed, weight)
        self.size = self._exact.size

    def normalize(self, text: str) -> Normalized:
        return Normalized(text, self._exact_view)

    def hits(self, norm: Normalized, homophone_min: int = 3) -> list[Hit]:
        """Exact hits, plus homophone-only hits of keys at least ``homophone_min`` long."""
        out = [Hit(end - klen + 1, end + 1, p, False)
               for end, klen, payloads in self._exact.iter(norm.folded, norm.view_codes(self._exact_view))
               for p in payloads]
        homo = self._homo.get(homophone_min)
        if homo is None or not homo.size:
            return out
        exact_text = norm.text
        for end, klen, payloads in homo.iter(norm.view(self._homo_view), norm.view_codes(self._homo_view)):
            start = end - klen + 1
            got = exact_text[start : end + 1]
            if any(got == p.form for p in payloads):
                continue  # an exact hit, already reported by the exact automaton
            out.extend(Hit(start, end + 1, p, True) for p in payloads)
        return out


class _Automaton:
    """A pyahocorasick automaton behind a vectorized bigram prefilter.

    pyahocorasick scans a node's children linearly, so a lexicon whose characters
    cover most of the text runs at a few M chars/s.  Instead, numpy marks every
    position whose next two characters begin some key (a hashed bigram table, plus
    a lookup for one-character keys, which never reach the automaton); only the merged windows around those positions
    around those positions go through the automaton.  Each key is anchored on its
    rarest bigram, so common openings (我们…, 没有…) do not defeat the filter.  Hash collisions only cost a
    little scanning, never a missed match.  Root children are still inserted
    commonest-first, which helps inside the windows.
    """

    BITS = 22
    GAP = 4  # windows closer than this are scanned as one (measured: 0-8 best, 24+ slower)
    _M1, _M2 = np.uint32(0x9E3779B1), np.uint32(0x85EBCA77)

    def __init__(self, keyed: dict[str, list[Payload]], weight: dict[str, float]):
        auto = ahocorasick.Automaton()
        alpha = sorted({c for k in keyed for c in k}, key=lambda c: (-weight.get(c, 0.0), c))
        auto.add_word(FILLER + NEVER, -1)  # the filler is the commonest character: first child
        for c in alpha:
            auto.add_word(c + NEVER, -1)  # ordering only: NEVER never occurs, so these never match
        self._values: list[tuple[int, tuple[Payload, ...]]] = []
        # per hash bucket: how far a key anchored there reaches before and after the anchor
        self._before = np.zeros(1 << self.BITS, dtype=np.int16)
        self._after = np.zeros(1 << self.BITS, dtype=np.int16)
        self._unigrams = np.zeros(N_CODEPOINTS, dtype=bool)
        floor = min(weight.values(), default=1.0) / 10
        self._single: dict[int, tuple[Payload, ...]] = {}  # one-character keys: found by numpy alone
        for key, payloads in keyed.items():
            if len(key) == 1:
                self._unigrams[ord(key)] = True
                self._single[ord(key)] = tuple(payloads)
                continue
            auto.add_word(key, len(self._values))
            self._values.append((len(key), tuple(payloads)))
            # anchor each key on its rarest bigram (text frequency ~ product of character weights)
            o = min(range(len(key) - 1), key=lambda i: weight.get(key[i], floor) * weight.get(key[i + 1], floor))
            h = int(self._hash(np.array([ord(key[o])], np.uint32), np.array([ord(key[o + 1])], np.uint32))[0])
            self._before[h] = max(self._before[h], o)
            self._after[h] = max(self._after[h], len(key) - o)
        self._has_unigrams = bool(self._unigrams.any())
        auto.make_automaton()
        self._auto = auto
        self.size = len(keyed)

    @classmethod
    def _hash(cls, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            h = (a * cls._M1) ^ (b * cls._M2)
        return h >> np.uint32(32 - cls.BITS)

    def windows(self, codes: np.ndarray) -> list[tuple[int, int]]:
        """Merged spans of the text that may hold a key of two or more characters."""
        n = len(codes)
        if not self.size or n == 0:
            return []
        before = np.zeros(n, dtype=np.int64)
        after = np.zeros(n, dtype=np.int64)
        if n >= 2:
            h = self._hash(codes[:-1], codes[1:])
            before[:-1] = self._before[h]
            after[:-1] = self._after[h]
        p = np.flatnonzero(after)
        if not p.size:
            return []
        lo = np.maximum(p - before[p], 0)
        hi = np.minimum(p + after[p], n)
        # neither bound is monotonic (keys reach back different distances): make the starts
        # non-decreasing by a suffix minimum and the ends by a running maximum, then merge
        lo = np.minimum.accumulate(lo[::-1])[::-1]
        hi = np.maximum.accumulate(hi)
        brk = lo[1:] > hi[:-1] + self.GAP
        starts = lo[np.concatenate(([True], brk))]
        ends = hi[np.concatenate((brk, [True]))]
        return list(zip(starts.tolist(), ends.tolist()))

    def iter(self, text: str, codes: np.ndarray | None = None):
        """(end index, key length, payloads) for every key occurring in ``text``."""
        values, it = self._values, self._auto.iter
        codes = codes if codes is not None else to_codes(text)
        if self._has_unigrams:
            single = self._single
            for i in np.flatnonzero(self._unigrams[codes]).tolist():
                yield i, 1, single[int(codes[i])]
        spans = self.windows(codes)
        for lo, hi in spans:
            # a slice, not it(text, lo, hi): pyahocorasick converts the whole string on every call
            for end, vid in it(text[lo:hi]):
                if vid >= 0:
                    klen, payloads = values[vid]
                    yield lo + end, klen, payloads
