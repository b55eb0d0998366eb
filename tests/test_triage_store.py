"""The queue on SQLite and PostgreSQL: idempotent ingest, audit trail, hide policy, kill -9 durability."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from screening.db import init_db, make_engine
from screening.triage.store import NotAllowed, NotFound, QueueStore
from tests.triage_support import db_params, db_url, triaged  # noqa: F401  (db_url is a fixture)

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.parametrize("db_url", db_params(), indirect=True)


@pytest.fixture
def store(db_url):
    engine = make_engine(db_url)
    yield QueueStore(init_db(engine))
    engine.dispose()


def test_same_id_twice_is_one_row(store):
    first = store.ingest([triaged("a"), triaged("b")])
    again = store.ingest([triaged("b", text="改过的文字"), triaged("c"), triaged("c")])
    assert [(i.comment_id, i.created) for i in first] == [("a", True), ("b", True)]
    assert [(i.comment_id, i.created) for i in again] == [("b", False), ("c", True)]
    assert store.count() == 3
    assert store.get("b")["text"] == "质量太差了"  # the first delivery wins


def test_queue_filters_by_status_and_intent(store):
    store.ingest([triaged("q1", intent="quality"), triaged("s1", "加vx", intent="spam", hideable=True),
                  triaged("q2", intent="quality")])
    store.act("q1", "routed", "客服小王")
    total, items = store.list(status="open", intent="quality")
    assert total == 1 and items[0]["id"] == "q2"
    assert store.list(status="routed")[1][0]["id"] == "q1"
    assert store.list(intent="spam")[0] == 1


def test_actions_are_an_append_only_audit_trail(store):
    store.ingest([triaged("x", "加微信abc123", intent="spam", hideable=True)])
    store.act("x", "hidden", "场控阿May", note="引流")
    store.act("x", "resolved", "客服小王")
    history = store.get("x")["actions"]
    assert [(a["action"], a["actor"]) for a in history] == [("hidden", "场控阿May"), ("resolved", "客服小王")]
    assert all(a["at"] > 0 for a in history)
    assert store.get("x")["status"] == "resolved"
    with store.factory() as s:
        for stmt in ("UPDATE triage_actions SET actor = 'someone else'", "DELETE FROM triage_actions"):
            with pytest.raises(Exception, match="append-only"):
                s.execute(text(stmt))
                s.commit()
            s.rollback()
    assert len(store.actions("x")) == 2


def test_negative_comments_cannot_be_hidden(store):
    store.ingest([triaged("n1", "物流太慢了", intent="logistics")])
    with pytest.raises(NotAllowed, match="不可隐藏"):
        store.act("n1", "hidden", "场控")
    assert store.actions("n1") == [] and store.get("n1")["status"] == "open"
    with pytest.raises(NotAllowed, match="操作人"):
        store.act("n1", "routed", "  ")
    with pytest.raises(NotFound):
        store.act("nope", "routed", "场控")


def test_time_window_for_reports(store):
    store.ingest([triaged("t1", ts=1000.0), triaged("t2", ts=2000.0), triaged("t3", ts=3000.0)])
    assert [r["id"] for r in store.window(1500, 3000)] == ["t2"]


WORKER = textwrap.dedent("""
    import sys, itertools
    sys.path.insert(0, {root!r})
    from screening.db import init_db, make_engine
    from screening.triage.store import QueueStore
    store = QueueStore(init_db(make_engine({url!r})))
    for batch in itertools.count():
        items = [{{"id": f"k{{batch}}-{{i}}", "text": "物流太慢了" * 3, "intent": "logistics", "negative": 0.9,
                  "toxic": False, "hideable": False, "action": "route_ops", "reply": "已同步运营", "findings": []}}
                 for i in range(25)]
        done = store.ingest(items)          # returns after COMMIT
        print("ACK " + " ".join(d.comment_id for d in done), flush=True)
""")


def test_nothing_acknowledged_is_lost_on_kill_9(db_url):
    engine = make_engine(db_url)
    init_db(engine)  # create tables up front so the worker starts writing at once
    engine.dispose()
    proc = subprocess.Popen([sys.executable, "-c", WORKER.format(root=str(ROOT), url=db_url)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    acked: list[str] = []
    deadline = time.time() + 90
    try:
        while len(acked) < 400 and time.time() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("ACK ") and line.endswith("\n"):
                acked.extend(line.split()[1:])
        os.kill(proc.pid, signal.SIGKILL)  # mid-ingest: the worker never stops between batches
        rest, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    for line in rest.splitlines(keepends=True):
        if line.startswith("ACK ") and line.endswith("\n"):
            acked.extend(line.split()[1:])
    assert proc.returncode == -signal.SIGKILL
    assert len(acked) >= 100, err[-2000:]
    engine = make_engine(db_url)
    store = QueueStore(init_db(engine))
    stored = store.ids()
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged comments lost"
    assert store.count() == len(stored) >= len(acked)
    # re-delivery after the crash is idempotent
    again = store.ingest([triaged(i) for i in acked[:50]])
    assert not any(i.created for i in again)
    engine.dispose()
