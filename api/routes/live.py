"""Live audio tap: sessions fed from a stream URL or by WebSocket PCM push; alerts out.

- ``POST /v1/live/sessions`` ``{"url"?, "category"?, "hotwords"?}`` — with ``url`` the server
  reads the stream (rtmp/rtsp/srt/http(s)/HLS via PyAV); without, it waits for audio pushed to
- ``WS /v1/live/sessions/{id}/audio`` — binary frames of 16 kHz mono s16le PCM; a text
  frame ``end`` (or closing the socket) ends the audio;
- ``WS /v1/live/sessions/{id}/events`` and ``GET /v1/live/sessions/{id}/events`` (SSE):
  every event so far, then live ones — ``transcript``, ``finding`` (with ``cue``) and
  ``status`` (``running`` / ``finished`` / ``stopped`` / ``limit`` / ``error``);
- ``GET /v1/live/sessions/{id}`` — the compliance record (full transcript + findings);
- ``POST /v1/live/sessions/{id}/stop``.

Decoding runs in a thread pool, never on the event loop; one Whisper model serves every
session behind a lock.  Limits: ``max_live_sessions`` running at once (429), and
``max_live_seconds`` of audio per session (the audio socket is closed with 1008).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi import APIRouter, Request, WebSocket, WebSocketDisconnect
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field

from api.errors import api_error
from screening.lexicon import CATEGORIES

router = APIRouter(prefix="/v1/live", tags=["live"])

HISTORY = 5000  # events kept in memory per session for late subscribers
MAX_BACKLOG_S = 30.0  # pushed audio not yet decoded before the audio socket is refused
CLOSE_NOT_FOUND, CLOSE_CONFLICT, CLOSE_GONE, CLOSE_BEHIND = 4404, 4409, 4410, 1013
CLOSE_LIMIT = 1008
ENDED = ("finished", "stopped", "limit", "error", "interrupted")


class SessionIn(BaseModel):
    url: str | None = Field(default=None, description="rtmp/rtsp/srt/http(s) stream; omit to push PCM over WebSocket")
    category: str = "general"
    hotwords: bool = True


class Handle:
    """One running session: the LiveSession, its record, its subscribers."""

    def __init__(self, sid: str, kind: str, source: str, category: str, session, recorder, loop):
        self.id = sid
        self.kind = kind
        self.source = source
        self.category = category
        self.session = session
        self.recorder = recorder
        self.loop = loop
        self.status = "running"
        self.error: str | None = None
        self.events: list[dict] = []
        self.subscribers: set[asyncio.Queue] = set()
        self.wake = asyncio.Event()
        self.audio_done = threading.Event()  # no more audio will come
        self.stop = threading.Event()
        self.audio_connected = False
        self.task: asyncio.Task | None = None
        self.created = time.time()

    def notify(self) -> None:  # from any thread
        self.loop.call_soon_threadsafe(self.wake.set)

    def publish(self, events: list[dict]) -> None:
        for ev in events:
            self.events.append(ev)
            for q in list(self.subscribers):
                q.put_nowait(ev)
        if len(self.events) > HISTORY:
            del self.events[: len(self.events) - HISTORY]

    def close_subscribers(self) -> None:
        for q in list(self.subscribers):
            q.put_nowait(None)

    @property
    def ended(self) -> bool:
        return self.status in ENDED


class LiveManager:
    def __init__(self, app):
        self.app = app
        s = app.state.settings
        self.max_sessions = int(s.max_live_sessions)
        self.max_seconds = float(s.max_live_seconds)
        self.data_dir = s.data_dir
        self.executor = ThreadPoolExecutor(max_workers=self.max_sessions * 2 + 2, thread_name_prefix="live")
        self.handles: dict[str, Handle] = {}
        self._engine = None
        self._engine_lock = asyncio.Lock()

    async def engine(self):
        from screening.asr.model import ModelError

        async with self._engine_lock:
            if self._engine is None:
                from screening.asr.live import AsrEngine

                loop = asyncio.get_running_loop()
                try:
                    self._engine = await loop.run_in_executor(self.executor, AsrEngine.load, None)
                except ModelError as exc:
                    raise api_error(503, f"语音识别模型不可用：{exc}", "speech model unavailable", "model_unavailable") from exc
            return self._engine

    def running(self) -> int:
        return sum(1 for h in self.handles.values() if not h.ended)

    async def run_in_thread(self, fn, *args):
        return await asyncio.get_running_loop().run_in_executor(self.executor, fn, *args)

    # ------------------------------------------------------------ the decode loop of one session
    async def drive(self, h: Handle) -> None:
        def step():
            evs = h.session.step()
            self._record(h, evs)
            return evs

        def finish():
            evs = h.session.finish()
            self._record(h, evs)
            return evs

        try:
            while True:
                if h.session.ready():
                    h.publish(await self.run_in_thread(step))
                    continue
                if h.audio_done.is_set() or h.stop.is_set():
                    break
                try:
                    await asyncio.wait_for(h.wake.wait(), timeout=0.25)
                except asyncio.TimeoutError:
                    pass
                h.wake.clear()
            h.publish(await self.run_in_thread(finish))
            if h.status == "running":
                h.status = "stopped" if h.stop.is_set() else "finished"
        except Exception as exc:  # noqa: BLE001 - keep the server up, record the failure
            h.status, h.error = "error", f"解码失败 / decoding failed: {str(exc)[:300]}"
        finally:
            audio_s = h.session.received_seconds
            try:
                await self.run_in_thread(lambda: h.recorder.finish(h.status, audio_seconds=audio_s, error=h.error))
            except Exception:  # noqa: BLE001
                pass
            h.publish([_status(h)])
            h.close_subscribers()

    @staticmethod
    def _record(h: Handle, events: list[dict]) -> None:
        for seg in h.session.take_segments():
            h.recorder.add_segment(seg)
        for ev in events:
            if ev["type"] == "finding":
                h.recorder.add_finding(ev)

    # ------------------------------------------------------------ URL reader (thread)
    def read_url(self, h: Handle, source) -> None:
        try:
            for frame in source.frames():
                if h.stop.is_set():
                    break
                h.session.push_pcm(frame)
                h.notify()
                if h.session.received_seconds >= self.max_seconds:
                    h.status = "limit"
                    h.error = f"已达单场最长时长 {self.max_seconds:.0f} 秒 / session duration limit reached"
                    break
                while h.session.backlog_seconds() > MAX_BACKLOG_S and not h.stop.is_set():
                    time.sleep(0.05)  # a file served over http arrives faster than real time: wait for the decoder
        except Exception as exc:  # noqa: BLE001 - SourceError or FFmpeg failure mid-stream
            h.status, h.error = "error", str(exc)[:500]
        finally:
            source.close()
            h.audio_done.set()
            h.notify()

    async def shutdown(self) -> None:
        for h in self.handles.values():
            h.stop.set()
            h.audio_done.set()
            h.wake.set()
        tasks = [h.task for h in self.handles.values() if h.task is not None and not h.task.done()]
        if tasks:
            await asyncio.wait(tasks, timeout=10)
        self.executor.shutdown(wait=False, cancel_futures=True)


STATUS_ZH = {"running": "监听中", "finished": "音频已结束", "stopped": "已停止", "limit": "已达单场最长时长",
             "error": "出错", "interrupted": "服务重启，会话中断"}


def _status(h: Handle) -> dict:
    return {"type": "status", "status": h.status, "session_id": h.id, "error": h.error,
            "message": h.error or STATUS_ZH.get(h.status, h.status),
            "audio_seconds": round(h.session.received_seconds, 3)}


def _manager(app) -> LiveManager:
    m = getattr(app.state, "live", None)
    if m is None:
        m = app.state.live = LiveManager(app)
    return m


async def startup(app) -> None:
    from screening.asr.record import mark_interrupted

    _manager(app)
    try:
        await asyncio.get_running_loop().run_in_executor(None, mark_interrupted, app.state.db)
    except Exception:  # noqa: BLE001 - a fresh database without the table is fine
        pass


async def shutdown(app) -> None:
    m = getattr(app.state, "live", None)
    if m is not None:
        await m.shutdown()


def _urls(sid: str) -> dict:
    base = f"/v1/live/sessions/{sid}"
    return {"audio_ws": base + "/audio", "events_ws": base + "/events", "events_sse": base + "/events",
            "record": base, "stop": base + "/stop"}


@router.post("/sessions", status_code=201, summary="开始一场直播监听（拉流地址，或等待 WebSocket 推送 PCM）")
async def create_session(body: SessionIn, request: Request):
    from screening.asr.live import LiveOptions, LiveSession
    from screening.asr.record import Recorder
    from screening.asr.sources import URL_SCHEMES, AvSource, SourceError, is_url

    app = request.app
    m = _manager(app)
    if body.category not in CATEGORIES:
        raise api_error(422, f"未知品类 {body.category}，可选：{'、'.join(CATEGORIES)}", "unknown category", "bad_category")
    if body.url is not None and not is_url(body.url):
        raise api_error(422, f"不支持的直播流地址，支持的协议：{', '.join(URL_SCHEMES)}",
                        "unsupported stream URL (rtmp, rtsp, srt, http, https)", "bad_url")
    if m.running() >= m.max_sessions:
        raise api_error(429, f"同时进行的直播监听已达上限（{m.max_sessions} 场），请先结束其他会话",
                        f"too many live sessions (limit {m.max_sessions})", "too_many_sessions")
    engine = await m.engine()
    source = None
    if body.url is not None:
        try:
            source = await m.run_in_thread(lambda: AvSource(body.url, kind="url", timeout=10.0))
        except SourceError as exc:
            raise api_error(422, str(exc), "cannot open the stream URL", "stream_unreachable") from exc
    screener = app.state.screener
    try:
        session = await m.run_in_thread(
            lambda: LiveSession(screener, engine, LiveOptions(category=body.category, hotwords=body.hotwords)))
        principal = getattr(request.state, "principal", None)
        recorder = await m.run_in_thread(lambda: Recorder.create(
            app.state.db, kind="url" if source else "push", source=body.url or "websocket",
            category=body.category, lexicon_version=screener.lexicon.digest,
            created_by=str(getattr(principal, "name", "") or "")))
        await m.run_in_thread(recorder.started)
    except Exception:
        if source is not None:
            source.close()
        raise
    h = Handle(recorder.id, "url" if source else "push", body.url or "websocket", body.category, session, recorder,
               asyncio.get_running_loop())
    m.handles[h.id] = h
    session.start()
    h.publish([_status(h)])
    h.task = asyncio.create_task(m.drive(h))
    if source is not None:
        threading.Thread(target=m.read_url, args=(h, source), name=f"live-url-{h.id[:8]}", daemon=True).start()
    return {"id": h.id, "status": h.status, "kind": h.kind, "category": h.category, **_urls(h.id)}


def _get(request_or_ws, sid: str) -> Handle | None:
    m = getattr(request_or_ws.app.state, "live", None)
    return None if m is None else m.handles.get(sid)


@router.websocket("/sessions/{sid}/audio")
async def push_audio(ws: WebSocket, sid: str):
    h = _get(ws, sid)
    await ws.accept()
    if h is None:
        await ws.close(CLOSE_NOT_FOUND, "会话不存在 / session not found")
        return
    if h.kind != "push":
        await ws.close(CLOSE_CONFLICT, "该会话从直播流地址读音频 / session reads a URL")
        return
    if h.ended or h.audio_done.is_set():
        await ws.close(CLOSE_GONE, "会话已结束 / session has ended")
        return
    if h.audio_connected:
        await ws.close(CLOSE_CONFLICT, "已有音频连接 / audio already connected")
        return
    m: LiveManager = ws.app.state.live
    h.audio_connected = True
    try:
        while not h.stop.is_set():
            msg = await ws.receive()
            if msg["type"] == "websocket.disconnect":
                break
            data = msg.get("bytes")
            if data is None:
                text = (msg.get("text") or "").strip().lower()
                if text in ("end", '{"type":"end"}', '{"type": "end"}'):
                    await ws.close(1000, "ok")
                    break
                continue
            h.session.push_pcm(data)
            h.wake.set()
            if h.session.received_seconds >= m.max_seconds:
                h.status = "limit"
                h.error = f"已达单场最长时长 {m.max_seconds:.0f} 秒 / session duration limit reached"
                await _refuse(ws, CLOSE_LIMIT, h.error, "已达最长时长 / duration limit")
                break
            if h.session.backlog_seconds() > MAX_BACKLOG_S:
                await _refuse(ws, CLOSE_BEHIND, f"音频发送快于实时，积压超过 {MAX_BACKLOG_S:.0f} 秒 / audio arrives faster "
                              "than it can be decoded", "发送快于实时 / too fast")
                break
    except WebSocketDisconnect:
        pass
    finally:
        h.audio_connected = False
        h.audio_done.set()
        h.wake.set()


async def _refuse(ws: WebSocket, code: int, message: str, reason: str) -> None:
    """Tell the client why (a JSON text frame), then close with ``code``."""
    try:
        await ws.send_text(json.dumps({"type": "error", "message": message}, ensure_ascii=False))
    except Exception:  # noqa: BLE001
        pass
    await ws.close(code, reason)


async def _subscribe(h: Handle):
    """Replay, then live events; ends after the final status event."""
    q: asyncio.Queue = asyncio.Queue()
    backlog = list(h.events)
    done = h.ended and h.task is not None and h.task.done()
    if not done:
        h.subscribers.add(q)
    try:
        for ev in backlog:
            yield ev
        if done:
            return
        while True:
            ev = await q.get()
            if ev is None:
                return
            yield ev
    finally:
        h.subscribers.discard(q)


@router.websocket("/sessions/{sid}/events")
async def events_ws(ws: WebSocket, sid: str):
    h = _get(ws, sid)
    await ws.accept()
    if h is None:
        await ws.close(CLOSE_NOT_FOUND, "会话不存在 / session not found")
        return
    try:
        async for ev in _subscribe(h):
            await ws.send_text(json.dumps(ev, ensure_ascii=False))
        await ws.close(1000, "ok")
    except (WebSocketDisconnect, RuntimeError):
        pass


@router.get("/sessions/{sid}/events", summary="事件流 (Server-Sent Events)：转写与违规提醒")
async def events_sse(sid: str, request: Request):
    h = _get(request, sid)
    if h is None:
        raise api_error(404, "会话不存在或不在本服务进程中（历史记录请用 GET /v1/live/sessions/{id}）",
                        "no such running session", "session_not_found")

    async def gen():
        agen = _subscribe(h)
        try:
            while True:
                try:
                    ev = await asyncio.wait_for(agen.__anext__(), timeout=15)
                except asyncio.TimeoutError:
                    yield ": ping\n\n"
                    continue
                except StopAsyncIteration:
                    break
                name = ev.get("type", "message")
                yield f"event: {name}\ndata: {json.dumps(ev, ensure_ascii=False)}\n\n"
                if await request.is_disconnected():
                    break
        finally:
            await agen.aclose()

    return StreamingResponse(gen(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


@router.get("/sessions/{sid}", summary="直播监听的合规记录：完整转写与全部提醒")
async def get_session(sid: str, request: Request):
    from screening.asr.record import load_record

    rec = await asyncio.get_running_loop().run_in_executor(None, load_record, request.app.state.db, sid)
    if rec is None:
        raise api_error(404, "会话不存在", "session not found", "session_not_found")
    h = _get(request, sid)
    if h is not None:  # this process runs it: the in-memory status is the newest
        rec["status"] = h.status
        rec["live"] = not h.ended
        rec["error"] = rec["error"] or h.error
    else:
        rec["live"] = False
    return rec


@router.post("/sessions/{sid}/stop", summary="结束直播监听")
async def stop_session(sid: str, request: Request):
    h = _get(request, sid)
    if h is None:
        raise api_error(404, "会话不存在或已不在运行", "no such running session", "session_not_found")
    h.stop.set()
    h.audio_done.set()
    h.wake.set()
    if h.task is not None:
        try:
            await asyncio.wait_for(asyncio.shield(h.task), timeout=30)
        except asyncio.TimeoutError:
            pass
    return JSONResponse({"id": h.id, "status": h.status, "error": h.error,
                         "audio_seconds": round(h.session.received_seconds, 3)})
