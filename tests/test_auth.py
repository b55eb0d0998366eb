"""Access control: without a key only /healthz answers; each role reaches exactly its endpoints."""

import re

import pytest
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from api.app import create_app
from api.security import ANY_ROLE, allowed_roles
from screening import auth
from screening.settings import Settings
from tests.conftest import make_keys


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    settings = Settings(data_dir=tmp_path_factory.mktemp("authvar"), rate_limit_per_minute=100_000)
    with TestClient(create_app(settings)) as c:
        yield c, make_keys(c)


def _flat(routes):
    for r in routes:
        if hasattr(r, "original_router"):  # FastAPI's wrapper around an included router
            yield from _flat(r.original_router.routes)
        else:
            yield r


def _routes(app):
    http, ws = [], []
    for r in _flat(app.routes):
        if not hasattr(r, "path"):
            continue
        path = re.sub(r"\{[^}]+\}", "999999", r.path)  # ids that exist nowhere
        if isinstance(r, APIWebSocketRoute):
            ws.append(path)
        elif getattr(r, "methods", None) and not path.startswith("/static"):
            http += [(m, path) for m in sorted(r.methods) if m != "HEAD"]
    return http, ws


def test_without_key_only_healthz_answers(env):
    c = TestClient(env[0].app)  # no cookie jar from other tests
    http, ws = _routes(c.app)
    assert len(http) >= 5
    for method, path in http:
        r = c.request(method, path, headers={"X-API-Key": ""})
        if path == "/healthz":
            assert r.status_code == 200
        else:
            assert r.status_code == 401, (method, path, r.status_code)
    for path in ["/", "/console", "/static/app.js", "/docs", "/openapi.json", "/nope"]:
        assert c.get(path).status_code == 401, path
    for path in ws:
        with pytest.raises(WebSocketDisconnect) as e:
            with c.websocket_connect(path) as s:
                s.receive_text()
        assert e.value.code == 4401


def test_bad_and_revoked_keys(env):
    c, keys = env
    assert c.get("/v1/lexicons", headers={"X-API-Key": "sk_wrong"}).status_code == 401
    row, key = auth.create_key(c.app.state.db, "reviewer", "to-revoke")
    assert c.get("/v1/lexicons", headers={"X-API-Key": key}).status_code == 200
    assert c.get("/v1/lexicons", headers={"Authorization": f"Bearer {key}"}).status_code == 200
    assert c.get(f"/v1/lexicons?key={key}").status_code == 200
    auth.revoke_key(c.app.state.db, row.id)
    r = c.get("/v1/lexicons", headers={"X-API-Key": key})
    assert r.status_code == 401 and r.json()["detail"]["message"] == "密钥无效或已吊销"


@pytest.mark.parametrize("role", auth.ROLES)
def test_each_role_reaches_exactly_its_endpoints(env, role):
    c, keys = env
    http, ws = _routes(c.app)
    for method, path in http:
        if path == "/healthz":
            continue
        allowed = role == "admin" or role in allowed_roles("HTTP", method, path)
        if path.endswith("/events") and allowed:  # an endless event stream: read the status line only
            with c.stream(method, path, headers={"X-API-Key": keys[role]}) as r:
                assert r.status_code not in (401, 403), (role, path, r.status_code)
            continue
        r = c.request(method, path, headers={"X-API-Key": keys[role]})
        if allowed:
            assert r.status_code not in (401, 403), (role, method, path, r.status_code, r.text[:200])
        else:
            assert r.status_code == 403, (role, method, path, r.status_code)
            assert "无权" in r.json()["detail"]["message"]
    for path in ws:
        allowed = role == "admin" or role in allowed_roles("WS", "GET", path)
        try:
            with c.websocket_connect(f"{path}?key={keys[role]}") as s:
                s.close()
            code = None
        except WebSocketDisconnect as e:
            code = e.code
        if allowed:
            assert code not in (4401, 4403), (role, path, code)
        else:
            assert code == 4403, (role, path, code)


def test_policy_is_not_wide_open():
    assert allowed_roles("HTTP", "POST", "/v1/scripts/review") == {"reviewer"}
    assert "reviewer" not in allowed_roles("HTTP", "GET", "/v1/comments")
    assert "ingest" in allowed_roles("HTTP", "POST", "/v1/comments")
    assert "ingest" not in allowed_roles("HTTP", "GET", "/v1/comments")
    assert allowed_roles("HTTP", "GET", "/v1/audit") == frozenset()
    assert allowed_roles("HTTP", "GET", "/") == ANY_ROLE


