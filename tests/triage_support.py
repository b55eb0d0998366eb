"""Shared helpers for the tests/test_triage_*.py files (databases, the default model)."""

from __future__ import annotations

import os
import uuid
from functools import lru_cache

import pytest

PG_URL = os.environ.get("SCREENING_TEST_PG_URL")


@lru_cache(maxsize=1)
def default_triage():
    """The committed default model with the real screening core (loaded once per session)."""
    from screening.triage.pipeline import Triage

    return Triage.load()


def fresh_pg_database() -> tuple[str, callable]:
    """A new, empty database on the test PostgreSQL server: (url, drop)."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    base = make_url(PG_URL)
    name = "triage_" + uuid.uuid4().hex[:10]
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(text(f'CREATE DATABASE "{name}"'))

    def drop():
        with admin.connect() as c:
            c.execute(text(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '{name}'"))
            c.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()

    return base.set(database=name).render_as_string(hide_password=False), drop


def db_params():
    """pytest params: SQLite always; PostgreSQL when SCREENING_TEST_PG_URL is set (CI sets it)."""
    pg = pytest.param("postgresql", marks=pytest.mark.skipif(
        not PG_URL, reason="SCREENING_TEST_PG_URL not set (start one with scripts/pg_test_server.sh)"))
    return ["sqlite", pg]


@pytest.fixture
def db_url(request, tmp_path):
    kind = request.param
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'queue.db'}"
    else:
        url, drop = fresh_pg_database()
        try:
            yield url
        finally:
            drop()


def triaged(item_id: str, text: str = "质量太差了", intent: str = "quality", *, hideable: bool = False,
            negative: float = 0.9, ts: float | None = None, stream_id: str = "s1") -> dict:
    """A stored-queue item as the pipeline produces it (for store-level tests)."""
    return {"id": item_id, "text": text, "intent": intent, "negative": negative, "toxic": False, "hideable": hideable,
            "action": "route_after_sales", "reply": "请私信订单号", "findings": [], "ts": ts, "stream_id": stream_id}
