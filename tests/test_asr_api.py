"""Live API: push PCM over WebSocket, events over WebSocket and SSE, the record, limits, errors."""

import json
import wave
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from screening.settings import Settings
from tests.conftest import make_keys

AUDIO = Path(__file__).resolve().parent / "data" / "audio"


def pcm(name: str) -> bytes:
    with wave.open(str(AUDIO / name)) as w:
        return w.readframes(w.getnframes())


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("live_api"), max_live_sessions=2, max_live_seconds=20,
                        rate_limit_per_minute=1_000_000)
    with TestClient(create_app(settings)) as c:
        c.headers["X-API-Key"] = make_keys(c)["live"]
        yield c


def push(client, sid: str, data: bytes, frame: int = 3200) -> None:
    with client.websocket_connect(f"/v1/live/sessions/{sid}/audio") as ws:
        for i in range(0, len(data), frame):
            ws.send_bytes(data[i:i + frame])
        ws.send_text("end")
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
        assert e.value.code == 1000


def collect_ws(client, sid: str) -> list[dict]:
    out = []
    with client.websocket_connect(f"/v1/live/sessions/{sid}/events") as ws:
        while True:
            try:
                out.append(json.loads(ws.receive_text()))
            except WebSocketDisconnect:
                break
    return out


def test_push_session_end_to_end(client):
    r = client.post("/v1/live/sessions", json={"category": "cosmetics"})
    assert r.status_code == 201, r.text
    body = r.json()
    sid = body["id"]
    assert body["kind"] == "push" and body["audio_ws"].endswith("/audio")
    push(client, sid, pcm("utt_02.wav") + b"\0" * 32000)
    evs = collect_ws(client, sid)  # replays everything, then closes after the final status
    types = [e["type"] for e in evs]
    assert types[0] == "status" and evs[-1]["type"] == "status" and evs[-1]["status"] == "finished"
    finds = [e for e in evs if e["type"] == "finding"]
    assert finds and all(e["cue"].startswith("提醒主播") for e in finds)
    assert {"absolute.guo_jia_ji", "absolute.di_yi"} & {e["rule_id"] for e in finds}
    assert any(e["type"] == "transcript" and e["final"] for e in evs)

    rec = client.get(f"/v1/live/sessions/{sid}").json()
    assert rec["status"] == "finished" and rec["kind"] == "push" and rec["live"] is False
    assert rec["transcript"] and rec["segments"] and 4.0 < rec["audio_seconds"] < 6.0
    assert [f["rule_id"] for f in rec["findings"]] == [e["rule_id"] for e in finds]
    assert rec["findings"][0]["cue"] == finds[0]["cue"] and isinstance(rec["findings"][0]["suggestions"], list)

    # SSE replays the same events and ends
    with client.stream("GET", f"/v1/live/sessions/{sid}/events") as resp:
        assert resp.status_code == 200 and resp.headers["content-type"].startswith("text/event-stream")
        raw = "".join(resp.iter_text())
    data = [json.loads(line[6:]) for line in raw.splitlines() if line.startswith("data: ")]
    assert [e["type"] for e in data] == types
    assert "event: finding" in raw

    # the audio socket of a finished session is refused, and stop is harmless
    with client.websocket_connect(f"/v1/live/sessions/{sid}/audio") as ws:
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
        assert e.value.code == 4410
    assert client.post(f"/v1/live/sessions/{sid}/stop").json()["status"] == "finished"


def test_garbage_pcm_does_not_break_the_server(client):
    sid = client.post("/v1/live/sessions", json={}).json()["id"]
    rng = np.random.default_rng(3)
    junk = rng.integers(0, 256, 16000 * 2 * 3 + 1, dtype=np.uint8).tobytes()  # odd length too
    push(client, sid, junk)
    evs = collect_ws(client, sid)
    assert evs[-1]["status"] == "finished"
    assert not [e for e in evs if e["type"] == "finding"]
    assert client.get("/healthz").status_code == 200


def test_dead_url_is_a_clear_4xx_and_the_server_keeps_running(client):
    r = client.post("/v1/live/sessions", json={"url": "rtmp://127.0.0.1:1/live/x"})
    assert r.status_code == 422, r.text
    d = r.json()["detail"]
    assert d["code"] == "stream_unreachable" and "无法打开直播流" in d["message"] and d["message_en"]
    r = client.post("/v1/live/sessions", json={"url": "file:///etc/passwd"})
    assert r.status_code == 422 and r.json()["detail"]["code"] == "bad_url"
    r = client.post("/v1/live/sessions", json={"category": "cars"})
    assert r.status_code == 422
    assert client.get("/healthz").status_code == 200


def test_unknown_session(client):
    assert client.get("/v1/live/sessions/nope").status_code == 404
    assert client.get("/v1/live/sessions/nope/events").status_code == 404
    assert client.post("/v1/live/sessions/nope/stop").status_code == 404
    with client.websocket_connect("/v1/live/sessions/nope/audio") as ws:
        with pytest.raises(WebSocketDisconnect) as e:
            ws.receive_text()
        assert e.value.code == 4404


def test_session_count_and_duration_limits(client):
    a = client.post("/v1/live/sessions", json={}).json()["id"]
    b = client.post("/v1/live/sessions", json={}).json()["id"]
    r = client.post("/v1/live/sessions", json={})
    assert r.status_code == 429 and "上限" in r.json()["detail"]["message"]
    client.post(f"/v1/live/sessions/{b}/stop")
    # max_live_seconds=20: the audio socket is closed with 1008 and a reason
    silence = b"\0" * 32000
    with client.websocket_connect(f"/v1/live/sessions/{a}/audio") as ws:
        with pytest.raises(WebSocketDisconnect) as e:
            for _ in range(25):
                ws.send_bytes(silence)
            msg = json.loads(ws.receive_text())
            assert msg["type"] == "error" and "最长时长" in msg["message"]
            ws.receive_text()
        assert e.value.code == 1008
    evs = collect_ws(client, a)
    assert evs[-1]["status"] == "limit" and "最长时长" in evs[-1]["message"]
    assert client.get(f"/v1/live/sessions/{a}").json()["status"] == "limit"
    assert client.post("/v1/live/sessions", json={}).status_code == 201  # slots are free again


def test_live_role_is_required(client):
    other = TestClient(client.app)
    other.headers["X-API-Key"] = make_keys(client)["reviewer"]
    assert other.post("/v1/live/sessions", json={}).status_code == 403
