"""Context rules: the lawful exceptions and qualifiers that need more than a word list.

Each rule looks at the width/case/traditional-folded text around a candidate and
either drops it (a recognised exception is no finding at all) or changes its
outcome (a ranking with period and scope → ``needs_evidence``).  The word lists
and regexes are data in ``lexicons/_context.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from screening.findings import Severity
from screening.lexicon import LexiconError

_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_CLAUSE_END = re.compile(r"[。！？!?；;，,、\n]")


@dataclass(frozen=True)
class Context:
    aspiration: tuple[str, ...]
    aspiration_window: int
    aspiration_reason: str
    self_comparison: tuple[str, ...]
    self_window: int
    self_reason: str
    trademark_after: re.Pattern
    trademark_registered: re.Pattern
    trademark_reason: str
    ranking_terms: tuple[str, ...]
    ranking_time: re.Pattern
    ranking_metric: re.Pattern
    ranking_source: re.Pattern
    ranking_region: re.Pattern
    ranking_message: str
    ranking_suffix: str
    ranking_severity: Severity
    generic_stop: frozenset[str]
    enum_terms: tuple[str, ...]
    enum_followers: tuple[str, ...]
    enum_window: int
    clause_marks: frozenset[str]


@lru_cache(maxsize=4)
def load_context(directory: Path) -> Context:
    path = Path(directory) / "_context.yaml"
    try:
        d = yaml.safe_load(path.read_text(encoding="utf-8"))
        a, s, t, r = d["aspiration"], d["self_comparison"], d["trademark"], d["ranking"]
        return Context(
            aspiration=tuple(a["words"]), aspiration_window=int(a["window"]), aspiration_reason=a["reason"],
            self_comparison=tuple(s["words"]), self_window=int(s["window"]), self_reason=s["reason"],
            trademark_after=re.compile(t["after"]), trademark_registered=re.compile(t["registered"]),
            trademark_reason=t["reason"],
            ranking_terms=tuple(r["terms"]), ranking_time=re.compile(r["time"]),
            ranking_metric=re.compile(r["metric"]), ranking_source=re.compile(r["source"]),
            ranking_region=re.compile(r["region"]), ranking_message=r["message"],
            ranking_suffix=r["suggestion_suffix"], ranking_severity=Severity(r["severity"]),
            generic_stop=frozenset(d.get("generic_stop", [])),
            enum_terms=tuple(d["enumeration"]["terms"]), enum_followers=tuple(d["enumeration"]["followers"]),
            enum_window=int(d["enumeration"]["window"]), clause_marks=frozenset(d["clause_marks"]),
        )
    except FileNotFoundError as exc:
        raise LexiconError(f"上下文规则文件缺失: {path}") from exc
    except (KeyError, TypeError, ValueError, re.error, yaml.YAMLError) as exc:
        raise LexiconError(f"上下文规则文件 {path.name} 无效: {exc!r}") from exc


_BACK = 80  # how far back to look for a sentence start


def _bounds(text: str, start: int, end: int, sep: re.Pattern) -> tuple[int, int]:
    lo = max(0, start - _BACK)
    last = None
    for last in sep.finditer(text, lo, start):
        pass
    m = sep.search(text, end, end + _BACK)
    return (last.end() if last else lo), (m.start() if m else min(len(text), end + _BACK))


def sentence(text: str, start: int, end: int) -> tuple[int, int]:
    return _bounds(text, start, end, _SENTENCE_END)


def clause(text: str, start: int, end: int) -> tuple[int, int]:
    return _bounds(text, start, end, _CLAUSE_END)


def exception_reason(ctx: Context, light: str, start: int, end: int, area: str) -> str | None:
    """Why an absolute-term candidate is lawful here, or None."""
    if area != "absolute":
        return None
    c0, _ = clause(light, start, end)
    before = light[max(c0, start - ctx.aspiration_window) : start]
    if any(w in before for w in ctx.aspiration):
        return ctx.aspiration_reason
    s0, s1 = sentence(light, start, end)
    around = light[max(s0, start - ctx.self_window) : min(s1, end + ctx.self_window)]
    if any(w in around for w in ctx.self_comparison):
        return ctx.self_reason
    after = light[end : end + 40]
    if ctx.trademark_after.match(after) or ctx.trademark_registered.match(after):
        return ctx.trademark_reason
    span = light[start:end]
    if span in ctx.enum_terms and any(f in light[end : end + ctx.enum_window] for f in ctx.enum_followers):
        return "列举要点的序数（第一……第二……），不是排名"
    return None


def _latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def breaks_token(ctx: Context, original: str, light: str, start: int, end: int) -> bool:
    """The match runs across clause punctuation, or cuts a latin word (usb ⊃ sb)."""
    if any(c in ctx.clause_marks for c in original[start:end]):
        return True
    if _latin(light[start]) and start > 0 and _latin(light[start - 1]):
        return True
    return _latin(light[end - 1]) and end < len(light) and _latin(light[end])


def ranking_qualified(ctx: Context, light: str, exact_text: str, start: int, end: int) -> bool:
    """A ranking claim stated with a period and a metric/scope (执法指南 3(f))."""
    if not any(t in exact_text for t in ctx.ranking_terms):
        return False
    s0, s1 = sentence(light, start, end)
    sent = light[s0:s1]
    if not ctx.ranking_time.search(sent):
        return False
    scoped = bool(ctx.ranking_metric.search(sent)) or bool(ctx.ranking_source.search(sent))
    return scoped and bool(ctx.ranking_region.search(sent) or ctx.ranking_source.search(sent))

