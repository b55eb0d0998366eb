"""Live tap benchmark: alert latency, recall, CER, RTF and CPU — streaming vs a naive loop.

    .venv/bin/python bench/live_latency.py [--audio-dir DIR] [--ablations none|stream|all] [--json OUT]

1. streaming (the product path): stream_01.wav paced at 1× (``--realtime``) through
   LiveSession; per alert latency = emitted_at − audio_end.
2. naive baseline, same run, same pacing: every 0.5 s re-transcribe the WHOLE buffer
   (faster-whisper ``transcribe``, same hotwords, OpenCC, screening), alert on new findings.
3. ablations (offline, as fast as the CPU goes): hotwords static/contextual on/off and
   homophone/pinyin matching on/off → banned-term recall and false alerts.

Banned-term recall: a reference banned term counts as alerted when an alert lies inside
its utterance (reference start/end ± 0.3 s); "rule" recall: of the rules the screener raises
on the reference text of those utterances, the share raised on the audio, in place.  False alerts: alerts inside
compliant utterances.  CER: NFKC, lower case, Arabic numbers → Chinese numerals,
punctuation and spaces removed (as in shared/audio/README.md).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import sys
import threading
import time
import unicodedata
import wave
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screening.asr.live import AsrEngine, LiveOptions, LiveSession  # noqa: E402
from screening.asr.postprocess import to_simplified  # noqa: E402
from screening.asr.runner import run_frames  # noqa: E402
from screening.screener import Screener  # noqa: E402

DEFAULT_AUDIO = ROOT / "tests" / "data" / "audio"
CATEGORY_MAP = {"clothing": "apparel"}
_DIGITS = "零一二三四五六七八九"


# ------------------------------------------------------------------ metrics
def _num_zh(n: int) -> str:
    if n < 10:
        return _DIGITS[n]
    if n >= 100_000_000:
        return "".join(_DIGITS[int(d)] for d in str(n))
    if n >= 10_000:
        hi, lo = divmod(n, 10_000)
        return _num_zh(hi) + "万" + ("" if lo == 0 else ("零" if lo < 1000 else "") + _num_zh(lo))
    out, zero = "", False
    for unit, val in (("千", 1000), ("百", 100), ("十", 10)):
        d, n = divmod(n, val)
        if d:
            if zero:
                out += "零"
            out += ("" if (unit == "十" and d == 1 and not out) else _DIGITS[d]) + unit
            zero = False
        elif out:
            zero = True
    if n:
        out += ("零" if zero else "") + _DIGITS[n]
    return out


def norm_text(s: str) -> str:
    s = unicodedata.normalize("NFKC", s).lower()
    s = re.sub(r"\d+", lambda m: _num_zh(int(m.group())), s)
    return "".join(ch for ch in s if unicodedata.category(ch)[0] in "LN")


def cer(ref: str, hyp: str) -> float:
    r, h = norm_text(ref), norm_text(hyp)
    prev = list(range(len(h) + 1))
    for i, rc in enumerate(r, 1):
        cur = [i] + [0] * len(h)
        for j, hc in enumerate(h, 1):
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (rc != hc))
        prev = cur
    return prev[-1] / max(1, len(r))


def pct(xs: list[float], q: float) -> float | None:
    if not xs:
        return None
    xs = sorted(xs)
    k = (len(xs) - 1) * q
    lo, hi = int(np.floor(k)), int(np.ceil(k))
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def score(alerts: list[dict], segments: list[dict], screener=None, category: str = "general") -> dict:
    """Banned-term recall (localized / rule) and false alerts on compliant utterances.

    localized: an alert lies inside the banned term's utterance.  rule: the rules the
    screener assigns to the *reference* text of that utterance are among its alerts (what
    a perfect transcript would have raised).
    """
    terms = loc = 0
    rules_expected = rules_hit = 0
    false_alerts = 0
    missed = []
    for seg in segments:
        lo, hi = seg["start"] - 0.3, seg["end"] + 0.3
        inside = [a for a in alerts if a["audio_start"] >= lo and a["audio_end"] <= hi]
        if not seg["banned_terms"]:
            false_alerts += len(inside)
            continue
        for b in seg["banned_terms"]:
            terms += 1
            loc += bool(inside)
            if not inside:
                missed.append(b)
        if screener is not None:
            want = {f.rule_id for f in screener.scan(seg["text"], category=category, source="asr")}
            got = {a["rule_id"] for a in inside}
            rules_expected += len(want)
            rules_hit += len(want & got)
    return {"terms": terms, "recall_localized": loc / max(1, terms),
            "recall_rule": rules_hit / max(1, rules_expected), "rules_expected": rules_expected,
            "false_alerts": false_alerts, "compliant_utterances": sum(1 for s in segments if not s["banned_terms"]),
            "missed": missed}


# ------------------------------------------------------------------ audio
def read_wav(path: Path) -> bytes:
    with wave.open(str(path)) as w:
        assert w.getframerate() == 16000 and w.getnchannels() == 1 and w.getsampwidth() == 2, path
        return w.readframes(w.getnframes())


def frames_of(pcm: bytes, frame_s: float = 0.1) -> list[bytes]:
    n = int(frame_s * 16000) * 2
    return [pcm[i:i + n] for i in range(0, len(pcm), n)]


class CpuMeter:
    def __enter__(self):
        self.c0, self.t0 = time.process_time(), time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.cpu = time.process_time() - self.c0
        self.wall = time.perf_counter() - self.t0


# ------------------------------------------------------------------ runs
def run_streaming(screener, engine, pcm: bytes, *, realtime: bool, options: LiveOptions) -> dict:
    session = LiveSession(screener, engine, options)
    events: list[dict] = []
    with CpuMeter() as m:
        run_frames(session, frames_of(pcm), events.extend, threaded=realtime, realtime=realtime)
    alerts = [e for e in events if e["type"] == "finding"]
    st = session.transcriber.stats
    return {"alerts": alerts, "transcript": session.transcript, "cpu": m.cpu, "wall": m.wall,
            "audio_s": len(pcm) / 32000, "decodes": st.decodes, "decode_s": st.decode_seconds,
            "phases": dict(st.phases), "max_window_s": st.max_window_s}


def run_naive(screener, engine, pcm: bytes, *, hotwords: str | None, category: str = "general") -> dict:
    """Every 0.5 s of (real-time) audio, re-transcribe everything heard so far."""
    audio = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    total = len(audio)
    model = engine.model
    alerts: list[dict] = []
    transcript = ""
    decodes = 0
    decode_s = 0.0
    done_upto = 0
    with CpuMeter() as m:
        t0 = time.perf_counter()
        while True:
            heard = min(total, int((time.perf_counter() - t0) * 16000))
            if heard - done_upto < 8000 and heard < total:
                time.sleep(max(0.0, (done_upto + 8000 - heard) / 16000))
                continue
            if heard == done_upto == total:
                break
            d0 = time.perf_counter()
            def transcribe_all(n=heard):
                segs, _ = model.transcribe(audio[:n], language="zh", beam_size=1, word_timestamps=True,
                                           vad_filter=False, condition_on_previous_text=False, hotwords=hotwords,
                                           temperature=0.0)
                return [w for s in segs for w in (s.words or [])]

            words = engine.run(transcribe_all)
            decode_s += time.perf_counter() - d0
            decodes += 1
            done_upto = heard
            chars, times = [], []
            for w in words:
                t = to_simplified(w.word)
                for i, ch in enumerate(t):
                    step = (w.end - w.start) / max(1, len(t))
                    chars.append(ch)
                    times.append((w.start + i * step, w.start + (i + 1) * step))
            transcript = "".join(chars)
            now = round(time.perf_counter() - t0, 3)
            for f in screener.scan(transcript, category=category, source="asr"):
                if not times[f.start:f.end]:
                    continue
                a0, a1 = times[f.start][0], times[f.end - 1][1]
                if any(a["rule_id"] == f.rule_id and a0 < a["audio_end"] + 0.3 and a["audio_start"] < a1 + 0.3
                       for a in alerts):
                    continue
                ev = {"type": "finding", "audio_start": round(a0, 3), "audio_end": round(a1, 3), "emitted_at": now}
                ev.update(f.to_dict())
                alerts.append(ev)
    return {"alerts": alerts, "transcript": transcript, "cpu": m.cpu, "wall": m.wall, "audio_s": total / 16000,
            "decodes": decodes, "decode_s": decode_s}


def summarize(name: str, r: dict, ref_text: str, segments: list[dict], screener) -> dict:
    lat = [a["emitted_at"] - a["audio_end"] for a in r["alerts"]]
    sc = score(r["alerts"], segments, screener)
    return {
        "name": name, "alerts": len(r["alerts"]), "latency_p50": pct(lat, 0.5), "latency_p95": pct(lat, 0.95),
        "latency_max": max(lat) if lat else None, "cer": cer(ref_text, r["transcript"]),
        "rtf": r["decode_s"] / r["audio_s"], "cpu_cores": r["cpu"] / r["wall"], "wall_s": r["wall"],
        "decodes": r["decodes"], **sc,
    }


def fmt(v, spec=".2f") -> str:
    return "-" if v is None else format(v, spec)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--audio-dir", type=Path, default=DEFAULT_AUDIO)
    ap.add_argument("--ablations", choices=("none", "stream", "all"), default="stream",
                    help="offline recall ablations on the stream (default) or stream + 16 utterances")
    ap.add_argument("--skip-baseline", action="store_true")
    ap.add_argument("--json", type=Path, help="write all numbers here")
    args = ap.parse_args(argv)

    meta = json.loads((args.audio_dir / "transcripts.json").read_text(encoding="utf-8"))
    stream = next(f for f in meta["files"] if f["kind"] == "stream")
    pcm = read_wav(args.audio_dir / stream["file"])
    segments = stream["segments"]

    t = time.perf_counter()
    screener = Screener.load()
    screener.scan("预热", source="asr")
    engine = AsrEngine.load()
    load_s = time.perf_counter() - t
    print(f"# live tap benchmark — {stream['file']} ({len(pcm) / 32000:.1f} s), {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.2f}, model+lexicon load {load_s:.1f} s")
    results: dict = {"load_average_start": os.getloadavg()[0]}

    full = LiveOptions()
    probe = LiveSession(screener, engine, LiveOptions(static_hotwords=True))
    print(f"static hotword list (ablation only; default is contextual hotwords), {len(probe.hotwords or '')} chars: "
          f"{probe.hotwords}")

    rows = []
    r = run_streaming(screener, engine, pcm, realtime=True, options=full)
    s = summarize("streaming (VAD+LA-2, 0.5 s)", r, stream["text"], segments, screener)
    rows.append(s)
    results["streaming"] = {**s, "phases": r["phases"], "max_window_s": r["max_window_s"],
                            "alerts_detail": [{k: a[k] for k in ("audio_start", "audio_end", "emitted_at", "rule_id", "text", "cue")}
                                              for a in r["alerts"]],
                            "transcript": r["transcript"]}
    if not args.skip_baseline:
        b = run_naive(screener, engine, pcm, hotwords=None)
        sb = summarize("naive (re-transcribe all / 0.5 s)", b, stream["text"], segments, screener)
        rows.append(sb)
        results["baseline"] = {**sb, "transcript": b["transcript"]}

    print("\n## 1× real time, same run\n")
    print("| pipeline | alerts | latency p50 s | p95 s | max s | banned recall (localized / rule) | false alerts | CER | RTF | CPU cores | decodes |")
    print("|---|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|")
    for x in rows:
        print(f"| {x['name']} | {x['alerts']} | {fmt(x['latency_p50'])} | {fmt(x['latency_p95'])} | {fmt(x['latency_max'])} | "
              f"{x['recall_localized']:.2f} / {x['recall_rule']:.2f} | {x['false_alerts']} | {x['cer']:.3f} | "
              f"{x['rtf']:.3f} | {x['cpu_cores']:.2f} | {x['decodes']} |")
    if len(rows) == 2 and rows[0]["latency_p50"] and rows[1]["latency_p50"]:
        print(f"\nlatency p50 ratio naive/streaming: {rows[1]['latency_p50'] / rows[0]['latency_p50']:.1f}×")
    ph = r["phases"]
    tot = sum(ph.values()) or 1
    print("\nwhere the streaming decode time goes: " + ", ".join(f"{k} {v:.1f} s ({v / tot:.0%})" for k, v in ph.items())
          + f"; {r['decodes']} decodes, mean {r['decode_s'] / max(1, r['decodes']) * 1000:.0f} ms, "
          f"longest window {r['max_window_s']:.1f} s")
    print("\nalerts (streaming):")
    for a in r["alerts"]:
        print(f"  {a['audio_start']:6.2f}–{a['audio_end']:6.2f}  +{a['emitted_at'] - a['audio_end']:.2f}s  {a['rule_id']:28s} {a['text']}  {a['cue']}")

    if args.ablations != "none":
        items = [(stream["text"], pcm, segments, "general")]
        if args.ablations == "all":
            for f in meta["files"]:
                if f["kind"] != "utterance":
                    continue
                seg = {"start": f["speech_start_s"], "end": f["speech_end_s"], "banned_terms": f["banned_terms"], "text": f["text"]}
                items.append((f["text"], read_wav(args.audio_dir / f["file"]), [seg], CATEGORY_MAP.get(f["category"], f["category"])))
        configs = [
            ("contextual hotwords (default), homophone/pinyin matching on", dict()),
            ("static + contextual hotwords", dict(static_hotwords=True)),
            ("static hotwords only", dict(static_hotwords=True, contextual=False)),
            ("no hotwords", dict(hotwords=False)),
            ("contextual hotwords, homophone/pinyin matching off", dict(homophones=False)),
            ("no hotwords, homophone/pinyin matching off", dict(hotwords=False, homophones=False)),
        ]
        print(f"\n## ablations (offline, {'stream + 16 utterances' if args.ablations == 'all' else 'stream'})\n")
        print("| configuration | banned recall localized | rule | false alerts | CER | decodes |")
        print("|---|---:|---:|---:|---:|---:|")
        results["ablations"] = []
        for name, kw in configs:
            agg = {"terms": 0, "loc": 0.0, "rule": 0.0, "rules": 0, "fa": 0, "cer_n": 0.0, "cer_d": 0, "decodes": 0, "missed": []}
            for text, audio, segs, cat in items:
                rr = run_streaming(screener, engine, audio, realtime=False, options=LiveOptions(category=cat, **kw))
                sc = score(rr["alerts"], segs, screener, cat)
                agg["terms"] += sc["terms"]
                agg["loc"] += sc["recall_localized"] * sc["terms"]
                agg["rule"] += sc["recall_rule"] * sc["rules_expected"]
                agg["rules"] += sc["rules_expected"]
                agg["fa"] += sc["false_alerts"]
                n = len(norm_text(text))
                agg["cer_n"] += cer(text, rr["transcript"]) * n
                agg["cer_d"] += n
                agg["decodes"] += rr["decodes"]
                agg["missed"] += sc["missed"]
            row = {"name": name, "recall_localized": agg["loc"] / max(1, agg["terms"]),
                   "recall_rule": agg["rule"] / max(1, agg["rules"]), "false_alerts": agg["fa"],
                   "cer": agg["cer_n"] / max(1, agg["cer_d"]), "decodes": agg["decodes"], "missed": agg["missed"]}
            results["ablations"].append(row)
            print(f"| {name} | {row['recall_localized']:.2f} | {row['recall_rule']:.2f} | {row['false_alerts']} | "
                  f"{row['cer']:.3f} | {row['decodes']} |" + (f" missed: {' '.join(row['missed'])}" if row["missed"] else ""))

    st = results["streaming"]
    print("\n## targets\n")
    checks = [("alert latency p50 ≤ 1.0 s", st["latency_p50"] is not None and st["latency_p50"] <= 1.0),
              ("alert latency p95 ≤ 2.0 s", st["latency_p95"] is not None and st["latency_p95"] <= 2.0),
              ("banned-term recall ≥ 0.95", st["recall_localized"] >= 0.95),
              ("CPU < 1 core at 1×", st["cpu_cores"] < 1.0)]
    for name, ok in checks:
        print(f"- {'PASS' if ok else 'MISS'} {name}")
    results["load_average_end"] = os.getloadavg()[0]
    print(f"\nload average at end: {results['load_average_end']:.2f} (other processes share these cores)")
    if args.json:
        args.json.write_text(json.dumps(results, ensure_ascii=False, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
