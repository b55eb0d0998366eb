"""Script pre-review: ``POST /v1/scripts/review`` (JSON or file upload), ``GET /v1/lexicons``."""

from __future__ import annotations

import json

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from api.errors import api_error
from api.schemas import LexiconsOut, ReviewIn, ReviewOut
from screening.documents import DocumentError, read_bytes
from screening.lexicon import CATEGORIES
from screening.report import to_html

router = APIRouter(tags=["scripts"])


async def _input(request: Request) -> tuple[str, str, str]:
    """(text, category, name) from a JSON body or a multipart upload."""
    ctype = request.headers.get("content-type", "")
    settings = request.app.state.settings
    if ctype.startswith("multipart/form-data"):
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise api_error(422, "请上传名为 file 的脚本文件", "multipart body needs a 'file' part", "missing_file")
        data = await upload.read()
        category = str(form.get("category") or "general")
        try:
            text = read_bytes(data, upload.filename or "upload.txt", settings.max_request_bytes)
        except DocumentError as exc:
            raise api_error(422, str(exc), "the uploaded file cannot be reviewed", "bad_document") from exc
        name = upload.filename or ""
    elif ctype.startswith("application/json") or not ctype:
        raw = await request.body()
        try:
            body = ReviewIn.model_validate(json.loads(raw or b"null"))
        except (ValueError, TypeError) as exc:
            raise api_error(422, "请求体应为 JSON：{\"text\": \"脚本全文\", \"category\": \"general\"}",
                            f"body must be JSON {{text, category}}: {str(exc)[:200]}", "bad_json") from exc
        text, category, name = body.text, body.category, ""
    else:
        raise api_error(415, "只支持 JSON 或 multipart 文件上传", "use application/json or multipart/form-data",
                        "unsupported_media_type")
    if category not in CATEGORIES:
        raise api_error(422, f"未知品类 {category}，可选：{'、'.join(CATEGORIES)}", "unknown category", "bad_category")
    if len(text) > settings.max_text_chars:
        raise api_error(413, f"脚本过长（{len(text)} 字），上限 {settings.max_text_chars} 字",
                        "text too long", "text_too_long")
    if not text.strip():
        raise api_error(422, "脚本内容为空", "text is empty", "empty_text")
    return text, category, name


@router.post(
    "/v1/scripts/review",
    response_model=ReviewOut,
    response_model_exclude_none=True,
    openapi_extra={"requestBody": {"content": {
        "application/json": {"schema": ReviewIn.model_json_schema()},
        "multipart/form-data": {"schema": {"type": "object", "required": ["file"], "properties": {
            "file": {"type": "string", "format": "binary"},
            "category": {"type": "string", "enum": list(CATEGORIES)}}}},
    }, "required": True}},
    responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                     "description": "the review (JSON), or the highlighted report with ?format=html"}},
)
async def review_script(request: Request, format: str = Query("json", pattern="^(json|html)$")):
    """Review a host script; the JSON is exactly what ``screening review --format json`` prints."""
    text, category, name = await _input(request)
    screener = request.app.state.screener
    review = await run_in_threadpool(screener.review, text, category)
    if format == "html":
        return HTMLResponse(to_html(text, review, name))
    return review.to_dict()


@router.get("/v1/lexicons", response_model=LexiconsOut)
def lexicons(request: Request) -> dict:
    lex = request.app.state.screener.lexicon
    areas = lex.describe()
    return {"version": lex.digest, "categories": list(CATEGORIES), "areas": areas,
            "total_entries": sum(a["entries"] for a in areas)}
