"""A live session: PCM in, transcript and finding events out.

``LiveSession.push_pcm`` takes 16 kHz mono s16le from any thread; ``step`` (one
decode at most, run off the event loop) returns events::

    {"type": "transcript", "start", "end", "text", "final"}
    {"type": "finding", "audio_start", "audio_end", "emitted_at", ...Finding, "cue"}

Screening runs after every decode on the last committed characters (so a phrase
split across commits is seen whole) plus the not yet final tail.  A finding is
alerted once all its characters are final, or once two consecutive decodes agree
on it (same rule, same audio) — the tail of the second decode is final less
often than the finding itself, so this alerts sooner without trusting a single
decode.  When a decode shows a new candidate, the next decode is run as soon as
``confirm_s`` of new audio is in instead of a full chunk.  Near the end of the
text a finding waits while the text so far could still grow into a lawful
phrase (第一 → 第一次).  The same rule on overlapping audio is never alerted twice.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from screening.asr.cues import make_cue
from screening.asr.decoder import SAMPLE_RATE, WindowDecoder
from screening.asr.hotwords import NearTermFinder, hotword_string
from screening.asr.postprocess import Char, HallucinationFilter, is_punct
from screening.asr.stream import StepResult, StreamConfig, StreamingTranscriber
from screening.findings import Finding

TAIL_CHARS = 32  # committed characters re-screened with each decode


class _ThreadBoundDecoder:
    """Runs every decode on the engine's own thread (the one that loaded the model).

    Measured: a CTranslate2 model loaded on a thread that later exits (a thread-pool
    worker, say) decodes 3-30× slower from any other thread.  So the model is loaded,
    warmed up and used on one long-lived thread, which also serializes the sessions.
    """

    def __init__(self, executor: ThreadPoolExecutor, decoder: WindowDecoder):
        self._executor = executor
        self.inner = decoder

    def decode(self, *args, **kwargs):
        return self._executor.submit(self.inner.decode, *args, **kwargs).result()


class AsrEngine:
    """The Whisper model and decoder, shared by every session of the process."""

    _lock = threading.Lock()
    _engines: dict[str, "AsrEngine"] = {}

    def __init__(self, model, executor: ThreadPoolExecutor, *, beam_size: int = 1):
        self.model = model
        self.executor = executor
        self.decoder = _ThreadBoundDecoder(executor, WindowDecoder(model, beam_size=beam_size))
        self.lock = threading.Lock()  # kept for callers that batch several decodes

    @classmethod
    def load(cls, data_dir=None) -> "AsrEngine":
        from screening.asr.model import cache_root, load_whisper

        key = str(cache_root(data_dir))
        with cls._lock:
            if key not in cls._engines:
                executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="whisper")
                model = executor.submit(load_whisper, data_dir).result()
                engine = cls(model, executor)
                engine.warm_up()
                cls._engines[key] = engine
            return cls._engines[key]

    def run(self, fn, *args, **kwargs):
        """Call ``fn`` on the model's thread (for code that uses the model directly)."""
        return self.executor.submit(fn, *args, **kwargs).result()

    def warm_up(self) -> None:
        """One throw-away decode: CTranslate2's first call allocates, and would delay the first alert."""
        rng = np.random.default_rng(0)
        self.decoder.decode((rng.standard_normal(SAMPLE_RATE * 2) * 0.01).astype(np.float32))


@dataclass
class LiveOptions:
    category: str = "general"
    hotwords: bool = True  # False: no biasing at all (neither list below)
    contextual: bool = True  # bias the next decode towards lexicon terms that sound like the hypothesis
    static_hotwords: bool = False  # a fixed lexicon-wide list too; measured: more false alerts, no recall gain
    hotword_chars: int = 80
    homophones: bool = True  # False: ignore findings made only through homophone/pinyin matching (bench)
    partials: bool = False  # also emit non-final transcript events
    confirm_s: float = 0.2
    stream: StreamConfig = field(default_factory=StreamConfig)


@dataclass
class Alert:
    rule_id: str
    start: float
    end: float
    text: str


_warmed: set[int] = set()


def _warm(screener) -> None:
    """The screener's first findings load its word segmenter (~0.6 s): not during the first alert."""
    if id(screener) not in _warmed:
        screener.scan("这款面霜是国家级实验室研发的，效果最好，全网最低价，这是第一次合作", source="asr")
        _warmed.add(id(screener))


