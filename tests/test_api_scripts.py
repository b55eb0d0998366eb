"""Script-review API: JSON and uploads, same JSON as the CLI, clear 4xx errors."""

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from screening.settings import Settings
from tests.conftest import make_keys

ROOT = Path(__file__).resolve().parent.parent
TEXT = "家人们，这款精华全网最好，根治痘痘！第一次来的点关注。"


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("var"), max_request_bytes=200_000, max_text_chars=50_000)
    with TestClient(create_app(settings)) as c:
        c.headers["X-API-Key"] = make_keys(c)["reviewer"]
        yield c


def test_healthz(client):
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"


def test_review_json_matches_cli(client, tmp_path):
    r = client.post("/v1/scripts/review", json={"text": TEXT, "category": "cosmetics"})
    assert r.status_code == 200
    api = r.json()
    p = tmp_path / "s.txt"
    p.write_text(TEXT, encoding="utf-8")
    cli = subprocess.run([sys.executable, "-m", "screening.cli", "review", str(p), "-f", "json", "-c", "cosmetics"],
                         capture_output=True, text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert json.loads(cli.stdout) == api
    assert any(f["text"] == "全网最好" for f in api["findings"])


def test_upload_docx_and_gbk(client):
    import docx

    d = docx.Document()
    d.add_paragraph(TEXT)
    buf = io.BytesIO()
    d.save(buf)
    r = client.post("/v1/scripts/review", files={"file": ("s.docx", buf.getvalue())}, data={"category": "cosmetics"})
    assert r.status_code == 200 and r.json()["summary"]["total"] >= 2
    r = client.post("/v1/scripts/review", files={"file": ("s.txt", TEXT.encode("gbk"))})
    assert r.status_code == 200 and r.json()["summary"]["total"] >= 2


def test_html_report(client):
    r = client.post("/v1/scripts/review?format=html", json={"text": TEXT})
    assert r.status_code == 200 and "text/html" in r.headers["content-type"] and "<mark" in r.text


@pytest.mark.parametrize("kwargs,status,code", [
    ({"json": {"text": ""}}, 422, "bad_json"),
    ({"json": {"text": "最好", "category": "cars"}}, 422, "bad_json"),
    ({"content": b"not json", "headers": {"content-type": "application/json"}}, 422, "bad_json"),
    ({"content": b"x", "headers": {"content-type": "text/plain"}}, 415, "unsupported_media_type"),
    ({"files": {"file": ("a.bin", b"\x00\x01" * 100)}}, 422, "bad_document"),
    ({"files": {"file": ("a.txt", b"")}}, 422, "bad_document"),
    ({"files": {"nofile": ("a.txt", b"abc")}}, 422, "missing_file"),
    ({"json": {"text": "好" * 60_000}}, 413, "text_too_long"),
    ({"content": b"{" + b" " * 300_000 + b"}", "headers": {"content-type": "application/json"}}, 413, "body_too_large"),
])
def test_bad_requests_get_clear_4xx(client, kwargs, status, code):
    r = client.post("/v1/scripts/review", **kwargs)
    assert r.status_code == status, r.text
    detail = r.json()["detail"]
    assert detail["code"] == code and detail["message"] and detail["message_en"]


def test_lexicons_listing(client):
    r = client.get("/v1/lexicons")
    assert r.status_code == 200
    body = r.json()
    assert body["total_entries"] >= 500 and "cosmetics" in body["categories"]
    assert {a["area"] for a in body["areas"]} >= {"absolute", "medical"}
