"""Which lexicon terms to give Whisper as ``hotwords``.

Whisper's prompt is small (the decoder context is 448 tokens, prompt included),
and a long hotword list biases the decoder towards writing banned terms that were
not said.  So the list is bounded by tokens: the head terms of the prohibited
(``violation``) rules first, taken round-robin over the rule areas that apply to
the category, then the other terms.  Only short all-Chinese terms: Latin
spellings and long phrases are matched by pinyin on the transcript instead.
"""

from __future__ import annotations

import re

_CJK = re.compile(r"^[\u4e00-\u9fff]{2,5}$")

# How many head terms each rule area contributes per round: what a selling host
# actually says first.  Areas not listed get weight 1; weight 0 never biases the
# decoder (abuse: never make Whisper more likely to write insults).
AREA_WEIGHTS = {
    "absolute": 3, "medical": 2, "price": 2, "false_claim": 1, "health_food": 1, "cosmetics": 1,
    "state_symbols": 1, "scarcity": 1, "investment": 1, "education": 1, "superstition": 1,
    "minors": 1, "diversion": 1, "abuse": 0,
}


def select_hotwords(lexicon, category: str = "general", *, max_chars: int = 80) -> list[str]:
    """Terms for the ``hotwords`` prompt, most useful first, about ``max_chars`` characters in all."""
    try:
        areas = lexicon.areas_for(category)
    except Exception:  # noqa: BLE001 - unknown category: use every area
        areas = set(lexicon.areas)
    by_area: dict[str, list[list[str]]] = {}
    for rule in lexicon.rules:
        e = rule.entry
        if rule.area not in areas or not rule.applies(category) or getattr(e, "generic", False):
            continue
        terms = [t for t in e.terms if _CJK.match(t)]
        if not terms:
            continue
        sev = getattr(rule.severity_for(category), "value", str(rule.severity_for(category)))
        rank = 0 if sev == "violation" else 1
        head = sorted(terms[:3], key=len)
        by_area.setdefault(rule.area, []).append([rank] + head + terms[3:])
    ordered: list[str] = []
    weights = {a: AREA_WEIGHTS.get(a, 1) for a in by_area}
    for rank in (0, 1):
        # first pass: each rule's shortest head term; second pass: the rest
        for depth in (1, 2):
            queues = {a: sorted((r[depth] for r in rules if r[0] == rank and len(r) > depth), key=len)
                      for a, rules in sorted(by_area.items()) if weights[a] > 0}
            while any(queues.values()):
                for a, q in queues.items():
                    take, queues[a] = q[: weights[a]], q[weights[a]:]
                    ordered.extend(take)
    out: list[str] = []
    used = 0
    for t in ordered:
        if t in out or any(t in o for o in out):
            continue
        if used + len(t) + 1 > max_chars:
            continue
        out.append(t)
        used += len(t) + 1
    return out


def hotword_string(lexicon, category: str = "general", *, max_chars: int = 80) -> str:
    return " ".join(select_hotwords(lexicon, category, max_chars=max_chars))


# ------------------------------------------------------------------ contextual biasing
_INITIALS = ("zh", "ch", "sh", "b", "p", "m", "f", "d", "t", "n", "l", "g", "k", "h", "j", "q", "x", "r", "z", "c", "s", "y", "w")
_INIT_FOLD = {"zh": "z", "ch": "c", "sh": "s", "n": "l"}
_FINAL_FOLD = {"ing": "in", "eng": "an", "en": "an", "ang": "an", "iang": "ian", "uang": "uan"}


def _split(py: str) -> tuple[str, str]:
    for ini in _INITIALS:
        if py.startswith(ini):
            return _INIT_FOLD.get(ini, ini), _FINAL_FOLD.get(py[len(ini):], py[len(ini):])
    return "", _FINAL_FOLD.get(py, py)


def _alike(a: str, b: str) -> bool:
    """Same folded initial or same folded final (旗 qi ~ 级 ji, 肝 gan ~ 根 gen)."""
    ia, fa = _split(a)
    ib, fb = _split(b)
    return ia == ib or fa == fb


