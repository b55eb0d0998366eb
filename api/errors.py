"""Error bodies: every refusal carries a Chinese and an English message."""

from __future__ import annotations

from fastapi import HTTPException


def api_error(status: int, zh: str, en: str, code: str | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code or str(status), "message": zh, "message_en": en})
