"""The comment API end to end (real model, real screening core): ingest, queue, actions, reports, SSE."""

from __future__ import annotations

import json
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from screening.settings import Settings
from tests.conftest import make_keys
from tests.triage_support import PG_URL, fresh_pg_database


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="SCREENING_TEST_PG_URL not set"))])
def client(request, tmp_path_factory):
    drop = None
    if request.param == "postgresql":
        url, drop = fresh_pg_database()
        settings = Settings(data_dir=tmp_path_factory.mktemp("apipg"), db_url=url, rate_limit_per_minute=1_000_000,
                            max_comment_batch=50)
    else:
        settings = Settings(data_dir=tmp_path_factory.mktemp("api"), rate_limit_per_minute=1_000_000,
                            max_comment_batch=50)
    with TestClient(create_app(settings)) as c:
        c.headers["X-API-Key"] = make_keys(c)["moderator"]
        yield c
    if drop:
        drop()


def post(client, comments, **extra):
    return client.post("/v1/comments", json={"comments": comments, **extra})


def test_ingest_classifies_and_is_idempotent(client):
    batch = [{"id": "api-1", "text": "这件冲锋衣防水吗", "product": "冲锋衣", "stream_id": "s-api"},
             {"id": "api-2", "text": "一周了还没发货，物流太慢", "stream_id": "s-api"},
             {"id": "api-3", "text": "加我vx：abc12345 内部价", "stream_id": "s-api"}]
    r = post(client, batch)
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["created"], body["duplicates"]) == (3, 0)
    by = {i["id"]: i for i in body["items"]}
    assert by["api-1"]["intent"] == "question" and "冲锋衣" in by["api-1"]["reply"]
    assert by["api-2"]["action"] == "route_ops"
    assert by["api-3"]["action"] == "hide" and by["api-3"]["hideable"]
    again = post(client, batch[:2] + [{"id": "api-4", "text": "已下单，好看"}]).json()
    assert (again["created"], again["duplicates"]) == (1, 2)
    total = client.get("/v1/comments", params={"stream_id": "s-api"}).json()["total"]
    assert total == 3


def test_queue_filters_and_actions_with_audit(client):
    post(client, [{"id": "act-1", "text": "质量太差了，穿一次就起球"}, {"id": "act-2", "text": "主播是傻X吗"}])
    q = client.get("/v1/comments", params={"status": "open", "intent": "quality"}).json()
    assert any(i["id"] == "act-1" for i in q["items"])
    r = client.post("/v1/comments/act-1/actions", json={"action": "hidden", "actor": "场控小李"})
    assert r.status_code == 409
    assert "不可隐藏" in r.json()["detail"]["message"]
    r = client.post("/v1/comments/act-1/actions", json={"action": "reply_sent", "actor": "客服小王", "reply": "请私信订单号"})
    assert r.status_code == 200 and r.json()["status"] == "replied"
    assert client.post("/v1/comments/act-2/actions", json={"action": "hidden", "actor": "场控小李"}).status_code == 200
    one = client.get("/v1/comments/act-1").json()
    assert [(a["action"], a["actor"]) for a in one["actions"]] == [("reply_sent", "客服小王")]
    assert one["actions"][0]["principal"].startswith("key:")
    assert client.get("/v1/comments", params={"status": "hidden"}).json()["items"][0]["id"] == "act-2"


@pytest.mark.parametrize("body,status,word", [
    ({"action": "reply_sent"}, 422, "actor"),
    ({"action": "deleted", "actor": "x"}, 422, "action"),
])
def test_action_validation(client, body, status, word):
    post(client, [{"id": "val-1", "text": "多少钱"}])
    r = client.post("/v1/comments/val-1/actions", json=body)
    assert r.status_code == status and word in r.json()["detail"]["message"]


def test_unknown_comment_is_404(client):
    r = client.post("/v1/comments/nope/actions", json={"action": "routed", "actor": "x"})
    assert r.status_code == 404 and "不存在" in r.json()["detail"]["message"]
    assert client.get("/v1/comments/nope").status_code == 404


def test_bad_input_is_a_clear_4xx(client):
    cases = [
        (dict(json={"comments": []}), 422, "不能为空"),
        (dict(content=b""), 422, "为空"),
        (dict(content=b'{"comments": [{"id": "z"}]}', headers={"content-type": "application/json"}), 422, "text"),
        (dict(content="{不是json".encode(), headers={"content-type": "application/json"}), 400, "JSON"),
        (dict(content="{\"comments\": []}".encode("utf-16"), headers={"content-type": "application/json"}), 400, "UTF-8"),
        (dict(json={"comments": [{"id": f"b{i}", "text": "好"} for i in range(51)]}), 413, "最多"),
        (dict(json={"comments": [{"id": "big", "text": "好" * 6000}]}), 422, "过长"),
        (dict(content="name,comment\n1,好\n".encode(), headers={"content-type": "text/csv"}), 422, "text 列"),
        (dict(content="text\n质量差\n".encode(), headers={"content-type": "text/csv"}), 422, "id 列"),
        (dict(content="id,text\n1,质量差\n".encode("gbk")[:-3] + b"\xff\xfe\xfd\n", headers={"content-type": "text/csv"}),
         422, "编码"),
        (dict(content=b"<xml/>", headers={"content-type": "application/xml"}), 415, "JSON"),
    ]
    for kwargs, status, word in cases:
        r = client.post("/v1/comments", **kwargs)
        assert r.status_code == status, (kwargs, r.text)
        assert word in r.json()["detail"]["message"], (word, r.json())


