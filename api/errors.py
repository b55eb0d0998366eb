"""One error shape for every refusal: ``{"detail": {"code", "message" (中文), "message_en"}}``."""

from __future__ import annotations

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel


class ErrorDetail(BaseModel):
    code: str
    message: str
    message_en: str
    errors: list[dict] | None = None


class ErrorOut(BaseModel):
    detail: ErrorDetail


ERROR_RESPONSES = {status: {"model": ErrorOut, "description": desc} for status, desc in [
    (400, "bad request"), (401, "API key required or invalid"), (403, "role not allowed"), (404, "not found"),
    (409, "conflict"), (413, "too large"), (415, "unsupported media type"), (422, "invalid input"),
    (429, "rate limited"), (503, "unavailable"),
]}


def api_error(status: int, zh: str, en: str, code: str | None = None) -> HTTPException:
    return HTTPException(status_code=status, detail={"code": code or str(status), "message": zh, "message_en": en})


def install(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        errs = [{"loc": [str(x) for x in e.get("loc", ())], "msg": str(e.get("msg", ""))} for e in exc.errors()[:20]]
        where = "；".join(".".join(e["loc"]) for e in errs[:3])
        return JSONResponse(status_code=422, content={"detail": {
            "code": "validation_error", "message": f"请求参数无效：{where}",
            "message_en": "request validation failed", "errors": errs}})

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException):
        d = exc.detail
        if not isinstance(d, dict) or "message" not in d:
            d = {"code": str(exc.status_code), "message": _ZH.get(exc.status_code, "请求无法处理"),
                 "message_en": str(d)}
        return JSONResponse(status_code=exc.status_code, content={"detail": d}, headers=exc.headers)

    original = app.openapi

    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        schema = original()
        comps = schema.get("components", {}).get("schemas", {})
        if "HTTPValidationError" in comps:  # FastAPI's default 422 body is replaced by ours
            comps["HTTPValidationError"] = {"$ref": "#/components/schemas/ErrorOut"}
        return schema

    app.openapi = openapi


_ZH = {404: "资源不存在", 405: "不支持该请求方法", 400: "请求无效", 409: "状态冲突"}
