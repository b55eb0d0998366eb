"""Short soak (the long one: bench/soak_live.py --minutes 30): two live sessions at 1x
for ~75 s on the real server; both keep alerting and memory stays bounded."""

import sys
from pathlib import Path

import pytest

from screening.devserver import ServerProcess

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))


@pytest.mark.skipif(not (ROOT / "tests/data/audio/stream_01.wav").exists(), reason="audio fixture missing")
def test_short_soak_two_sessions(tmp_path):
    from soak_live import run_soak

    srv = ServerProcess(tmp_path)
    key = srv.create_key("admin", "soak")
    srv.start()
    try:
        r = run_soak(srv.url, key, srv.rss_mb, sessions=2, seconds=75, sample=15, out=lambda *_: None)
    finally:
        srv.stop()
    for s in r["stats"]:
        assert s.get("findings", 0) >= 3, s  # the fixture's banned terms keep being alerted in each session
        assert "events_error" not in s, s
    assert r["growth_mb"] < 300, r
