"""Comment triage queue.

- ``POST /v1/comments``                 batch ingest (JSON, or a CSV/JSONL body/upload); idempotent by id
- ``GET  /v1/comments?status=&intent=`` the queue
- ``GET  /v1/comments/events``          Server-Sent Events: ``comment`` (new items) and ``alert`` (spikes)
- ``GET  /v1/comments/alerts``          spike alerts so far (persisted)
- ``GET  /v1/comments/{id}``            one comment with its action history
- ``POST /v1/comments/{id}/actions``    reply_sent | routed | hidden | resolved, with the actor
- ``GET  /v1/reports/hotspots``         咨询热点报告, JSON or self-contained HTML
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import time
from datetime import datetime, timedelta, timezone
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from api.errors import api_error
from screening.lexicon import CATEGORIES
from screening.triage.events import Broadcaster
from screening.triage.hotspots import build_report, render_html
from screening.triage.inputs import MAX_TEXT_CHARS, InputError, read_comments
from screening.triage.labels import INTENTS
from screening.triage.spike import SpikeDetector
from screening.triage.store import MODERATOR_ACTIONS, STATUSES, NotAllowed, NotFound, QueueStore

router = APIRouter(tags=["comments"])
log = logging.getLogger("screening.triage")


def _no_nul(v):
    return v.replace("\x00", "") if isinstance(v, str) else v


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="ignore")

    @field_validator("id", "text", "product", "stream_id", "author", mode="before")
    @classmethod
    def _strip_nul(cls, v):
        return _no_nul(v)

    id: str = Field(min_length=1, max_length=128, description="评论 id（幂等键）")
    text: str = Field(min_length=1, max_length=MAX_TEXT_CHARS)
    product: str | None = Field(default=None, max_length=200)
    stream_id: str | None = Field(default=None, max_length=128)
    author: str | None = Field(default=None, max_length=200)
    ts: float | None = Field(default=None, ge=0, lt=4e9, description="评论时间（Unix 秒）；缺省为接收时间")


class IngestIn(BaseModel):
    @field_validator("stream_id", "product", "category", mode="before")
    @classmethod
    def _strip_nul(cls, v):
        return _no_nul(v)

    comments: list[CommentIn]
    category: str = "general"
    stream_id: str | None = Field(default=None, max_length=128)
    product: str | None = Field(default=None, max_length=200)


class ActionIn(BaseModel):
    @field_validator("actor", "note", "reply", mode="before")
    @classmethod
    def _strip_nul(cls, v):
        return _no_nul(v)

    action: Literal["reply_sent", "routed", "hidden", "resolved"]
    actor: str = Field(min_length=1, max_length=200, description="操作人")
    note: str | None = Field(default=None, max_length=2000)
    reply: str | None = Field(default=None, max_length=2000)


# ---------------------------------------------------------------------- lifecycle
async def startup(app) -> None:
    import threading

    app.state.comment_queue = QueueStore(app.state.db)
    app.state.comment_events = Broadcaster()
    app.state.comment_spikes = {}
    app.state.triage = None
    app.state.triage_error = None
    app.state.triage_lock = threading.Lock()


def _load_triage(app):
    """The model is loaded on first use (once), so routes that do not need it start fast."""
    with app.state.triage_lock:
        if app.state.triage is None:
            from screening.triage.model import load_model
            from screening.triage.pipeline import Templates, Triage

            try:
                templates = Templates.load(app.state.settings.lexicon_dir / "templates.yaml")
                app.state.triage = Triage(load_model(), app.state.screener, templates)
                app.state.triage_error = None
            except Exception as exc:  # reported as 503; the rest of the service keeps working
                app.state.triage_error = str(exc)
                log.error("comment triage unavailable: %s", exc)
        return app.state.triage


async def _triage(request: Request):
    tri = request.app.state.triage or await run_in_threadpool(_load_triage, request.app)
    if tri is None:
        err = request.app.state.triage_error or "模型未加载"
        raise api_error(503, f"评论分诊模型不可用：{err}", "comment triage model unavailable", "triage_unavailable")
    return tri


def _queue(request: Request) -> QueueStore:
    return request.app.state.comment_queue


def _principal(request: Request) -> str | None:
    p = request.scope.get("state", {}).get("principal")
    return getattr(p, "actor", None)


# ---------------------------------------------------------------------- ingest
async def _parse_ingest(request: Request) -> IngestIn:
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    settings = request.app.state.settings
    if ctype == "multipart/form-data":
        form = await request.form()
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise api_error(422, "请上传名为 file 的 CSV/JSONL 文件", "multipart body needs a 'file' part", "missing_file")
        data, name = await upload.read(), upload.filename or "upload.csv"
        extra = {k: str(form.get(k)) for k in ("category", "stream_id", "product") if form.get(k)}
        return _from_file(data, name, extra)
    raw = await request.body()
    if ctype in ("text/csv", "application/x-ndjson", "application/jsonl", "text/plain"):
        name = "upload.csv" if ctype == "text/csv" else "upload.jsonl"
        extra = {k: v for k, v in request.query_params.items() if k in ("category", "stream_id", "product")}
        return _from_file(raw, name, extra)
    if ctype not in ("application/json", ""):
        raise api_error(415, "只支持 JSON、CSV（text/csv）、JSONL（application/x-ndjson）或文件上传",
                        "use application/json, text/csv, application/x-ndjson or multipart/form-data",
                        "unsupported_media_type")
    if not raw.strip():
        raise api_error(422, "请求体为空：需要 {\"comments\": [{\"id\": ..., \"text\": ...}]}", "empty body", "empty")
    try:
        payload = json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise api_error(400, "请求体不是 UTF-8 编码", "body is not UTF-8", "bad_encoding") from None
    except json.JSONDecodeError as exc:
        raise api_error(400, f"请求体不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列）", "malformed JSON",
                        "bad_json") from None
    if isinstance(payload, list):
        payload = {"comments": payload}
    if isinstance(payload, dict) and isinstance(payload.get("comments"), list):
        n = len(payload["comments"])
        if n > settings.max_comment_batch:
            raise api_error(413, f"单次最多提交 {settings.max_comment_batch} 条评论（收到 {n} 条），请分批提交",
                            f"batch too large ({n} > {settings.max_comment_batch})", "batch_too_large")
    try:
        return IngestIn.model_validate(payload)
    except ValidationError as exc:
        errs = exc.errors()
        where = "；".join(".".join(str(x) for x in e["loc"]) + f"（{_zh_msg(e)}）" for e in errs[:3])
        raise api_error(422, f"评论数据无效：{where}。格式为 {{\"comments\": [{{\"id\": \"c1\", \"text\": \"评论内容\"}}]}}",
                        f"invalid comments: {errs[0]['msg'] if errs else ''}", "invalid_comments") from None


def _zh_msg(e: dict) -> str:
    t = e.get("type", "")
    if t == "missing":
        return "缺少该字段"
    if t in ("string_too_short",):
        return "不能为空"
    if t in ("string_too_long",):
        return "过长"
    if t.endswith("_type") or t.endswith("_parsing"):
        return "类型不对"
    return e.get("msg", "无效")


def _from_file(data: bytes, name: str, extra: dict) -> IngestIn:
    try:
        rows, info = read_comments(name, data)
    except InputError as exc:
        status = 413 if exc.code == 3 else 422
        raise api_error(status, str(exc), "the uploaded comments cannot be read", "bad_file") from None
    if info["generated_ids"]:
        raise api_error(422, "上传的文件需要 id 列（每条评论的唯一 id，用于幂等去重）", "file needs an id column",
                        "missing_id")
    try:
        return IngestIn.model_validate({"comments": [{"id": r["id"], "text": r["text"], "product": r["product"]}
                                                     for r in rows], **extra})
    except ValidationError as exc:
        raise api_error(422, f"文件中的评论无效: {exc.errors()[0]['msg']}", "invalid comments in file",
                        "invalid_comments") from None


@router.post("/v1/comments", summary="批量接收评论（按 id 幂等）")
async def ingest(request: Request):
    body = await _parse_ingest(request)
    settings = request.app.state.settings
    if not body.comments:
        raise api_error(422, "comments 不能为空", "no comments", "empty")
    if len(body.comments) > settings.max_comment_batch:
        raise api_error(413, f"单次最多提交 {settings.max_comment_batch} 条评论，请分批提交", "batch too large",
                        "batch_too_large")
    if body.category not in CATEGORIES:
        raise api_error(422, f"未知品类 {body.category}，可选：{'、'.join(CATEGORIES)}", "unknown category",
                        "bad_category")
    tri = await _triage(request)
    now = time.time()
    comments = [c.model_dump() for c in body.comments]

    def work():
        results = tri.triage(comments, category=body.category, product=body.product)
        items = []
        for c, r in zip(comments, results):
            d = r.to_full_dict()
            d.update({"stream_id": c.get("stream_id") or body.stream_id or "", "author": c.get("author"),
                      "ts": c.get("ts") or now, "model": tri.model.name})
            items.append(d)
        return _queue(request).ingest(items)

    stored = await run_in_threadpool(work)  # committed: from here on, acknowledged
    out = []
    for ing in stored:
        row = ing.row
        out.append({"id": ing.comment_id, "created": ing.created, "intent": row["intent"], "negative": row["negative"],
                    "toxic": row["toxic"], "action": row["action"], "reply": row["reply"], "hideable": row["hideable"],
                    "status": row["status"], "findings": row["findings"]})
        if ing.created:
            _after_ingest(request.app, row)
    created = sum(1 for i in stored if i.created)
    return {"accepted": len(stored), "created": created, "duplicates": len(stored) - created, "items": out}


def _after_ingest(app, row: dict) -> None:
    events: Broadcaster = app.state.comment_events
    events.publish("comment", {k: row[k] for k in ("id", "stream_id", "text", "intent", "negative", "toxic",
                                                      "action", "reply", "status", "ts")})
    det = app.state.comment_spikes.get(row["stream_id"])
    if det is None:
        det = app.state.comment_spikes[row["stream_id"]] = SpikeDetector(row["stream_id"],
                                                                          templates=app.state.triage.templates)
    ev = det.observe(row["ts"], row["negative"], row["intent"])
    if ev is not None:
        payload = ev.to_dict()
        try:
            payload["alert_id"] = app.state.comment_queue.add_alert(ev.stream_id, ev.kind, payload)
        except Exception:  # pragma: no cover - the alert still goes out live
            log.exception("could not persist spike alert")
        events.publish("alert", payload)


# ---------------------------------------------------------------------- queue
@router.get("/v1/comments", summary="评论队列")
async def list_comments(request: Request, status: str | None = None, intent: str | None = None,
                        stream_id: str | None = None, limit: int = Query(100, ge=1, le=1000),
                        offset: int = Query(0, ge=0, le=100_000_000)):
    if status is not None and status not in STATUSES:
        raise api_error(422, f"未知状态 {status}，可选：{'、'.join(STATUSES)}", "unknown status", "bad_status")
    if intent is not None and intent not in INTENTS:
        raise api_error(422, f"未知意图 {intent}，可选：{'、'.join(INTENTS)}", "unknown intent", "bad_intent")
    stream_id = _no_nul(stream_id)
    total, items = await run_in_threadpool(_queue(request).list, status=status, intent=intent, stream_id=stream_id,
                                           limit=limit, offset=offset)
    return {"total": total, "limit": limit, "offset": offset, "items": items}


@router.get("/v1/comments/events", summary="事件流（SSE）：新评论与舆情告警",
            responses={200: {"description": "text/event-stream", "content": {"text/event-stream": {}}}})
async def events(request: Request, stream_id: str | None = None, max_events: int | None = Query(None, ge=1),
                 heartbeat: float = Query(15.0, ge=0.05, le=300)):
    bus: Broadcaster = request.app.state.comment_events
    q = bus.subscribe()

    async def gen():
        sent = 0
        try:
            yield ": connected\n\n"
            while max_events is None or sent < max_events:
                try:
                    event_id, kind, data = await asyncio.wait_for(q.get(), timeout=heartbeat)
                except asyncio.TimeoutError:
                    if await request.is_disconnected():
                        break
                    yield ": ping\n\n"
                    continue
                if stream_id is not None and data.get("stream_id") != stream_id:
                    continue
                sent += 1
                yield f"id: {event_id}\nevent: {kind}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"
        finally:
            bus.unsubscribe(q)

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/v1/comments/alerts", summary="舆情告警记录")
async def alerts(request: Request, stream_id: str | None = None):
    return {"items": await run_in_threadpool(_queue(request).alerts, _no_nul(stream_id))}


@router.get("/v1/comments/{comment_id}", summary="单条评论及其处理记录")
async def get_comment(request: Request, comment_id: str):
    comment_id = _no_nul(comment_id)
    try:
        return await run_in_threadpool(_queue(request).get, comment_id)
    except NotFound:
        raise api_error(404, f"评论不存在: {comment_id}", "comment not found", "not_found") from None


@router.post("/v1/comments/{comment_id}/actions", summary="记录处理操作（回复/转交/隐藏/已解决）")
async def act(request: Request, comment_id: str):
    comment_id = _no_nul(comment_id)
    raw = await request.body()
    try:
        body = ActionIn.model_validate(json.loads(raw.decode("utf-8") or "null"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise api_error(400, "请求体应为 UTF-8 JSON：{\"action\": \"reply_sent\", \"actor\": \"客服小王\"}",
                        "body must be JSON", "bad_json") from None
    except ValidationError as exc:
        errs = exc.errors()
        if any(e["loc"] and e["loc"][0] == "action" for e in errs):
            raise api_error(422, f"action 必须是 {'、'.join(MODERATOR_ACTIONS)} 之一", "invalid action",
                            "bad_action") from None
        raise api_error(422, "必须注明操作人 actor（以及 action）", "actor is required", "invalid_action") from None
    try:
        res = await run_in_threadpool(_queue(request).act, comment_id, body.action, body.actor, note=body.note,
                                      reply=body.reply, principal=_principal(request))
    except NotFound:
        raise api_error(404, f"评论不存在: {comment_id}", "comment not found", "not_found") from None
    except NotAllowed as exc:
        raise api_error(409, str(exc), "this comment may not be hidden: negative reviews must stay visible",
                        "not_hideable") from None
    return res


# ---------------------------------------------------------------------- reports
def _parse_time(value: str | None, name: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        t = float(value)
    except ValueError:
        t = None
    if t is not None:
        if not math.isfinite(t) or not 0 <= t < 4e9:
            raise api_error(422, f"{name} 时间超出范围：{value}", f"{name} out of range", "bad_time")
        return t
    try:
        dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise api_error(422, f"{name} 时间格式无效：{value}（用 ISO 8601，如 2025-11-20 或 2025-11-20T08:00:00+08:00，"
                             "或 Unix 秒）", f"bad {name}", "bad_time") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    t = dt.timestamp()
    if not 0 <= t < 4e9:
        raise api_error(422, f"{name} 时间超出范围：{value}", f"{name} out of range", "bad_time")
    return t


@router.get("/v1/reports/hotspots", summary="咨询热点报告（JSON 或 HTML）",
            responses={200: {"description": "report", "content": {"application/json": {}, "text/html": {}}}})
async def hotspots(request: Request, start: str | None = None, end: str | None = None, stream_id: str | None = None,
                   format: Literal["json", "html"] = "json", top: int = Query(10, ge=1, le=50)):
    t_end = _parse_time(end, "end") or time.time()
    t_start = _parse_time(start, "start")
    if t_start is None:
        t_start = t_end - timedelta(days=7).total_seconds()
    if t_start >= t_end:
        raise api_error(422, "start 必须早于 end", "start must be before end", "bad_range")
    rows = await run_in_threadpool(_queue(request).window, t_start, t_end, _no_nul(stream_id))
    from screening.triage.pipeline import Templates

    tri = request.app.state.triage
    aliases = (tri.templates if tri is not None else Templates.load(
        request.app.state.settings.lexicon_dir / "templates.yaml")).topics
    report = await run_in_threadpool(lambda: build_report(list(rows), start=t_start, end=t_end, aliases=aliases, top=top))
    if format == "html":
        return HTMLResponse(render_html(report))
    return report
