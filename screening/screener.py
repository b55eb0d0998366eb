"""The screening facade: ``Screener.load().review(text, category)``.

Pipeline (one direction): normalize → automaton hits → lawful look-alikes
(allow phrases) → category filter → word boundaries (jieba) → pattern rules →
context rules (exceptions, qualified rankings) → overlap resolution (longest,
then most severe) → :class:`~screening.findings.Finding` list.
"""

from __future__ import annotations

import bisect
import logging
import re
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from screening.findings import Finding, Severity
from screening.lexicon import CATEGORIES, Lexicon, LexiconError, Rule, load_lexicon
from screening.matcher import Hit, Matcher
from screening.normalize import Normalized
from screening import rules as ctxrules

SOURCES = ("script", "asr", "comment")
_jieba_lock = threading.Lock()


@lru_cache(maxsize=1)
def jieba_ready():
    """jieba with its dictionary loaded once per process (thread-safe, quiet)."""
    import jieba

    jieba.setLogLevel(logging.WARNING)
    with _jieba_lock:
        jieba.initialize()
    return jieba


def _tokens(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for tok in jieba_ready().cut(text, HMM=False):
        spans.append((pos, pos + len(tok)))
        pos += len(tok)
    return spans


def _word_len(text: str, pos: int) -> int:
    """Length of the longest jieba dictionary word starting at ``pos`` (1 if none)."""
    freq = jieba_ready().dt.FREQ
    for n in (4, 3, 2):
        w = text[pos : pos + n]
        if len(w) == n and freq.get(w):
            return n
    return 1


def _may_straddle(text: str, pos: int) -> bool:
    """Is there a dictionary word that contains both text[pos-1] and text[pos]?"""
    freq = jieba_ready().dt.FREQ
    for a in range(max(0, pos - 3), pos):
        for b in range(pos + 1, min(len(text), a + 4) + 1):
            if freq.get(text[a:b]):
                return True
    return False


def crosses_word(light: str, start: int, end: int, margin: int = 6) -> bool:
    """True if jieba puts a word boundary inside a word that straddles start or end."""
    if not (_may_straddle(light, start) or _may_straddle(light, end)):
        return False  # jieba (no HMM) only joins characters into dictionary words
    lo, hi = max(0, start - margin), min(len(light), end + margin)
    for ts, te in _tokens(light[lo:hi]):
        ts, te = ts + lo, te + lo
        if ts < start < te or ts < end < te:
            return True
    return False


@dataclass
class _Cand:
    rule: Rule
    start: int  # original offsets
    end: int
    severity: Severity
    message: str
    suggestions: tuple[str, ...]
    canonical: str = ""  # the span in canonical (EXACT) form
    generic: bool = False

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Review:
    findings: list[Finding]
    rewritten: str
    summary: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"findings": [f.to_dict() for f in self.findings], "rewritten": self.rewritten, "summary": self.summary}


