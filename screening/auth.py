"""API keys (hashed at rest), roles and the append-only audit log."""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import DateTime, Integer, String, Text, event, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from screening.db import TABLE_MODULES, Base

ROLES = ("admin", "reviewer", "live", "moderator", "ingest")
ROLE_LABELS_ZH = {"admin": "管理员", "reviewer": "脚本审核", "live": "直播监控", "moderator": "评论处理", "ingest": "数据接入"}
KEY_PREFIX = "sk_"

if __name__ not in TABLE_MODULES:
    TABLE_MODULES.append(__name__)


def _now() -> datetime:
    return datetime.now(timezone.utc)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    prefix: Mapped[str] = mapped_column(String(16))  # shown in listings, not secret
    key_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


class AuditEntry(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=_now, index=True)
    actor: Mapped[str] = mapped_column(String(120), index=True)  # "key:<id>:<name>" or "cli"
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(60), index=True)
    target: Mapped[str] = mapped_column(String(300), default="")
    detail: Mapped[str] = mapped_column(Text, default="{}")


_APPEND_ONLY_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
    "CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log "
    "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END",
]
_APPEND_ONLY_PG = [
    "CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only'; END; $$ LANGUAGE plpgsql",
    "DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log",
    "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
    "FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()",
]


@event.listens_for(AuditEntry.__table__, "after_create")
def _append_only(target, connection, **kw):
    stmts = _APPEND_ONLY_PG if connection.dialect.name == "postgresql" else _APPEND_ONLY_SQLITE
    if connection.dialect.name in ("sqlite", "postgresql"):
        for s in stmts:
            connection.execute(text(s))


@dataclass(frozen=True)
class Principal:
    key_id: int
    name: str
    role: str

    @property
    def actor(self) -> str:
        return f"key:{self.key_id}:{self.name}"


def hash_key(key: str) -> str:
    # keys are 256-bit random tokens, so a plain SHA-256 is enough (no dictionary attack)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(db: sessionmaker[Session], role: str, name: str = "") -> tuple[ApiKey, str]:
    """Create a key; the plaintext is returned once and never stored."""
    if role not in ROLES:
        raise ValueError(f"未知角色 {role!r}，可选: {', '.join(ROLES)}")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    with db() as s, s.begin():
        row = ApiKey(name=name or role, role=role, prefix=key[:10], key_hash=hash_key(key))
        s.add(row)
        s.flush()
        s.add(AuditEntry(actor="cli", role="admin", action="key.create", target=f"key:{row.id}",
                         detail=json.dumps({"role": role, "name": row.name}, ensure_ascii=False)))
    return row, key


def list_keys(db: sessionmaker[Session]) -> list[ApiKey]:
    with db() as s:
        return list(s.scalars(select(ApiKey).order_by(ApiKey.id)))


def revoke_key(db: sessionmaker[Session], key_id: int) -> bool:
    with db() as s, s.begin():
        row = s.get(ApiKey, key_id)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = _now()
        s.add(AuditEntry(actor="cli", role="admin", action="key.revoke", target=f"key:{key_id}", detail="{}"))
    return True


def has_admin(db: sessionmaker[Session]) -> bool:
    with db() as s:
        return s.scalar(select(ApiKey.id).where(ApiKey.role == "admin", ApiKey.revoked_at.is_(None)).limit(1)) is not None


def authenticate(db: sessionmaker[Session], key: str) -> Principal | None:
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 200:
        return None
    with db() as s:
        row = s.scalar(select(ApiKey).where(ApiKey.key_hash == hash_key(key)))
        if row is None or row.revoked_at is not None:
            return None
        return Principal(row.id, row.name, row.role)


def audit(db: sessionmaker[Session], actor: str, role: str, action: str, target: str = "", **detail) -> None:
    with db() as s, s.begin():
        s.add(AuditEntry(actor=actor, role=role, action=action, target=target[:300],
                         detail=json.dumps(detail, ensure_ascii=False, default=str)))


def query_audit(db: sessionmaker[Session], *, actor: str | None = None, action: str | None = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = 200) -> list[dict]:
    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if actor:
        q = q.where(AuditEntry.actor == actor)
    if action:
        q = q.where(AuditEntry.action.startswith(action))
    if since:
        q = q.where(AuditEntry.at >= since)
    if until:
        q = q.where(AuditEntry.at < until)
    with db() as s:
        return [{"id": e.id, "at": e.at.isoformat() if e.at else None, "actor": e.actor, "role": e.role,
                 "action": e.action, "target": e.target, "detail": json.loads(e.detail or "{}")}
                for e in s.scalars(q)]
