"""Console login, identity, the audit log, API keys and lexicon reload (admin)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.errors import api_error
from screening import auth
from screening.lexicon import LexiconError

router = APIRouter(tags=["admin"])


class Identity(BaseModel):
    key_id: int
    name: str
    role: str
    role_label: str


class KeyIn(BaseModel):
    role: str
    name: str = ""


def _me(request: Request) -> Identity:
    p = request.scope["state"]["principal"]
    return Identity(key_id=p.key_id, name=p.name, role=p.role, role_label=auth.ROLE_LABELS_ZH[p.role])


@router.post("/v1/session", response_model=Identity)
def login(request: Request) -> Identity:
    """Check a key and set the console's HttpOnly cookie (done by the access middleware)."""
    return _me(request)


@router.delete("/v1/session", response_model=Identity)
def logout(request: Request) -> Identity:
    """Expire the console's cookie (done by the access middleware); the key itself stays valid."""
    return _me(request)


@router.get("/v1/whoami", response_model=Identity)
def whoami(request: Request) -> Identity:
    return _me(request)


@router.get("/v1/audit")
def audit_log(request: Request, actor: str | None = None, action: str | None = None,
              since: datetime | None = None, until: datetime | None = None,
              limit: int = Query(200, ge=1, le=5000)) -> list[dict]:
    """Append-only audit trail, newest first (admin only)."""
    return auth.query_audit(request.app.state.db, actor=actor, action=action, since=since, until=until, limit=limit)


@router.get("/v1/keys")
def keys(request: Request) -> list[dict]:
    return [{"id": k.id, "name": k.name, "role": k.role, "prefix": k.prefix, "created_at": k.created_at,
             "revoked_at": k.revoked_at} for k in auth.list_keys(request.app.state.db)]


@router.post("/v1/keys", status_code=201)
def create_key(request: Request, body: KeyIn) -> dict:
    if body.role not in auth.ROLES:
        raise api_error(422, f"未知角色 {body.role}，可选：{'、'.join(auth.ROLES)}", "unknown role", "bad_role")
    row, key = auth.create_key(request.app.state.db, body.role, body.name)
    return {"id": row.id, "role": row.role, "name": row.name, "key": key}


@router.delete("/v1/keys/{key_id}")
def revoke(request: Request, key_id: int) -> dict:
    if not auth.revoke_key(request.app.state.db, key_id):
        raise api_error(404, "密钥不存在或已吊销", "no such active key", "no_key")
    return {"revoked": key_id}


@router.post("/v1/lexicons/reload")
async def reload_lexicons(request: Request) -> dict:
    """Load the lexicon files again; a broken file leaves the running lexicon in place."""
    from screening.screener import Screener

    app = request.app
    try:
        new = await run_in_threadpool(Screener.load, app.state.settings.lexicon_dir)
        await run_in_threadpool(new.matcher_for, "comment")
    except LexiconError as exc:
        raise api_error(422, f"词库未更新（仍使用当前版本 {app.state.screener.lexicon.digest}）：{exc}",
                        "lexicon reload refused; the running lexicon is unchanged", "bad_lexicon") from exc
    old = app.state.screener.lexicon.digest
    app.state.screener = new
    return {"previous": old, "version": new.lexicon.digest, "entries": len(new.lexicon.rules)}