class Screener:
    """Loads lexicons once; thread-safe to call concurrently."""

    def __init__(self, lexicon: Lexicon, lexicon_dir: Path):
        self.lexicon = lexicon
        self.lexicon_dir = Path(lexicon_dir)
        self.context = ctxrules.load_context(self.lexicon_dir)
        # host speech (scripts, transcripts) and viewer comments use separate automata: the
        # comment side carries large imported word lists that would slow script review down
        self.matcher = Matcher(lexicon, [r for r in lexicon.rules if {"script", "asr"} & set(r.inputs)])
        self._comment_rules = [r for r in lexicon.rules if "comment" in r.inputs]
        self._comment_matcher: Matcher | None = None
        self._lock = threading.Lock()

    def matcher_for(self, source: str) -> Matcher:
        if source != "comment":
            return self.matcher
        if self._comment_matcher is None:
            with self._lock:
                if self._comment_matcher is None:
                    self._comment_matcher = Matcher(self.lexicon, self._comment_rules)
        return self._comment_matcher

    @classmethod
    def load(cls, directory: Path | str | None = None) -> "Screener":
        lex = load_lexicon(directory)
        return cls(lex, Path(directory) if directory else Path(__file__).resolve().parent.parent / "lexicons")

    # ---------------------------------------------------------------- scanning
    def scan(self, text: str, category: str = "general", source: str = "script") -> list[Finding]:
        if category not in CATEGORIES:
            raise LexiconError(f"未知品类 {category!r}，可选: {', '.join(CATEGORIES)}")
        if source not in SOURCES:
            raise ValueError(f"unknown source {source!r}")
        if not text:
            return []
        matcher = self.matcher_for(source)
        norm = matcher.normalize(text)
        hits = matcher.hits(norm, homophone_min=2 if source == "asr" else 3)
        if not hits:
            return []
        areas = self.lexicon.areas_for(category, source)
        shadow = _Shadows([(h.start, h.end) for h in hits if h.payload.kind == "allow"])
        cands: list[_Cand] = []
        for h in hits:
            p = h.payload
            if p.kind == "allow" or p.rule is None:
                continue
            if p.rule.area not in areas or not p.rule.applies(category):
                continue
            if shadow.covers(h.start, h.end):
                continue
            if p.kind == "trigger":
                c = self._pattern(norm, h, category)
            else:
                c = self._term(norm, h, category, source)
            if c is not None:
                cands.append(c)
        cands = self._context(norm, cands)
        return [self._finding(text, c) for c in _resolve(cands)]

    def _term(self, norm: Normalized, h: Hit, category: str, source: str) -> _Cand | None:
        p, rule = h.payload, h.payload.rule
        e = rule.entry
        if h.homophone and (not e.homophones or len(p.form) < 2):
            return None
        start, end = norm.span(h.start, h.end)
        if h.end - h.start > 1 and ctxrules.breaks_token(self.context, norm.original, norm.light, start, end):
            return None
        severity = rule.severity_for(category)
        message = e.message
        plain = end - start == h.end - h.start  # nothing skipped inside the span
        if e.generic:
            span = self._extend_generic(norm, h.start, h.end)
            if span is None:
                return None
            start, end = norm.span(*span)
            rest = norm.text[span[0] : span[1]][len(p.form) :]
            return _Cand(rule, start, end, severity, message, tuple(s + rest for s in e.suggestions), p.form, generic=True)
        if e.boundary and plain and not h.homophone and len(p.form) == 2 and p.variant == "exact":
            if crosses_word(norm.light, start, end):
                return None
        if p.variant == "pinyin":
            message = f"拼音写法，即「{p.term}」：{message}"
        elif h.homophone:
            message = f"疑似「{p.form}」的谐音写法：{message}"
            if source != "asr":
                severity = Severity.WARNING
        return _Cand(rule, start, end, severity, message, tuple(e.suggestions), norm.text[h.start : h.end])

    def _extend_generic(self, norm: Normalized, start: int, end: int) -> tuple[int, int] | None:
        """最 + the following dictionary word, e.g. 最有意思 (normalized coordinates)."""
        text = norm.text
        n = _word_len(text, start)
        if n >= 2:
            return start, start + n
        nxt = text[end : end + 1]
        if not nxt or not ("\u4e00" <= nxt <= "\u9fff" or nxt.isalpha()) or nxt == "\n":
            return None
        n = _word_len(text, end)
        if text[end : end + n] in self.context.generic_stop:
            return None
        return start, min(end + n, start + 6)

    def _pattern(self, norm: Normalized, h: Hit, category: str) -> _Cand | None:
        rule, pat = h.payload.rule, h.payload.pattern
        ts, te = norm.span(h.start, h.end)
        lo, hi = max(0, ts - pat.window), min(len(norm.light), te + pat.window)
        for m in re.finditer(pat.regex, norm.light[lo:hi]):
            ms, me = m.start() + lo, m.end() + lo
            if ms < te and ts < me:
                e = rule.entry
                return _Cand(rule, ms, me, rule.severity_for(category), e.message, tuple(e.suggestions), m.group(0))
        return None

    def _context(self, norm: Normalized, cands: list[_Cand]) -> list[_Cand]:
        ctx, light, out = self.context, norm.light, []
        for c in cands:
            if ctxrules.exception_reason(ctx, light, c.start, c.end, c.rule.area):
                continue
            if c.rule.area == "absolute":
                if ctxrules.ranking_qualified(ctx, light, c.canonical, c.start, c.end):
                    c.severity = ctx.ranking_severity
                    c.message = ctx.ranking_message
                    c.suggestions = (norm.original[c.start : c.end] + ctx.ranking_suffix,)
            out.append(c)
        return out

    def _finding(self, text: str, c: _Cand) -> Finding:
        return Finding(
            rule_id=c.rule.rule_id, category=c.rule.area, severity=c.severity, start=c.start, end=c.end,
            text=text[c.start : c.end], law=c.rule.law, message=c.message, suggestions=c.suggestions,
        )

    # ---------------------------------------------------------------- review
    def review(self, text: str, category: str = "general") -> Review:
        findings = self.scan(text, category, "script")
        return Review(findings, rewrite(text, findings), summarize(text, findings, category, self.lexicon.digest))

    def hotwords(self, limit: int = 60) -> list[str]:
        """Short violation terms for ASR biasing, most general first."""
        seen: list[str] = []
        for rule in self.lexicon.rules:
            e = rule.entry
            if e.generic or e.severity is not Severity.VIOLATION:
                continue
            for t in rule.terms:
                if 2 <= len(t) <= 5 and t not in seen:
                    seen.append(t)
        return seen[:limit]