def fold_syllable(py: str) -> str:
    """Toneless pinyin folded over the confusions Whisper makes most (zh/z, en/an/eng, in/ing, l/n)."""
    for ini in _INITIALS:
        if py.startswith(ini):
            rest = py[len(ini):]
            return _INIT_FOLD.get(ini, ini) + _FINAL_FOLD.get(rest, rest)
    return _FINAL_FOLD.get(py, py)


class NearTermFinder:
    """Lexicon terms that *sound like* a stretch of a transcript but are not written there.

    蒙肝治 → 根治 (gen zhi ~ gan zhi), 国家旗 → 国家级, 临附作用 → 零副作用.  The live
    transcriber puts them in front of the hotwords for the next decode of the same
    audio, so Whisper writes the term if that is what was said.  A term needs every
    syllable folded-equal and at least one exact (2 characters), or all but one
    syllable exact and that one alike in initial or final (3-5 characters).  The
    closest, longest terms come first.
    """

    def __init__(self, lexicon, category: str = "general"):
        from pypinyin import lazy_pinyin

        self._py = lazy_pinyin
        try:
            areas = lexicon.areas_for(category)
        except Exception:  # noqa: BLE001
            areas = set(lexicon.areas)
        self.index: dict[str, list[tuple[str, tuple[str, ...], tuple[str, ...]]]] = {}
        seen = set()
        for rule in lexicon.rules:
            e = rule.entry
            if rule.area not in areas or AREA_WEIGHTS.get(rule.area, 1) == 0 or getattr(e, "generic", False):
                continue
            for t in e.terms:
                if not _CJK.match(t) or t in seen:
                    continue
                seen.add(t)
                syl = tuple(lazy_pinyin(list(t)))
                fold = tuple(fold_syllable(s) for s in syl)
                entry = (t, syl, fold)
                # indexed by the folded first and second syllable, so a miss on either still finds it
                self.index.setdefault("0:" + fold[0], []).append(entry)
                self.index.setdefault("1:" + fold[1], []).append(entry)

    def near(self, text: str, limit: int = 8) -> list[str]:
        pos = [i for i, ch in enumerate(text) if "\u4e00" <= ch <= "\u9fff"]
        if len(pos) < 2:
            return []
        chars = [text[i] for i in pos]
        syl = self._py(chars)
        fold = [fold_syllable(s) for s in syl]
        bare = "".join(chars)
        found: dict[str, tuple[int, int]] = {}
        spans: dict[str, tuple[int, int]] = {}
        exact_spans: list[tuple[int, int]] = []
        for i in range(len(chars)):
            cands = self.index.get("0:" + fold[i], []) + (self.index.get("1:" + fold[i + 1], []) if i + 1 < len(chars) else [])
            for term, tsyl, tfold in cands:
                n = len(term)
                if i + n > len(chars) or term in found:
                    continue
                if bare[i:i + n] == term:
                    exact_spans.append((i, i + n))  # already written correctly
                    continue
                pairs = list(zip(syl[i:i + n], tsyl))
                exact = sum(1 for a, b in pairs if a == b)
                folded = sum(1 for a, b in zip(fold[i:i + n], tfold) if a == b)
                if n == 2:
                    ok = folded == 2 and exact >= 1
                else:
                    ok = exact >= n - 1 and all(a == b or _alike(a, b) for a, b in pairs)
                if ok:
                    found[term] = (n - exact, -n)
                    spans[term] = (i, i + n)
        # a look-alike of a term that is written correctly right there adds nothing
        found = {t: k for t, k in found.items()
                 if not any(a < spans[t][1] and spans[t][0] < b for a, b in exact_spans)}
        ranked = sorted(found, key=lambda t: found[t])
        out: list[str] = []
        for t in ranked:
            if any(t in o for o in out):
                continue
            out.append(t)
            if len(out) >= limit:
                break
        return out
