"""Database plumbing shared by the queue, the live record and the audit log.

SQLite file by default, PostgreSQL (or anything SQLAlchemy speaks) through the
``SCREENING_DB_URL`` setting.  Each feature declares its tables on :class:`Base`
in its own module; :func:`init_db` imports them and creates what is missing.
"""

from __future__ import annotations

import importlib
import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

# Modules that declare tables; imported by init_db so create_all sees them.
TABLE_MODULES: list[str] = ["screening.auth", "screening.triage.store", "screening.asr.record"]


class Base(DeclarativeBase):
    pass


def default_url() -> str:
    url = os.environ.get("SCREENING_DB_URL")
    if url:
        return url
    data = Path(os.environ.get("SCREENING_DATA_DIR", "var"))
    data.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(data / 'screening.db').resolve()}"


def make_engine(url: str | None = None) -> Engine:
    url = url or default_url()
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # durable and concurrent enough for one service
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True)


def init_db(engine: Engine) -> sessionmaker[Session]:
    for mod in TABLE_MODULES:
        importlib.import_module(mod)
    Base.metadata.create_all(engine)
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    s = factory()
    try:
        yield s
        s.commit()
    except BaseException:
        s.rollback()
        raise
    finally:
        s.close()
