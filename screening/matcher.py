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
from screening.normalize import N_CODEPOINTS, Normalized, exact, from_codes, tables, to_codes

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
    def __init__(self, lexicon: Lexicon):
        self.lexicon = lexicon
        items: list[tuple[str, Payload]] = []
        for rule in lexicon.rules:
            e = rule.entry
            for term in e.terms:
                form = exact(term)
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
        # homophone representative per tone key: the lexicon character with the lowest code point
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
        self._fold = fold
        # composite table: original code point -> EXACT -> folded
        self._fold_exact = fold[tables().exact]

        def folded(s: str) -> str:
            return from_codes(fold[to_codes(s)])

        keyed: dict[str, list[Payload]] = {}
        for form, p in items:
            keyed.setdefault(folded(form), []).append(p)

        auto = ahocorasick.Automaton()
        rank = _char_rank()
        folded_alpha = sorted({c for k in keyed for c in k}, key=lambda c: (rank.get(c, 10**6), c))
        auto.add_word(FILLER + NEVER, -1)
        for c in folded_alpha:
            auto.add_word(c + NEVER, -1)
        self._values: list[tuple[int, tuple[Payload, ...]]] = []
        for key, payloads in keyed.items():
            auto.add_word(key, len(self._values))
            self._values.append((len(key), tuple(payloads)))
        auto.make_automaton()
        self._auto = auto
        self.size = len(keyed)

    def normalize(self, text: str) -> Normalized:
        return Normalized(text, self._fold_exact)

    def hits(self, norm: Normalized) -> list[Hit]:
        out: list[Hit] = []
        values = self._values
        exact_text: str | None = None
        for end, vid in self._auto.iter(norm.folded):
            if vid < 0:
                continue
            klen, payloads = values[vid]
            start = end - klen + 1
            if exact_text is None:
                exact_text = norm.text
            got = exact_text[start : end + 1]
            exact_forms = {p.form for p in payloads}
            for p in payloads:
                is_exact = got == p.form
                if not is_exact and got in exact_forms:
                    continue  # another payload under this key matches exactly
                out.append(Hit(start, end + 1, p, homophone=not is_exact))
        return out
