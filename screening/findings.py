"""The one result type that flows through every detector, sink and shell."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from enum import Enum


class Severity(str, Enum):
    """Outcome of a rule, ordered from most to least serious (see regulations.md §0)."""

    VIOLATION = "violation"  # prohibited whatever the evidence
    NEEDS_QUALIFICATION = "needs_qualification"  # lawful only with a registration (特证, 蓝帽子...)
    NEEDS_EVIDENCE = "needs_evidence"  # lawful only with a dated, sourced fact on file
    WARNING = "warning"  # risky wording that must be true

    @property
    def rank(self) -> int:
        return _RANK[self]


_RANK = {
    Severity.VIOLATION: 3,
    Severity.NEEDS_QUALIFICATION: 2,
    Severity.NEEDS_EVIDENCE: 1,
    Severity.WARNING: 0,
}

SEVERITY_LABELS_ZH = {
    Severity.VIOLATION: "违规",
    Severity.NEEDS_QUALIFICATION: "需资质",
    Severity.NEEDS_EVIDENCE: "需证据",
    Severity.WARNING: "提示",
}


@dataclass(frozen=True, slots=True)
class Finding:
    """One risky span.

    ``start``/``end`` are code-point offsets into the ORIGINAL text, ``text`` is
    ``original[start:end]``.  ``audio_start``/``audio_end`` (seconds) are only set
    for findings made on a live transcript.
    """

    rule_id: str
    category: str
    severity: Severity
    start: int
    end: int
    text: str
    law: str
    message: str
    suggestions: tuple[str, ...] = field(default_factory=tuple)
    audio_start: float | None = None
    audio_end: float | None = None

    def to_dict(self) -> dict:
        d = asdict(self)
        d["severity"] = self.severity.value
        d["suggestions"] = list(self.suggestions)
        if self.audio_start is None:
            d.pop("audio_start")
            d.pop("audio_end")
        return d

    def shifted(self, offset: int, *, text: str | None = None) -> "Finding":
        """The same finding with offsets moved by ``offset`` (for windows and chunks)."""
        return replace(self, start=self.start + offset, end=self.end + offset,
                       text=self.text if text is None else text)

    def with_audio(self, audio_start: float, audio_end: float) -> "Finding":
        return replace(self, audio_start=round(audio_start, 3), audio_end=round(audio_end, 3))