class _Shadows:
    """Allow-phrase spans; ``covers`` = some strictly longer allow span contains the hit."""

    def __init__(self, spans: list[tuple[int, int]]):
        spans.sort()
        self.starts = [a for a, _ in spans]
        self.maxend: list[int] = []
        m = -1
        for _, b in spans:
            m = max(m, b)
            self.maxend.append(m)
        self.same_start: dict[int, int] = {}
        for a, b in spans:
            self.same_start[a] = max(self.same_start.get(a, -1), b)

    def covers(self, s: int, e: int) -> bool:
        if not self.starts:
            return False
        i = bisect.bisect_left(self.starts, s)  # allows starting strictly before s
        if i and self.maxend[i - 1] >= e:
            return True
        return self.same_start.get(s, -1) > e


def _resolve(cands: list[_Cand]) -> list[_Cand]:
    """Overlaps: a specific rule beats the generic 最 rule; then longest, then most severe."""
    specific = [c for c in cands if not c.generic]
    cands = specific + [g for g in cands if g.generic and not any(s.start < g.end and g.start < s.end for s in specific)]
    cands.sort(key=lambda c: (-c.length, -c.severity.rank, c.start))
    chosen: list[_Cand] = []
    for c in cands:
        if all(c.end <= k.start or k.end <= c.start for k in chosen):
            chosen.append(c)
    chosen.sort(key=lambda c: (c.start, c.end))
    return chosen


def rewrite(text: str, findings: list[Finding]) -> str:
    """Replace every violation with its first compliant suggestion."""
    out, pos = [], 0
    for f in sorted(findings, key=lambda f: f.start):
        if f.severity is Severity.VIOLATION and f.suggestions and f.start >= pos:
            out.append(text[pos : f.start])
            out.append(f.suggestions[0])
            pos = f.end
    out.append(text[pos:])
    return "".join(out)


def summarize(text: str, findings: list[Finding], category: str, lexicon_version: str) -> dict:
    by_sev = {s.value: 0 for s in Severity}
    by_area: dict[str, int] = {}
    for f in findings:
        by_sev[f.severity.value] += 1
        by_area[f.category] = by_area.get(f.category, 0) + 1
    return {
        "total": len(findings), "by_severity": by_sev, "by_area": dict(sorted(by_area.items())),
        "category": category, "chars": len(text), "lexicon_version": lexicon_version,
    }
