"""Soak: several simultaneous live sessions fed at real time; server memory over time.

    .venv/bin/python bench/soak_live.py --minutes 30 --sessions 3     # the long run
    .venv/bin/python bench/soak_live.py --minutes 1 --sessions 2      # a quick look

Starts ``screening serve`` on a free 127.0.0.1 port with a throw-away data directory,
opens N push sessions and feeds each the stream fixture (tests/data/audio/stream_01.wav)
in a loop over the audio WebSocket at 1x speed, while reading its events WebSocket.
Every ``--sample`` seconds it prints the server's resident memory; at the end, the
growth from the first sample after warm-up, findings per session and decode lag.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import wave
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
FIXTURE = ROOT / "tests" / "data" / "audio" / "stream_01.wav"


def pcm_chunks(path: Path, seconds: float = 0.5) -> list[bytes]:
    with wave.open(str(path)) as w:
        n = int(w.getframerate() * seconds)
        out = []
        while True:
            data = w.readframes(n)
            if not data:
                return out
            out.append(data)


def feed(url: str, key: str, seconds: float, stats: dict, stop: threading.Event) -> None:
    import httpx
    from websockets.sync.client import connect

    h = {"X-API-Key": key}
    sid = httpx.post(url + "/v1/live/sessions", json={"category": "cosmetics"}, headers=h, timeout=60).json()["id"]
    stats.update(id=sid, findings=0, transcripts=0, sent_s=0.0)
    ws = url.replace("http", "ws")

    def watch():
        try:
            with connect(f"{ws}/v1/live/sessions/{sid}/events?key={key}", open_timeout=30) as ev:
                for msg in ev:
                    e = json.loads(msg)
                    if e.get("type") == "finding":
                        stats["findings"] += 1
                    elif e.get("type") == "transcript" and e.get("final"):
                        stats["transcripts"] += 1
        except Exception as exc:  # noqa: BLE001
            stats["events_error"] = repr(exc)[:200]

    threading.Thread(target=watch, daemon=True).start()
    chunks = pcm_chunks(FIXTURE)
    start = time.monotonic()
    with connect(f"{ws}/v1/live/sessions/{sid}/audio?key={key}", open_timeout=30) as audio:
        i = 0
        while not stop.is_set() and time.monotonic() - start < seconds:
            audio.send(chunks[i % len(chunks)])
            i += 1
            stats["sent_s"] = i * 0.5
            ahead = start + i * 0.5 - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
    time.sleep(3)  # let the last words finalize
    httpx.post(f"{url}/v1/live/sessions/{sid}/stop", headers=h, timeout=30)


def run_soak(url: str, key: str, rss, sessions: int, seconds: float, sample: float = 30.0, out=print) -> dict:
    stop = threading.Event()
    stats = [dict() for _ in range(sessions)]
    threads = [threading.Thread(target=feed, args=(url, key, seconds, s, stop), daemon=True) for s in stats]
    for t in threads:
        t.start()
    samples = []
    t0 = time.monotonic()
    while any(t.is_alive() for t in threads):
        time.sleep(min(sample, 5) if not samples else sample)
        samples.append((time.monotonic() - t0, rss()))
        out(f"t={samples[-1][0]:7.0f}s  rss={samples[-1][1]:8.1f} MB  findings={[s.get('findings', 0) for s in stats]}")
    warm = samples[min(1, len(samples) - 1)][1]
    result = {"sessions": sessions, "seconds": seconds, "rss_start_mb": warm, "rss_end_mb": samples[-1][1],
              "rss_peak_mb": max(r for _, r in samples), "growth_mb": samples[-1][1] - warm, "stats": stats}
    return result


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--sessions", type=int, default=3)
    ap.add_argument("--sample", type=float, default=30)
    a = ap.parse_args()
    from screening.devserver import ServerProcess

    with tempfile.TemporaryDirectory() as d:
        srv = ServerProcess(d)
        key = srv.create_key("admin", "soak")
        srv.start()
        try:
            r = run_soak(srv.url, key, srv.rss_mb, a.sessions, a.minutes * 60, a.sample)
        finally:
            srv.stop()
    print(f"sessions {r['sessions']} for {r['seconds'] / 60:.1f} min: rss {r['rss_start_mb']:.0f} -> "
          f"{r['rss_end_mb']:.0f} MB (peak {r['rss_peak_mb']:.0f}, growth {r['growth_mb']:+.0f} MB)")
    for s in r["stats"]:
        print(f"  session {s.get('id', '?')[:8]}: audio {s.get('sent_s', 0):.0f} s, "
              f"final transcripts {s.get('transcripts', 0)}, findings {s.get('findings', 0)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
