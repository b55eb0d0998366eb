"""The web console: one page at ``/`` (and ``/console``), assets under ``/static``.

Access: the access middleware (api/security.py) answers ``/`` and ``/console``
without a valid key with ``static/login.html`` (self-contained: it cannot load
``/static`` assets yet); that page posts the key to ``/v1/session``, which sets
the console cookie, and keeps the key in sessionStorage.  The console then sends
the key with every call (``X-API-Key``; ``?key=`` for EventSource/WebSocket).

``POST /v1/scripts/extract`` (under the reviewer policy of ``/v1/scripts/``) turns an uploaded script (txt/md/srt/docx, any
supported encoding) into its text, so the console can show the text with the
findings' offsets; it is the same decoding ``/v1/scripts/review`` applies.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from api.errors import api_error
from screening.documents import DocumentError, read_bytes
from screening.findings import SEVERITY_LABELS_ZH
from screening.lexicon import CATEGORIES, CATEGORY_LABELS_ZH

STATIC_DIR = Path(__file__).resolve().parent.parent / "static"

router = APIRouter(tags=["console"])

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".json": "application/json",
}


def _page() -> FileResponse:
    return FileResponse(STATIC_DIR / "index.html", media_type=_TYPES[".html"], headers={"Cache-Control": "no-cache"})


@router.get("/", include_in_schema=False)
def console_root() -> FileResponse:
    return _page()


@router.get("/console", include_in_schema=False)
def console_page() -> FileResponse:
    return _page()


@router.get("/static/{path:path}", include_in_schema=False)
def static_asset(path: str) -> Response:
    root = STATIC_DIR.resolve()
    target = (root / path).resolve()
    if not target.is_relative_to(root) or not target.is_file() or target.suffix not in _TYPES:
        raise HTTPException(status_code=404, detail={"code": "not_found", "message": "文件不存在",
                                                     "message_en": "no such static file"})
    return FileResponse(target, media_type=_TYPES[target.suffix], headers={"Cache-Control": "no-cache"})


@router.get("/favicon.ico", include_in_schema=False)
def favicon() -> Response:
    return static_asset("favicon.svg")


class Label(BaseModel):
    value: str
    label: str


class ConsoleConfig(BaseModel):
    categories: list[Label]
    severities: list[Label]


class ExtractOut(BaseModel):
    name: str
    text: str


@router.get("/v1/console/config", tags=["console"], response_model=ConsoleConfig)
def console_config() -> dict:
    """Labels the console shows: product categories and severities, in Chinese."""
    return {
        "categories": [{"value": c, "label": CATEGORY_LABELS_ZH[c]} for c in CATEGORIES],
        "severities": [{"value": s.value, "label": label} for s, label in SEVERITY_LABELS_ZH.items()],
    }


@router.post(
    "/v1/scripts/extract",
    tags=["scripts"],
    response_model=ExtractOut,
    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"], "properties": {"file": {"type": "string", "format": "binary"}}}}}}},
)
async def extract_text(request: Request) -> dict:
    """Multipart ``file`` → ``{"name", "text"}``: the text ``/v1/scripts/review`` would review."""
    settings = request.app.state.settings
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise api_error(415, "请以文件上传（multipart）方式提交", "use multipart/form-data", "unsupported_media_type")
    form = await request.form()
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise api_error(422, "请上传名为 file 的脚本文件", "multipart body needs a 'file' part", "missing_file")
    data = await upload.read()
    name = upload.filename or "upload.txt"
    try:
        text = await run_in_threadpool(read_bytes, data, name, settings.max_request_bytes)
    except DocumentError as exc:
        raise api_error(422, str(exc), "the uploaded file cannot be read", "bad_document") from exc
    if len(text) > settings.max_text_chars:
        raise api_error(413, f"脚本过长（{len(text)} 字），上限 {settings.max_text_chars} 字", "text too long",
                        "text_too_long")
    return {"name": name, "text": text}
