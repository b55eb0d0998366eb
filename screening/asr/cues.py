"""The short line the 场控 passes to the host's earpiece for an alert."""

from __future__ import annotations

import re

from screening.findings import Finding, Severity

_CANON = re.compile(r"^(?:疑似「(?P<a>[^」]+)」的谐音写法|拼音写法，即「(?P<b>[^」]+)」)")


def spoken_term(f: Finding) -> str:
    """The lexicon term behind a finding (a homophone hit names the real term in its message)."""
    m = _CANON.match(f.message or "")
    if m:
        return m.group("a") or m.group("b")
    return f.text


def make_cue(f: Finding, area_title: str | None = None) -> str:
    """E.g. 提醒主播：「最有效」属绝对化用语，改说「很多用户反馈效果不错」"""
    term = spoken_term(f)
    kind = area_title or "违规用语"
    sev = f.severity if isinstance(f.severity, Severity) else Severity(f.severity)
    if sev is Severity.VIOLATION:
        why = f"属{kind}"
    elif sev is Severity.NEEDS_EVIDENCE:
        why = "须有证明材料"
    elif sev is Severity.NEEDS_QUALIFICATION:
        why = "须有资质批文"
    else:
        why = "有风险，须属实"
    if f.suggestions:
        return f"提醒主播：「{term}」{why}，改说「{f.suggestions[0]}」"
    return f"提醒主播：「{term}」{why}，请换个说法"
