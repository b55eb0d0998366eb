"""Pydantic models of the JSON the API speaks (they drive the OpenAPI schema)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from screening.lexicon import CATEGORIES

Category = Literal[CATEGORIES]  # type: ignore[valid-type]
SeverityName = Literal["violation", "needs_qualification", "needs_evidence", "warning"]


class FindingOut(BaseModel):
    rule_id: str
    category: str
    severity: SeverityName
    start: int
    end: int
    text: str
    law: str
    message: str
    suggestions: list[str]
    audio_start: float | None = None
    audio_end: float | None = None


class Summary(BaseModel):
    total: int
    by_severity: dict[str, int]
    by_area: dict[str, int]
    category: str
    chars: int
    lexicon_version: str


class ReviewOut(BaseModel):
    findings: list[FindingOut]
    rewritten: str
    summary: Summary


class ReviewIn(BaseModel):
    text: str = Field(min_length=1, description="脚本全文")
    category: Category = "general"


class AreaInfo(BaseModel):
    area: str
    title: str
    version: str
    law: str
    file: str
    applies_to: list[str]
    inputs: list[str]
    entries: int
    terms: int
    patterns: int


class LexiconsOut(BaseModel):
    version: str
    categories: list[str]
    areas: list[AreaInfo]
    total_entries: int
