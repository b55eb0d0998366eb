"""Negative-wave (重大舆情) detector for one live stream.

The negative share over a sliding time window is compared with the stream's own
baseline: the share among the first ``warmup`` comments, then an exponentially weighted
share of the comments that have LEFT the window, so a wave never raises its own bar.  An alert fires when the
window share is at least ``ratio`` × baseline, at least baseline + ``delta`` and at least
``floor``, with enough comments in the window.  Hysteresis: once in crisis no further
start alert is sent; the crisis ends only after the share has stayed at or below
baseline + ``delta × exit_fraction`` for ``cooldown_s`` seconds, and the baseline is
frozen during the crisis so the wave does not teach the detector that it is normal.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SpikeConfig:
    window_s: float = 60.0
    min_window: int = 20  # comments in the window before a decision is made
    warmup: int = 40  # comments before the baseline is trusted
    ratio: float = 2.0
    delta: float = 0.15
    floor: float = 0.35
    exit_fraction: float = 0.5
    cooldown_s: float = 60.0
    baseline_alpha: float = 0.01  # EWMA weight of each comment leaving the window
    negative_threshold: float = 0.5


@dataclass
class SpikeEvent:
    kind: str  # "spike_start" | "spike_end"
    stream_id: str
    ts: float
    share: float
    baseline: float
    window_n: int
    negatives: int
    playbook: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"type": self.kind, "stream_id": self.stream_id, "ts": self.ts, "share": round(self.share, 3),
                "baseline": round(self.baseline, 3), "window_n": self.window_n, "negatives": self.negatives,
                **({"playbook": self.playbook} if self.playbook else {})}


class SpikeDetector:
    def __init__(self, stream_id: str = "", config: SpikeConfig | None = None, templates=None):
        self.stream_id = stream_id
        self.cfg = config or SpikeConfig()
        self.templates = templates
        self.window: deque[tuple[float, int, str]] = deque()
        self.neg_in_window = 0
        self.seen = 0
        self.baseline: float | None = None
        self._warm_sum = 0
        self.in_crisis = False
        self._calm_since: float | None = None

    def _share(self) -> float:
        return self.neg_in_window / len(self.window) if self.window else 0.0

    def _evict(self, now: float) -> None:
        horizon = now - self.cfg.window_s
        a = self.cfg.baseline_alpha
        while self.window and self.window[0][0] < horizon:
            _, neg, _ = self.window.popleft()
            self.neg_in_window -= neg
            if not self.in_crisis and self.seen > self.cfg.warmup:  # the baseline learns only in calm times
                self.baseline = (1 - a) * (self.baseline or 0.0) + a * neg

    def start_threshold(self) -> float:
        b = self.baseline or 0.0
        return max(self.cfg.floor, b * self.cfg.ratio, b + self.cfg.delta)

    def observe(self, ts: float, negative: float, topic: str = "") -> SpikeEvent | None:
        """Feed one comment (its time and negative probability); maybe return an event."""
        neg = int(negative >= self.cfg.negative_threshold)
        self._evict(ts)
        self.window.append((ts, neg, topic))
        self.neg_in_window += neg
        self.seen += 1
        if self.seen <= self.cfg.warmup:
            self._warm_sum += neg
            self.baseline = self._warm_sum / self.seen
        if self.seen < self.cfg.warmup or len(self.window) < self.cfg.min_window:
            return None
        share = self._share()
        base = self.baseline or 0.0
        if not self.in_crisis:
            if share >= self.start_threshold():
                self.in_crisis = True
                self._calm_since = None
                return SpikeEvent("spike_start", self.stream_id, ts, share, base, len(self.window),
                                  self.neg_in_window, self._playbook())
            return None
        if share <= base + self.cfg.delta * self.cfg.exit_fraction:
            if self._calm_since is None:
                self._calm_since = ts
            elif ts - self._calm_since >= self.cfg.cooldown_s:
                self.in_crisis = False
                self._calm_since = None
                return SpikeEvent("spike_end", self.stream_id, ts, share, base, len(self.window), self.neg_in_window)
        else:
            self._calm_since = None
        return None

    def _top_topic(self) -> str | None:
        counts: dict[str, int] = {}
        for _, neg, topic in self.window:
            if neg and topic:
                counts[topic] = counts.get(topic, 0) + 1
        return max(counts, key=counts.get) if counts else None

    def _playbook(self) -> dict:
        t = self.templates
        topic = self._top_topic()
        labels = {"quality": "商品质量", "logistics": "物流", "after_sales": "售后", "price": "价格", "abuse": "直播间"}
        topic_zh = labels.get(topic or "", None)
        if t is None:
            return {"action": "pause_stream", "topic": topic}
        return {"action": "pause_stream", "title": t.crisis.get("title", "负面评论激增"), "topic": topic,
                "steps": list(t.crisis.get("steps") or []), "statement": t.statement(topic_zh)}
