"""Load test on loopback: script reviews and comment ingest driven concurrently.

    .venv/bin/python bench/load.py [--seconds 20] [--concurrency 8] [--url http://127.0.0.1:PORT --key sk_...]

Without ``--url`` it starts ``screening serve`` itself on a free 127.0.0.1 port with a
throw-away data directory and an admin key, so the numbers include the real HTTP
stack, auth, the database and the audit log.  Every loop is bounded by ``--seconds``
and only loopback addresses are accepted.  Prints requests/s and p50/p99 latency per
kind, and the error count (any non-2xx).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SCRIPT_LINES = [
    "家人们，这款面霜是全网最好用的，第一次用就爱上了！", "國家級品質，百分百纯天然，零副作用。", "最近天气干，记得补水保湿。",
    "原价999，今天直播间只要99，仅剩最后10件！", "这款茶叶能降血压、降血糖，老人家喝了特别好。", "我们追求最好的服务，售后无忧。",
]
COMMENTS = [
    "质量太差了，刚用就坏了", "什么时候发货啊", "物流太慢了，一周还没到", "这个防水吗", "主播好美", "加我微信有更便宜的",
    "能便宜点吗", "怎么退货", "收到的东西是破的", "好用，回购了", "垃圾主播骗子", "有没有大码",
]


async def worker(kind: str, client: httpx.AsyncClient, stop_at: float, lat: dict, errors: dict, ids) -> None:
    rnd = random.Random(hash(kind) ^ id(client))
    while time.perf_counter() < stop_at:
        t = time.perf_counter()
        try:
            if kind == "review":
                text = "\n".join(rnd.choice(SCRIPT_LINES) for _ in range(rnd.randint(5, 60)))
                r = await client.post("/v1/scripts/review", json={"text": text, "category": "cosmetics"})
            else:
                batch = [{"id": f"load-{next(ids)}", "text": rnd.choice(COMMENTS), "stream_id": "load"}
                         for _ in range(rnd.randint(1, 20))]
                r = await client.post("/v1/comments", json={"comments": batch})
            ok = 200 <= r.status_code < 300
        except httpx.HTTPError:
            ok = False
        lat[kind].append(time.perf_counter() - t)
        if not ok:
            errors[kind] += 1


def pct(xs: list[float], p: float) -> float:
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(p / 100 * len(xs)))]


async def run(url: str, key: str, seconds: float, conc: int) -> None:
    lat = {"review": [], "comments": []}
    errors = {"review": 0, "comments": 0}
    ids = itertools.count()
    limits = httpx.Limits(max_connections=conc * 2)
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}, timeout=60, limits=limits) as client:
        start = time.perf_counter()
        stop_at = start + seconds
        tasks = [worker("review" if i % 2 == 0 else "comments", client, stop_at, lat, errors, ids) for i in range(conc)]
        await asyncio.gather(*tasks)
        wall = time.perf_counter() - start
    print(f"{'kind':<10}{'requests':>9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for kind in lat:
        xs = lat[kind]
        print(f"{kind:<10}{len(xs):>9}{len(xs) / wall:>9.1f}{pct(xs, 50) * 1000:>9.1f}{pct(xs, 99) * 1000:>9.1f}{errors[kind]:>8}")


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--url")
    ap.add_argument("--key")
    a = ap.parse_args()
    if a.url:
        host = urlparse(a.url).hostname or ""
        if not (host == "localhost" or host.startswith("127.") or host == "::1"):
            raise SystemExit("load tests only target loopback addresses")
        asyncio.run(run(a.url, a.key, a.seconds, a.concurrency))
        return 0
    from screening.devserver import ServerProcess

    with tempfile.TemporaryDirectory() as d:
        srv = ServerProcess(d)
        key = srv.create_key("admin", "load")
        srv.start()
        try:
            print(f"server {srv.url}; {os.cpu_count()} cores; {a.concurrency} clients for {a.seconds:.0f} s")
            asyncio.run(run(srv.url, key, a.seconds, a.concurrency))
        finally:
            srv.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