def test_console_login_sets_cookie(env):
    c, keys = env
    r = TestClient(c.app).get("/")
    assert r.status_code == 401 and "密钥" in r.text
    fresh = TestClient(c.app)
    r = fresh.post("/v1/session", headers={"X-API-Key": keys["moderator"]})
    assert r.status_code == 200 and r.json()["role"] == "moderator"
    assert "screening_key" in r.headers["set-cookie"] and "HttpOnly" in r.headers["set-cookie"]
    assert fresh.get("/v1/whoami").json()["role"] == "moderator"  # cookie is enough afterwards
    r = fresh.delete("/v1/session")
    assert r.status_code == 200 and "Max-Age=0" in r.headers["set-cookie"]
    assert fresh.get("/v1/whoami").status_code == 401


def test_rate_limit_per_key(tmp_path):
    with TestClient(create_app(Settings(data_dir=tmp_path, rate_limit_per_minute=5))) as c:
        keys = make_keys(c)
        codes = [c.get("/v1/lexicons", headers={"X-API-Key": keys["reviewer"]}).status_code for _ in range(8)]
        assert codes[:5] == [200] * 5 and codes[5:] == [429] * 3
        r = c.get("/v1/lexicons", headers={"X-API-Key": keys["reviewer"]})
        assert int(r.headers["retry-after"]) >= 1 and "频繁" in r.json()["detail"]["message"]
        assert c.get("/v1/lexicons", headers={"X-API-Key": keys["admin"]}).status_code == 200  # other key unaffected


def test_audit_is_recorded_and_append_only(env):
    c, keys = env
    c.post("/v1/scripts/review", json={"text": "全网最好"}, headers={"X-API-Key": keys["reviewer"]})
    log = c.get("/v1/audit?action=script.review", headers={"X-API-Key": keys["admin"]}).json()
    assert log and log[0]["actor"].endswith("test-reviewer") and log[0]["detail"]["status"] == 200
    assert c.get("/v1/audit", headers={"X-API-Key": keys["reviewer"]}).status_code == 403
    from sqlalchemy import text

    with c.app.state.engine.begin() as conn:
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("UPDATE audit_log SET action='x'"))
    with c.app.state.engine.begin() as conn:
        with pytest.raises(Exception, match="append-only"):
            conn.execute(text("DELETE FROM audit_log"))


def test_lexicon_reload_keeps_good_lexicon(tmp_path):
    import shutil
    from pathlib import Path

    lex = tmp_path / "lex"
    shutil.copytree(Path(__file__).resolve().parent.parent / "lexicons", lex)
    with TestClient(create_app(Settings(data_dir=tmp_path, lexicon_dir=lex))) as c:
        admin = {"X-API-Key": make_keys(c)["admin"]}
        before = c.get("/healthz").json()["lexicon_version"]
        (lex / "absolute.yaml").write_text("version: [broken", encoding="utf-8")
        r = c.post("/v1/lexicons/reload", headers=admin)
        assert r.status_code == 422 and "absolute.yaml" in r.json()["detail"]["message"]
        assert c.get("/healthz").json()["lexicon_version"] == before
        assert c.post("/v1/scripts/review", json={"text": "全网最好"}, headers=admin).json()["summary"]["total"] == 1


def test_broken_lexicon_stops_startup(tmp_path):
    import shutil
    from pathlib import Path

    from screening.lexicon import LexiconError

    lex = tmp_path / "lex"
    shutil.copytree(Path(__file__).resolve().parent.parent / "lexicons", lex)
    (lex / "zz.yaml").write_text("version: '1'\narea: zz\ntitle: t\nlaw: l\nentries:\n  - id: bad\n    terms: [x]\n"
                                 "    severity: nope\n    message: 消息\n    suggestions: [y]\n", encoding="utf-8")
    with pytest.raises(LexiconError, match=r"zz\.yaml.*id=bad"):
        with TestClient(create_app(Settings(data_dir=tmp_path, lexicon_dir=lex))):
            pass
