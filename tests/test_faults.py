"""Faults: SIGKILL the real server during comment ingest and during a live session,
restart it on the same data directory, and check that everything it acknowledged is there."""

import json
import threading
import time
import wave
from pathlib import Path

import httpx
import pytest

from screening.devserver import ServerProcess

HERE = Path(__file__).resolve().parent
STREAM = HERE / "data" / "audio" / "stream_01.wav"
COMMENTS = ["质量太差了，刚用就坏了", "什么时候发货", "物流太慢了", "这个防水吗", "主播好美", "能便宜点吗", "怎么退货"]


@pytest.fixture
def server(tmp_path):
    srv = ServerProcess(tmp_path)
    srv.key = srv.create_key("admin", "faults")
    srv.start()
    yield srv
    srv.stop()


def test_kill9_during_comment_ingest_loses_nothing_acknowledged(server):
    acked: list[str] = []
    stop = threading.Event()

    def pump():
        n = 0
        with httpx.Client(base_url=server.url, headers={"X-API-Key": server.key}, timeout=30) as c:
            while not stop.is_set():
                batch = [{"id": f"k9-{n + i}", "text": COMMENTS[(n + i) % len(COMMENTS)]} for i in range(10)]
                n += 10
                try:
                    r = c.post("/v1/comments", json={"comments": batch, "stream_id": "k9"})
                except httpx.HTTPError:
                    return  # the server died mid-request: that batch was never acknowledged
                if r.status_code == 200:
                    acked.extend(x["id"] for x in batch)

    t = threading.Thread(target=pump)
    t.start()
    deadline = time.time() + 120
    while len(acked) < 100 and time.time() < deadline:
        time.sleep(0.05)
    server.kill()  # mid-stream, no shutdown
    stop.set()
    t.join(timeout=60)
    assert len(acked) >= 100, "ingest too slow to test"

    server.start()
    with httpx.Client(base_url=server.url, headers={"X-API-Key": server.key}, timeout=30) as c:
        missing = [i for i in acked if c.get(f"/v1/comments/{i}").status_code != 200]
        assert missing == [], f"{len(missing)} acknowledged comments lost: {missing[:5]}"
        # re-sending the last batches after the crash is idempotent: no duplicates
        r = c.post("/v1/comments", json={"comments": [{"id": i, "text": "重复"} for i in acked[-10:]]})
        assert r.status_code == 200 and not any(x["created"] for x in r.json()["items"])


def _pcm_frames(path: Path, seconds: float = 0.5):
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2
        n = int(16000 * seconds)
        while True:
            data = w.readframes(n)
            if not data:
                return
            yield data


@pytest.mark.skipif(not STREAM.exists(), reason="audio fixture missing")
def test_kill9_during_live_session_keeps_the_record(server):
    from websockets.sync.client import connect

    ws_url = server.url.replace("http", "ws")
    h = {"X-API-Key": server.key}
    sid = httpx.post(server.url + "/v1/live/sessions", json={"category": "cosmetics"}, headers=h, timeout=60).json()["id"]
    seen: list[dict] = []
    done = threading.Event()

    def watch():
        try:
            with connect(f"{ws_url}/v1/live/sessions/{sid}/events?key={server.key}", open_timeout=30) as ev:
                for msg in ev:
                    e = json.loads(msg)
                    if e.get("type") == "finding":
                        seen.append(e)
                        done.set()
        except Exception:
            done.set()

    t = threading.Thread(target=watch, daemon=True)
    t.start()
    with connect(f"{ws_url}/v1/live/sessions/{sid}/audio?key={server.key}", open_timeout=30) as audio:
        for frame in _pcm_frames(STREAM):
            audio.send(frame)
            time.sleep(0.3)  # a bit faster than real time (the server refuses pushes far ahead of it)
            if done.is_set():
                break
        assert done.wait(timeout=120) and seen, "no finding was emitted before the crash"
        server.kill()
    t.join(timeout=10)

    server.start()
    rec = httpx.get(f"{server.url}/v1/live/sessions/{sid}", headers=h, timeout=30).json()
    stored = {(f["rule_id"], round(f["audio_start"], 2)) for f in rec["findings"]}
    for f in seen:
        assert (f["rule_id"], round(f["audio_start"], 2)) in stored, f"acknowledged finding lost: {f['text']}"
    assert rec["transcript"], "the transcript before the crash was lost"
