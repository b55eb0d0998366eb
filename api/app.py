"""FastAPI application factory.  Thin: every route calls into the ``screening`` library.

State available to routes (set in the lifespan, loaded once):
- ``app.state.settings``  : screening.settings.Settings
- ``app.state.screener``  : screening.screener.Screener
- ``app.state.db``        : sqlalchemy sessionmaker (tables created on start-up)
- ``app.state.engine``    : sqlalchemy Engine
Feature routers are modules in ``api/routes`` exposing ``router`` and optionally
``async def startup(app)`` / ``async def shutdown(app)``.
"""

from __future__ import annotations

import importlib
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from screening.settings import Settings

ROUTE_MODULES = [
    "api.routes.health",
    "api.routes.admin",
    "api.routes.scripts",
    "api.routes.comments",
    "api.routes.live",
    "api.routes.console",
]


def _route_modules():
    mods = []
    for name in ROUTE_MODULES:
        try:
            mods.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
    return mods


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    mods = _route_modules()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        from screening.screener import Screener

        app.state.settings = settings
        app.state.screener = Screener.load(settings.lexicon_dir)
        await run_in_threadpool(app.state.screener.matcher_for, "comment")  # build before the first comment
        app.state.engine, app.state.db = settings.open_db()
        for m in mods:
            if hasattr(m, "startup"):
                await m.startup(app)
        try:
            yield
        finally:
            for m in reversed(mods):
                if hasattr(m, "shutdown"):
                    await m.shutdown(app)
            app.state.engine.dispose()

    from api.errors import ERROR_RESPONSES, install

    app = FastAPI(title="直播电商合规审核服务 (screening)", version="0.1.0", lifespan=lifespan,
                  responses=ERROR_RESPONSES)
    install(app)
    app.state.settings = settings
    from api.limits import BodySizeLimit
    from api.security import AccessControl

    app.add_middleware(BodySizeLimit, max_bytes=settings.max_request_bytes)
    app.add_middleware(AccessControl, get_state=lambda: app.state)  # outermost: refuse before reading bodies
    for m in mods:
        app.include_router(m.router)
    return app
