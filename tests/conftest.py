import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


@pytest.fixture(scope="session")
def screener():
    from screening.screener import Screener

    return Screener.load()


def make_keys(client) -> dict[str, str]:
    """One API key per role on a started TestClient's app: {role: key}."""
    from screening import auth

    return {role: auth.create_key(client.app.state.db, role, f"test-{role}")[1] for role in auth.ROLES}


@pytest.fixture
def keyed(request):
    """keyed(client, role) -> the client with that role's key set as its default header."""

    def use(client, role):
        keys = getattr(client, "_test_keys", None) or make_keys(client)
        client._test_keys = keys
        client.headers["X-API-Key"] = keys[role]
        return client

    return use


class LiveServer:
    """The real app under uvicorn on a free loopback port, in a background thread."""

    def __init__(self, settings):
        import socket
        import threading
        import time

        import uvicorn

        from api.app import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.app = create_app(settings)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.time() + 60
        while not self.server.started:
            if time.time() > deadline or not self.thread.is_alive():
                raise RuntimeError("test server did not start")
            time.sleep(0.05)
        from screening import auth

        self.keys = {role: auth.create_key(self.app.state.db, role, f"live-{role}")[1] for role in auth.ROLES}

    def stop(self):
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    from screening.settings import Settings

    srv = LiveServer(Settings(data_dir=tmp_path_factory.mktemp("live_server"), rate_limit_per_minute=1_000_000))
    yield srv
    srv.stop()
