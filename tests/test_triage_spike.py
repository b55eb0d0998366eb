"""Spike alerts: a negative wave against the stream's baseline, with hysteresis (no alert storms)."""

from __future__ import annotations

import random

import pytest

from screening.triage.pipeline import Templates
from screening.triage.spike import SpikeConfig, SpikeDetector
from tests.triage_support import default_triage


def feed(det, stream):
    return [ev for ts, neg in stream if (ev := det.observe(ts, neg)) is not None]


def synthetic(rng, start, seconds, rate, p_neg):
    """(ts, negative prob) at ``rate`` comments/s with a share ``p_neg`` of negatives."""
    out, t = [], start
    while t < start + seconds:
        out.append((t, 0.9 if rng.random() < p_neg else 0.1))
        t += 1.0 / rate
    return out


def test_one_alert_per_wave_and_an_end_after_cooldown():
    rng = random.Random(1)
    det = SpikeDetector("s", templates=Templates.load())
    stream = (synthetic(rng, 0, 300, 2, 0.1) + synthetic(rng, 300, 120, 3, 0.7) + synthetic(rng, 420, 400, 2, 0.1))
    events = feed(det, stream)
    assert [e.kind for e in events] == ["spike_start", "spike_end"]
    start, end = events
    assert 300 <= start.ts <= 340, "alert within 40 s of the wave"
    assert start.share >= 2 * start.baseline and start.baseline < 0.2
    assert start.playbook["action"] == "pause_stream"
    assert "暂停" in " ".join(start.playbook["steps"]) and "订单号" in start.playbook["statement"]
    assert end.ts >= 420 + det.cfg.cooldown_s


def test_share_hovering_at_the_threshold_does_not_storm():
    """Alternating above/below the start threshold for ten minutes: a single alert."""
    rng = random.Random(2)
    det = SpikeDetector("s")
    stream = synthetic(rng, 0, 300, 2, 0.1)
    t = 300
    for k in range(20):
        stream += synthetic(rng, t, 30, 2, 0.45 if k % 2 == 0 else 0.3)
        t += 30
    events = feed(det, stream)
    assert [e.kind for e in events].count("spike_start") == 1


def test_a_naturally_negative_stream_is_its_own_baseline():
    """30 % negative all along (a stream about a recall, say) is no crisis."""
    rng = random.Random(3)
    det = SpikeDetector("s", SpikeConfig(floor=0.35))
    assert feed(det, synthetic(rng, 0, 900, 2, 0.3)) == []


def test_few_comments_never_alert():
    det = SpikeDetector("s")
    assert feed(det, [(i * 10.0, 0.9) for i in range(15)]) == []


def test_wave_of_real_complaints_through_the_model_raises_one_alert():
    tri = default_triage()
    calm = ["这件多少钱", "已下单，好看", "有黑色吗", "主播好美", "能机洗吗", "包邮吗", "几号链接", "谢谢主播"]
    wave = ["质量太差了，起球", "用了过敏，太差了", "一洗就掉色，垃圾质量", "做工粗糙，线头很多", "刚收到就坏了"]
    texts = [calm[i % len(calm)] for i in range(80)] + [wave[i % len(wave)] for i in range(60)]
    results = tri.triage(texts)
    det = SpikeDetector("live-1", templates=tri.templates)
    events = []
    for i, r in enumerate(results):
        ts = i * 1.0 if i < 80 else 80 + (i - 80) * 0.5
        ev = det.observe(ts, r.negative, r.intent)
        if ev:
            events.append(ev)
    assert [e.kind for e in events] == ["spike_start"]
    assert events[0].playbook["topic"] == "quality"
    assert "商品质量" in events[0].playbook["statement"]


@pytest.mark.parametrize("bad", [dict(window_s=60, min_window=1000)])
def test_config_guards(bad):
    det = SpikeDetector("s", SpikeConfig(**bad))
    assert feed(det, [(i * 0.1, 0.9) for i in range(500)]) == []
