"""The moderation queue: comments, moderator actions (append-only audit trail), alerts.

SQLite by default, PostgreSQL (or any SQLAlchemy URL) through ``SCREENING_DB_URL``
(see screening/db.py).  Guarantees:

* ingest is idempotent: one row per comment id (``INSERT .. ON CONFLICT DO NOTHING``);
  a batch is one transaction, committed before the caller is told it was accepted, so
  nothing acknowledged is lost when the process is killed (SQLite runs WAL with
  ``synchronous=FULL``);
* ``triage_actions`` is append-only: database triggers refuse UPDATE and DELETE, so who
  did what, and when, cannot be rewritten through the service.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Iterable, Sequence

from sqlalchemy import (DDL, Boolean, Float, ForeignKey, Index, Integer, String, Text, event, func, insert, select,
                        update)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from screening.db import Base
from screening.triage.labels import COMPLAINT_INTENTS

MODERATOR_ACTIONS = ("reply_sent", "routed", "hidden", "resolved")
STATUS_AFTER = {"reply_sent": "replied", "routed": "routed", "hidden": "hidden", "resolved": "resolved"}
STATUSES = ("open", "replied", "routed", "hidden", "resolved")


class CommentRow(Base):
    __tablename__ = "triage_comments"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(String(128), unique=True, nullable=False)
    stream_id: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    text: Mapped[str] = mapped_column(Text, nullable=False)
    product: Mapped[str | None] = mapped_column(String(200))
    author: Mapped[str | None] = mapped_column(String(200))
    ts: Mapped[float] = mapped_column(Float, nullable=False)  # comment time, epoch seconds (UTC)
    ingested_at: Mapped[float] = mapped_column(Float, nullable=False)
    intent: Mapped[str] = mapped_column(String(32), nullable=False)
    negative: Mapped[float] = mapped_column(Float, nullable=False)
    toxic: Mapped[bool] = mapped_column(Boolean, nullable=False)
    hideable: Mapped[bool] = mapped_column(Boolean, nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    reply: Mapped[str | None] = mapped_column(Text)
    findings: Mapped[str] = mapped_column(Text, nullable=False, default="[]")  # JSON
    details: Mapped[str] = mapped_column(Text, nullable=False, default="{}")  # JSON: scores, reasons, model
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="open")
    updated_at: Mapped[float] = mapped_column(Float, nullable=False)

    __table_args__ = (
        Index("ix_triage_comments_status_intent", "status", "intent"),
        Index("ix_triage_comments_ts", "ts"),
    )


class ActionRow(Base):
    __tablename__ = "triage_actions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    comment_id: Mapped[str] = mapped_column(String(128), ForeignKey("triage_comments.comment_id"), nullable=False,
                                            index=True)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    principal: Mapped[str | None] = mapped_column(String(200))  # the API key that made the request
    note: Mapped[str | None] = mapped_column(Text)
    reply: Mapped[str | None] = mapped_column(Text)
    at: Mapped[float] = mapped_column(Float, nullable=False)


class AlertRow(Base):
    __tablename__ = "triage_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stream_id: Mapped[str] = mapped_column(String(128), nullable=False, default="")
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    at: Mapped[float] = mapped_column(Float, nullable=False)


# ----- append-only audit trail, enforced by the database itself
for _op in ("UPDATE", "DELETE"):
    event.listen(ActionRow.__table__, "after_create", DDL(
        f"CREATE TRIGGER IF NOT EXISTS triage_actions_no_{_op.lower()} BEFORE {_op} ON triage_actions "
        "BEGIN SELECT RAISE(ABORT, 'triage_actions is append-only'); END").execute_if(dialect="sqlite"))
event.listen(ActionRow.__table__, "after_create", DDL(
    "CREATE OR REPLACE FUNCTION triage_actions_append_only() RETURNS trigger AS $body$ "
    "BEGIN RAISE EXCEPTION 'triage_actions is append-only'; END; $body$ LANGUAGE plpgsql").execute_if(
    dialect="postgresql"))
event.listen(ActionRow.__table__, "after_create", DDL(
    "CREATE TRIGGER triage_actions_no_change BEFORE UPDATE OR DELETE ON triage_actions "
    "FOR EACH ROW EXECUTE FUNCTION triage_actions_append_only()").execute_if(dialect="postgresql"))


class NotFound(LookupError):
    pass


class NotAllowed(ValueError):
    """The action is refused by policy (message in Chinese)."""


@dataclass
class Ingested:
    comment_id: str
    created: bool  # False: the id was already in the queue (idempotent re-delivery)
    row: dict


def _insert_ignore(session: Session):
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as ins
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as ins
    else:  # pragma: no cover - other databases: plain insert, duplicates caught row by row
        return None
    return ins(CommentRow).on_conflict_do_nothing(index_elements=["comment_id"]).returning(CommentRow.comment_id)


def comment_dict(r: CommentRow) -> dict:
    details = json.loads(r.details or "{}")
    return {
        "id": r.comment_id, "seq": r.seq, "stream_id": r.stream_id, "text": r.text, "product": r.product,
        "author": r.author, "ts": r.ts, "ingested_at": r.ingested_at, "intent": r.intent, "negative": r.negative,
        "toxic": r.toxic, "hideable": r.hideable, "action": r.action, "reply": r.reply,
        "findings": json.loads(r.findings or "[]"), "status": r.status, "updated_at": r.updated_at,
        "reasons": details.get("reasons", []), "scores": details.get("scores", {}), "model": details.get("model"),
    }


def action_dict(a: ActionRow) -> dict:
    return {"id": a.id, "comment_id": a.comment_id, "action": a.action, "actor": a.actor,
            "principal": a.principal, "note": a.note,
            "reply": a.reply, "at": a.at}


class QueueStore:
    def __init__(self, factory: sessionmaker[Session]):
        self.factory = factory

    # ------------------------------------------------------------------ ingest
    def ingest(self, items: Sequence[dict]) -> list[Ingested]:
        """Store triaged comments (dicts from ``TriageResult.to_full_dict`` plus stream_id/ts/author).

        One transaction; returns after COMMIT.  Re-sent ids are reported ``created=False``
        and left untouched.
        """
        now = time.time()
        rows = []
        seen = set()
        for it in items:
            cid = str(it["id"])
            if cid in seen:
                continue
            seen.add(cid)
            rows.append({
                "comment_id": cid, "stream_id": str(it.get("stream_id") or ""), "text": it["text"],
                "product": it.get("product"), "author": it.get("author"), "ts": float(it.get("ts") or now),
                "ingested_at": now, "intent": it["intent"], "negative": float(it["negative"]),
                "toxic": bool(it["toxic"]), "hideable": bool(it.get("hideable")), "action": it["action"],
                "reply": it.get("reply"), "findings": json.dumps(it.get("findings") or [], ensure_ascii=False),
                "details": json.dumps({"reasons": it.get("reasons") or [], "scores": it.get("scores") or {},
                                       "model": it.get("model")}, ensure_ascii=False),
                "status": "open", "updated_at": now,
            })
        if not rows:
            return []
        with self.factory() as s:
            stmt = _insert_ignore(s)
            if stmt is not None:
                created = set(s.scalars(stmt, rows).all()) if len(rows) > 1 else set(s.scalars(stmt.values(rows[0])).all())
            else:  # pragma: no cover
                created = set()
                for r in rows:
                    try:
                        with s.begin_nested():
                            s.execute(insert(CommentRow).values(**r))
                        created.add(r["comment_id"])
                    except IntegrityError:
                        pass
            s.commit()
            ids = [r["comment_id"] for r in rows]
            stored = {r.comment_id: r for r in s.scalars(select(CommentRow).where(CommentRow.comment_id.in_(ids)))}
        return [Ingested(cid, cid in created, comment_dict(stored[cid])) for cid in ids if cid in stored]

    # ------------------------------------------------------------------ queue
    def list(self, *, status: str | None = None, intent: str | None = None, stream_id: str | None = None,
             limit: int = 100, offset: int = 0) -> tuple[int, list[dict]]:
        q = select(CommentRow)
        c = select(func.count()).select_from(CommentRow)
        for col, val in ((CommentRow.status, status), (CommentRow.intent, intent), (CommentRow.stream_id, stream_id)):
            if val is not None:
                q = q.where(col == val)
                c = c.where(col == val)
        with self.factory() as s:
            total = s.scalar(c) or 0
            rows = s.scalars(q.order_by(CommentRow.seq).limit(limit).offset(offset)).all()
            return total, [comment_dict(r) for r in rows]

    def get(self, comment_id: str) -> dict:
        with self.factory() as s:
            r = s.scalar(select(CommentRow).where(CommentRow.comment_id == comment_id))
            if r is None:
                raise NotFound(comment_id)
            d = comment_dict(r)
            d["actions"] = [action_dict(a) for a in s.scalars(
                select(ActionRow).where(ActionRow.comment_id == comment_id).order_by(ActionRow.id))]
            return d

    def count(self) -> int:
        with self.factory() as s:
            return s.scalar(select(func.count()).select_from(CommentRow)) or 0

    def ids(self) -> set[str]:
        with self.factory() as s:
            return set(s.scalars(select(CommentRow.comment_id)).all())

    # ------------------------------------------------------------------ moderator actions
    def act(self, comment_id: str, action: str, actor: str, *, note: str | None = None,
            reply: str | None = None, principal: str | None = None) -> dict:
        if action not in MODERATOR_ACTIONS:
            raise NotAllowed(f"未知操作 {action!r}，可选: {', '.join(MODERATOR_ACTIONS)}")
        if not actor or not actor.strip():
            raise NotAllowed("必须注明操作人（actor）")
        now = time.time()
        with self.factory() as s:
            r = s.scalar(select(CommentRow).where(CommentRow.comment_id == comment_id).with_for_update())
            if r is None:
                raise NotFound(comment_id)
            if action == "hidden" and not r.hideable:
                why = "投诉/差评" if r.intent in COMPLAINT_INTENTS else f"意图为「{r.intent}」"
                raise NotAllowed(f"该评论（{why}）不可隐藏：只有辱骂、广告引流、违法违规内容可以隐藏，"
                                 "负面评论必须回复并转交处理（电子商务法第39条）")
            a = ActionRow(comment_id=comment_id, action=action, actor=actor.strip(), principal=principal, note=note,
                          reply=reply, at=now)
            s.add(a)
            s.execute(update(CommentRow).where(CommentRow.comment_id == comment_id)
                      .values(status=STATUS_AFTER[action], updated_at=now))
            s.commit()
            return {"action": action_dict(a), "status": STATUS_AFTER[action]}

    def actions(self, comment_id: str | None = None) -> list[dict]:
        q = select(ActionRow).order_by(ActionRow.id)
        if comment_id is not None:
            q = q.where(ActionRow.comment_id == comment_id)
        with self.factory() as s:
            return [action_dict(a) for a in s.scalars(q)]

    # ------------------------------------------------------------------ alerts and reports
    def add_alert(self, stream_id: str, kind: str, payload: dict) -> int:
        with self.factory() as s:
            a = AlertRow(stream_id=stream_id, kind=kind, payload=json.dumps(payload, ensure_ascii=False), at=time.time())
            s.add(a)
            s.commit()
            return a.id

    def alerts(self, stream_id: str | None = None) -> list[dict]:
        q = select(AlertRow).order_by(AlertRow.id)
        if stream_id is not None:
            q = q.where(AlertRow.stream_id == stream_id)
        with self.factory() as s:
            return [{"id": a.id, "stream_id": a.stream_id, "kind": a.kind, "at": a.at, **json.loads(a.payload)}
                    for a in s.scalars(q)]

    def window(self, start: float | None, end: float | None, stream_id: str | None = None) -> Iterable[dict]:
        q = select(CommentRow.comment_id, CommentRow.text, CommentRow.intent, CommentRow.negative, CommentRow.ts,
                   CommentRow.toxic)
        if start is not None:
            q = q.where(CommentRow.ts >= start)
        if end is not None:
            q = q.where(CommentRow.ts < end)
        if stream_id is not None:
            q = q.where(CommentRow.stream_id == stream_id)
        with self.factory() as s:
            return [{"id": r[0], "text": r[1], "intent": r[2], "negative": r[3], "ts": r[4], "toxic": r[5]}
                    for r in s.execute(q.order_by(CommentRow.ts))]
