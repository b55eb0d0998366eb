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