def test_csv_upload_in_gbk_is_accepted(client):
    data = "id,text,product\ncsv-1,这件防水吗,冲锋衣\ncsv-2,物流太慢了,\n".encode("gbk")
    r = client.post("/v1/comments", files={"file": ("comments.csv", data, "text/csv")}, data={"stream_id": "s-csv"})
    assert r.status_code == 200, r.text
    assert r.json()["created"] == 2
    assert client.get("/v1/comments/csv-1").json()["stream_id"] == "s-csv"


def test_queue_parameter_validation(client):
    assert client.get("/v1/comments", params={"status": "lost"}).status_code == 422
    assert client.get("/v1/comments", params={"intent": "gossip"}).status_code == 422


def test_hotspot_report_json_and_html(client):
    now = time.time()
    qs = ["这件冲锋衣防水吗", "下雨天能穿吗，防水性怎么样", "160斤穿什么码", "有黑色的吗", "能机洗吗"]
    post(client, [{"id": f"hs-{i}", "text": t, "ts": now - 60, "stream_id": "s-hot"} for i, t in enumerate(qs)])
    r = client.get("/v1/reports/hotspots", params={"stream_id": "s-hot"})
    assert r.status_code == 200
    rep = r.json()
    top = {t["topic"]: t["share"] for t in rep["question_topics"]}
    assert top.get("防水性") == pytest.approx(0.4)
    assert rep["question_comments"] == 5
    html = client.get("/v1/reports/hotspots", params={"stream_id": "s-hot", "format": "html"})
    assert html.headers["content-type"].startswith("text/html")
    assert "<svg" in html.text and "防水性" in html.text and "http://" not in html.text.replace('xmlns="http://www.w3.org/2000/svg"', "")
    bad = client.get("/v1/reports/hotspots", params={"start": "2025-13-45"})
    assert bad.status_code == 422 and "时间格式" in bad.json()["detail"]["message"]
    assert client.get("/v1/reports/hotspots", params={"start": "2025-11-02", "end": "2025-11-01"}).status_code == 422


def test_sse_streams_new_comments_and_spike_alerts(live_server):
    """A real server: subscribe over HTTP, post a calm stream then a negative wave."""
    key = live_server.keys["moderator"]
    got: list[tuple[str, dict]] = []
    ready = threading.Event()

    def listen():
        with httpx.stream("GET", f"{live_server.url}/v1/comments/events",
                          params={"key": key, "stream_id": "s-sse", "max_events": 200, "heartbeat": 0.5},
                          timeout=120) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            kind = None
            for line in r.iter_lines():
                ready.set()
                if line.startswith("event: "):
                    kind = line[7:]
                elif line.startswith("data: "):
                    got.append((kind, json.loads(line[6:])))
                    if kind == "alert":
                        return

    t = threading.Thread(target=listen, daemon=True)
    t.start()
    assert ready.wait(30)
    h = {"X-API-Key": key}
    t0 = 1_700_000_000.0
    calm = ["这件多少钱", "已下单，好看", "有黑色吗", "主播好美", "能机洗吗", "来了来了", "回购第三次了", "包邮吗"]
    wave = ["质量太差了，起球", "假货吧，和专柜不一样", "用了过敏，太差了", "一洗就掉色，垃圾质量", "做工粗糙，线头很多"]
    comments = [{"id": f"sse-c{i}", "text": calm[i % len(calm)], "stream_id": "s-sse", "ts": t0 + i} for i in range(60)]
    comments += [{"id": f"sse-w{i}", "text": wave[i % len(wave)], "stream_id": "s-sse", "ts": t0 + 60 + i * 0.5}
                 for i in range(40)]
    for b in range(0, len(comments), 25):
        r = httpx.post(f"{live_server.url}/v1/comments", json={"comments": comments[b:b + 25]}, headers=h, timeout=60)
        assert r.status_code == 200, r.text
    t.join(60)
    kinds = [k for k, _ in got]
    assert "comment" in kinds and kinds[-1] == "alert", kinds[-5:]
    alert = got[-1][1]
    assert alert["type"] == "spike_start" and alert["share"] > alert["baseline"]
    assert alert["playbook"]["action"] == "pause_stream" and "暂停" in alert["playbook"]["statement"]
    stored = httpx.get(f"{live_server.url}/v1/comments/alerts", params={"stream_id": "s-sse"}, headers=h).json()
    assert [a["type"] for a in stored["items"]] == ["spike_start"]


def test_nul_characters_never_reach_the_database(client):
    """PostgreSQL text cannot hold NUL: it is stripped, not a 500."""
    r = post(client, [{"id": "nul-1", "text": "物流\x00太慢了", "author": "a\x00b"}])
    assert r.status_code == 200, r.text
    assert client.get("/v1/comments/nul-1").json()["text"] == "物流太慢了"
    assert client.get("/v1/comments/nul%00x").status_code == 404
