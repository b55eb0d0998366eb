"""The compliance record of live sessions: session, final transcript, alerts.

Tables (created by ``screening.db.init_db``): ``live_sessions``,
``live_segments`` (one row per closed utterance), ``live_findings`` (one row per
alert, with the cue and when it was emitted).
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

from sqlalchemy import DateTime, Float, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, mapped_column, sessionmaker

from screening.db import Base, session_scope


def _now() -> datetime:
    return datetime.now(timezone.utc)


def new_session_id() -> str:
    return uuid.uuid4().hex


class LiveSessionRow(Base):
    __tablename__ = "live_sessions"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # url | push | file | stdin
    source: Mapped[str] = mapped_column(String(1000), default="")
    category: Mapped[str] = mapped_column(String(20), default="general")
    status: Mapped[str] = mapped_column(String(20), default="created", index=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    audio_seconds: Mapped[float] = mapped_column(Float, default=0.0)
    model: Mapped[str] = mapped_column(String(60), default="whisper-base")
    lexicon_version: Mapped[str] = mapped_column(String(40), default="")
    created_by: Mapped[str] = mapped_column(String(120), default="")


class LiveSegmentRow(Base):
    __tablename__ = "live_segments"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    idx: Mapped[int] = mapped_column(Integer)
    start: Mapped[float] = mapped_column(Float)
    end: Mapped[float] = mapped_column(Float)
    text: Mapped[str] = mapped_column(Text)


class LiveFindingRow(Base):
    __tablename__ = "live_findings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("live_sessions.id", ondelete="CASCADE"), index=True)
    rule_id: Mapped[str] = mapped_column(String(100))
    category: Mapped[str] = mapped_column(String(40))
    severity: Mapped[str] = mapped_column(String(30))
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    law: Mapped[str] = mapped_column(Text, default="")
    message: Mapped[str] = mapped_column(Text, default="")
    suggestions: Mapped[str] = mapped_column(Text, default="[]")
    audio_start: Mapped[float] = mapped_column(Float)
    audio_end: Mapped[float] = mapped_column(Float)
    emitted_at: Mapped[float] = mapped_column(Float)
    cue: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)


_FINDING_KEYS = ("rule_id", "category", "severity", "start", "end", "text", "law", "message",
                 "audio_start", "audio_end", "emitted_at", "cue")


class Recorder:
    """Writes one session's record; each call is its own short transaction."""

    def __init__(self, db: sessionmaker, session_id: str):
        self.db = db
        self.id = session_id
        self._idx = 0

    @classmethod
    def create(cls, db: sessionmaker, *, kind: str, source: str, category: str, lexicon_version: str = "",
               created_by: str = "", session_id: str | None = None) -> "Recorder":
        sid = session_id or new_session_id()
        with session_scope(db) as s:
            s.add(LiveSessionRow(id=sid, kind=kind, source=source[:1000], category=category,
                                 lexicon_version=lexicon_version, created_by=created_by))
        return cls(db, sid)

    def started(self) -> None:
        with session_scope(self.db) as s:
            row = s.get(LiveSessionRow, self.id)
            row.status, row.started_at = "running", _now()

    def add_segment(self, seg: dict) -> None:
        with session_scope(self.db) as s:
            s.add(LiveSegmentRow(session_id=self.id, idx=self._idx, start=seg["start"], end=seg["end"], text=seg["text"]))
        self._idx += 1

    def add_finding(self, ev: dict) -> None:
        with session_scope(self.db) as s:
            s.add(LiveFindingRow(session_id=self.id, suggestions=json.dumps(list(ev.get("suggestions", [])), ensure_ascii=False),
                                 **{k: ev.get(k) if ev.get(k) is not None else "" for k in _FINDING_KEYS}))

    def finish(self, status: str, *, audio_seconds: float, error: str | None = None) -> None:
        with session_scope(self.db) as s:
            row = s.get(LiveSessionRow, self.id)
            row.status, row.ended_at, row.audio_seconds = status, _now(), round(audio_seconds, 3)
            if error:
                row.error = error[:2000]


def _iso(d: datetime | None) -> str | None:
    if d is None:
        return None
    if d.tzinfo is None:
        d = d.replace(tzinfo=timezone.utc)
    return d.isoformat()


def load_record(db: sessionmaker, session_id: str) -> dict | None:
    """The whole record: session fields, full transcript, segments and findings."""
    with db() as s:
        row = s.get(LiveSessionRow, session_id)
        if row is None:
            return None
        segs = s.scalars(select(LiveSegmentRow).where(LiveSegmentRow.session_id == session_id)
                         .order_by(LiveSegmentRow.idx)).all()
        finds = s.scalars(select(LiveFindingRow).where(LiveFindingRow.session_id == session_id)
                          .order_by(LiveFindingRow.id)).all()
        return {
            "id": row.id, "kind": row.kind, "source": row.source, "category": row.category,
            "status": row.status, "error": row.error, "created_at": _iso(row.created_at),
            "started_at": _iso(row.started_at), "ended_at": _iso(row.ended_at),
            "audio_seconds": row.audio_seconds, "model": row.model, "lexicon_version": row.lexicon_version,
            "transcript": "".join(g.text for g in segs),
            "segments": [{"start": g.start, "end": g.end, "text": g.text} for g in segs],
            "findings": [{
                "rule_id": f.rule_id, "category": f.category, "severity": f.severity, "start": f.start,
                "end": f.end, "text": f.text, "law": f.law, "message": f.message,
                "suggestions": json.loads(f.suggestions or "[]"), "audio_start": f.audio_start,
                "audio_end": f.audio_end, "emitted_at": f.emitted_at, "cue": f.cue,
            } for f in finds],
        }


def mark_interrupted(db: sessionmaker) -> int:
    """Sessions left running by a previous process are closed as ``interrupted``."""
    n = 0
    with session_scope(db) as s:
        for row in s.scalars(select(LiveSessionRow).where(LiveSessionRow.status.in_(("created", "running")))):
            row.status, row.ended_at = "interrupted", row.ended_at or _now()
            n += 1
    return n