def is_homophone(f: Finding) -> bool:
    return (f.message or "").startswith(("疑似「", "拼音写法"))


def pcm16_to_float(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


class LiveSession:
    def __init__(self, screener, engine: AsrEngine, options: LiveOptions | None = None, *,
                 clock=time.monotonic, hallucinations: HallucinationFilter | None = None):
        self.screener = screener
        self.options = options or LiveOptions()
        self.clock = clock
        opts = self.options
        hot = hotword_string(screener.lexicon, opts.category, max_chars=opts.hotword_chars) \
            if opts.hotwords and opts.static_hotwords else None
        self.hotwords = hot
        biaser = NearTermFinder(screener.lexicon, opts.category).near if opts.hotwords and opts.contextual else None
        self.transcriber = StreamingTranscriber(engine.decoder, lock=engine.lock, hotwords=hot,
                                                config=self.options.stream, hallucinations=hallucinations,
                                                biaser=biaser)
        self.t0: float | None = None
        self._in_lock = threading.Lock()
        self._incoming: list[np.ndarray] = []
        self._incoming_samples = 0
        self._received = 0  # samples pushed so far (never goes down, unlike the queues)
        self._odd = b""
        self.committed_len = 0  # characters of final transcript so far
        self.text_parts: list[str] = []
        self.tail: list[Char] = []
        self._seg: list[Char] = []
        self.segments: list[dict] = []  # closed utterances {"start", "end", "text"}
        self.new_segments: list[dict] = []  # closed since the caller last took them
        self.alerts: list[Alert] = []
        self.findings: list[dict] = []
        self._candidates: list[Alert] = []
        self._urgent = False
        self._last_partial = ""
        self._allow_prefixes = self._lawful_prefixes()
        self.finished = False
        _warm(screener)

    # ---------------------------------------------------------------- input (any thread)
    def start(self) -> None:
        if self.t0 is None:
            self.t0 = self.clock()

    def push_pcm(self, data: bytes) -> None:
        """16 kHz mono signed 16-bit little-endian PCM, any frame size."""
        if not data:
            return
        data = self._odd + bytes(data)
        cut = len(data) - (len(data) % 2)
        self._odd = data[cut:]
        self.push_audio(pcm16_to_float(data[:cut]))

    def push_audio(self, samples: np.ndarray) -> None:
        self.start()
        with self._in_lock:
            self._incoming.append(np.asarray(samples, dtype=np.float32))
            self._incoming_samples += len(samples)
            self._received += len(samples)

    @property
    def received_seconds(self) -> float:
        return self._received / SAMPLE_RATE

    def backlog_seconds(self) -> float:
        """Audio received but not yet decoded."""
        with self._in_lock:
            return (self._received - self.transcriber.now) / SAMPLE_RATE

    def ready(self) -> bool:
        """Time to decode: a chunk of new audio is in (0.2 s while a candidate alert waits)."""
        need = self.options.confirm_s if self._urgent else self.options.stream.chunk_s
        return self.backlog_seconds() >= need

    # ---------------------------------------------------------------- decoding (one thread)
    def _drain(self) -> None:
        with self._in_lock:
            parts, self._incoming, self._incoming_samples = self._incoming, [], 0
        if parts:
            self.transcriber.push(np.concatenate(parts))

    def step(self) -> list[dict]:
        """At most one decode; [] when there is not enough new audio."""
        self._drain()
        need = self.options.confirm_s if self._urgent else None
        res = self.transcriber.step(min_new_s=need)
        return self._handle(res)

    def finish(self) -> list[dict]:
        """End of stream: decode what is left, commit everything, close the last utterance."""
        self._drain()
        events: list[dict] = []
        results = self.transcriber.flush()
        for i, res in enumerate(results):
            events += self._handle(res, final=i == len(results) - 1)
        if self._seg:
            self._close_segment()
        self.finished = True
        return events

    # ---------------------------------------------------------------- internals
    def _now(self) -> float:
        return round(self.clock() - (self.t0 if self.t0 is not None else self.clock()), 3)

    def _handle(self, res: StepResult, final: bool = False) -> list[dict]:
        events: list[dict] = []
        if res.committed:
            text = "".join(c.ch for c in res.committed)
            self.text_parts.append(text)
            self.committed_len += len(res.committed)
            self.tail = (self.tail + res.committed)[-TAIL_CHARS:]
            self._seg.extend(res.committed)
            if any(not is_punct(c.ch) for c in res.committed):
                events.append({"type": "transcript", "start": res.committed[0].start,
                               "end": res.committed[-1].end, "text": text, "final": True})
        if res.utterance_end and self._seg:
            self._close_segment()
        elif len(self._seg) >= 200:  # a monologue without pauses: keep record rows bounded
            self._close_segment()
        if self.options.partials and res.decoded:
            partial = "".join(c.ch for c in res.tentative)
            if partial != self._last_partial:
                self._last_partial = partial
                if res.tentative:
                    events.append({"type": "transcript", "start": res.tentative[0].start,
                                   "end": res.tentative[-1].end, "text": partial, "final": False})
        if res.decoded or res.committed:
            events += self._screen(res, at_end=final or (res.utterance_end and not res.tentative))
        return events

    def _close_segment(self) -> None:
        chars = [c for c in self._seg]
        while chars and is_punct(chars[0].ch):
            chars.pop(0)
        self._seg = []
        if not any(not is_punct(c.ch) for c in chars):
            return
        seg = {"start": chars[0].start, "end": chars[-1].end, "text": "".join(c.ch for c in chars)}
        self.segments.append(seg)
        self.new_segments.append(seg)

    def take_segments(self) -> list[dict]:
        out, self.new_segments = self.new_segments, []
        return out

    @property
    def transcript(self) -> str:
        return "".join(self.text_parts)

    def _lawful_prefixes(self) -> set[str]:
        """Proper prefixes of every lawful look-alike (第一次 → 第, 第一)."""
        lex = self.screener.lexicon
        terms = [t for t, _ in getattr(lex, "allow", ())]
        for rule in lex.rules:
            terms.extend(getattr(rule.entry, "allow", ()) or ())
        out = set()
        for t in terms:
            for k in range(1, len(t)):
                out.add(t[:k])
        return out

    def _held(self, text: str, f: Finding) -> bool:
        """Could the text, once it grows, make this finding a lawful phrase?"""
        longest = 8
        for i in range(max(0, len(text) - longest), f.start + 1):
            if text[i:] in self._allow_prefixes:
                return True
        return False

    def _duplicate(self, rule_id: str, a0: float, a1: float, text: str) -> bool:
        for a in self.alerts:
            overlap = min(a.end, a1) - max(a.start, a0)
            if overlap <= -0.05:
                continue
            shorter = max(0.05, min(a.end - a.start, a1 - a0))
            if a.rule_id == rule_id or a.text in text or text in a.text or overlap >= 0.5 * shorter:
                return True
        return False

    def _screen(self, res: StepResult, at_end: bool) -> list[dict]:
        chars = self.tail + list(res.tentative)
        if not chars:
            self._candidates, self._urgent = [], False
            return []
        text = "".join(c.ch for c in chars)
        base = self.committed_len - len(self.tail)
        n_final = len(self.tail)
        found = self.screener.scan(text, category=self.options.category, source="asr")
        events: list[dict] = []
        candidates: list[Alert] = []
        for f in found:
            if not self.options.homophones and is_homophone(f):
                continue
            span = chars[f.start:f.end]
            if not span:
                continue
            a0, a1 = min(c.start for c in span), max(c.end for c in span)
            if self._duplicate(f.rule_id, a0, a1, f.text):
                continue
            if not at_end and self._held(text, f):
                continue
            agreed = any(p.rule_id == f.rule_id and a0 < p.end + 0.3 and p.start < a1 + 0.3 for p in self._candidates)
            if f.end <= n_final or agreed or at_end:
                events.append(self._alert(f, base, a0, a1))
            else:
                candidates.append(Alert(f.rule_id, a0, a1, f.text))
        self._candidates = candidates
        self._urgent = bool(candidates)
        return events

    def _alert(self, f: Finding, base: int, a0: float, a1: float) -> dict:
        if a1 <= a0:  # characters squeezed to zero length at a window's end
            a1 = a0 + 0.05 * (f.end - f.start)
        self.alerts.append(Alert(f.rule_id, a0, a1, f.text))
        g = f.shifted(base).with_audio(a0, a1)
        area = self.screener.lexicon.areas.get(f.category)
        ev = {"type": "finding", "audio_start": g.audio_start, "audio_end": g.audio_end, "emitted_at": self._now()}
        ev.update(g.to_dict())
        ev["cue"] = make_cue(g, area.title if area is not None else None)
        self.findings.append(ev)
        return ev
