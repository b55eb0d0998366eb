"""Incremental transcription: VAD + rolling window + LocalAgreement-2.

Every ``chunk_s`` (0.5 s) of new audio the current window ``[ws, now]`` is decoded
again.  Characters after the already committed text become final once two
consecutive decodes agree on them (LocalAgreement-2).  When the VAD hears the
speaker stop (``endpoint_silence_s``), one last decode commits the rest of the
utterance.  The window is cut at pauses inside committed text once it is longer
than ``soft_window_s`` and never grows past ``max_window_s``; committed text
before the window goes to Whisper as a bounded prompt.  So the cost of a decode
depends on the window, not on how long the stream has run.
"""

from __future__ import annotations

import threading
from contextlib import nullcontext
from dataclasses import dataclass, field

import numpy as np

from screening.asr.decoder import SAMPLE_RATE, WindowDecoder, compression_ratio
from screening.asr.postprocess import Char, HallucinationFilter, is_punct, trim_repeats, words_to_chars
from screening.asr.vad import StreamingVad


@dataclass
class StreamConfig:
    chunk_s: float = 0.5  # decode cadence
    endpoint_silence_s: float = 0.5  # silence that ends an utterance
    preroll_s: float = 0.3  # audio kept before speech starts
    tail_pad_s: float = 0.25  # audio kept after speech ends in the final decode
    soft_window_s: float = 3.0  # cut at a pause in committed text past this
    max_window_s: float = 12.0  # hard bound of a decode window
    max_advance_s: float = 2.0  # new audio taken per step when behind
    force_commit_s: float = 2.0  # at the hard bound, tentative text older than this is committed
    prompt_chars: int = 40  # committed text given as Whisper's previous-text prompt
    max_no_speech_prob: float = 0.6
    min_avg_logprob: float = -1.0
    max_compression_ratio: float = 2.4


@dataclass
class StepResult:
    committed: list[Char] = field(default_factory=list)
    tentative: list[Char] = field(default_factory=list)
    utterance_end: bool = False
    decoded: bool = False


@dataclass
class StreamStats:
    decodes: int = 0
    decode_seconds: float = 0.0
    max_window_s: float = 0.0
    audio_seconds: float = 0.0
    phases: dict = field(default_factory=dict)  # decoder time by phase (features/encode/generate/align)


def _text(chars: list[Char]) -> str:
    return "".join(c.ch for c in chars)


def align_end(ref: str, hyp: str) -> int:
    """Index in ``hyp`` where the best match of all of ``ref`` (from the start) ends."""
    if not ref:
        return 0
    n = len(hyp)
    prev = list(range(n + 1))
    for i, rc in enumerate(ref, 1):
        cur = [i] + [0] * n
        for j in range(1, n + 1):
            hc = hyp[j - 1]
            if rc == hc:
                cost = 0.0
            elif is_punct(rc) or is_punct(hc):
                cost = 0.5 if is_punct(rc) and is_punct(hc) else 1.1  # punctuation is skipped, not replaced
            else:
                cost = 0.9  # a revised character (面生 → 面霜) rather than one dropped and one added
            cur[j] = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
        prev = cur
    best = min(prev)
    return prev.index(best)


def _overlap(context: str, hyp: list[Char], longest: int = 16) -> int:
    """How many leading chars of ``hyp`` repeat the end of ``context`` (punctuation ignored).

    After a cut the window may start a little before the last committed word and
    Whisper writes it again; those chars are dropped.
    """
    ctx = [c for c in context if not is_punct(c)]
    pos = [i for i, c in enumerate(hyp) if not is_punct(c.ch)]
    bare = "".join(hyp[i].ch for i in pos)
    for k in range(min(longest, len(ctx), len(bare)), 0, -1):
        if bare[:k] == "".join(ctx[-k:]) and (k >= 2 or len(bare) > 1):
            return pos[k - 1] + 1
    return 0


class StreamingTranscriber:
    def __init__(self, decoder: WindowDecoder, *, lock: threading.Lock | None = None,
                 hotwords: str | None = None, config: StreamConfig | None = None,
                 hallucinations: HallucinationFilter | None = None, biaser=None):
        self.decoder = decoder
        self.lock = lock or nullcontext()
        self.hotwords = hotwords
        self.biaser = biaser  # text -> lexicon terms that sound like part of it (contextual hotwords)
        self.dynamic: list[str] = []
        self.cfg = config or StreamConfig()
        self.filter = hallucinations or HallucinationFilter()
        self.vad = StreamingVad()
        self.stats = StreamStats()
        self._audio = np.zeros(0, np.float32)
        self._audio_base = 0  # absolute sample index of _audio[0]
        self.total = 0  # samples received
        self.now = 0  # samples "heard" by the transcriber
        self.ws = 0  # window start (samples)
        self.closed_upto = 0  # speech before this sample is final
        self.win_committed: list[Char] = []  # committed chars inside the window
        self.context = ""  # committed text before the window (bounded)
        self.prev_tail: list[Char] = []  # last hypothesis beyond the committed text
        self.commit_end = 0.0  # seconds
        self.utterance_start = True  # the window starts where an utterance starts (not at a cut inside one)

    # ---------------------------------------------------------------- input
    def push(self, audio: np.ndarray) -> None:
        audio = np.asarray(audio, dtype=np.float32).ravel()
        if not len(audio):
            return
        self._audio = np.concatenate([self._audio, audio])
        self.vad.push(audio)
        self.total += len(audio)
        self.stats.audio_seconds = self.total / SAMPLE_RATE

    def pending_seconds(self) -> float:
        return (self.total - self.now) / SAMPLE_RATE

    def ready(self) -> bool:
        return self.total - self.now >= int(self.cfg.chunk_s * SAMPLE_RATE)

    # ---------------------------------------------------------------- steps
    def step(self, final: bool = False, min_new_s: float | None = None) -> StepResult:
        """Decode once if at least ``min_new_s`` (default: one chunk) of new audio is in."""
        cfg = self.cfg
        chunk = int((cfg.chunk_s if min_new_s is None else min_new_s) * SAMPLE_RATE)
        target = min(self.total, self.now + int(cfg.max_advance_s * SAMPLE_RATE))
        if not final and target - self.now < chunk:
            return StepResult()
        self.now = target
        res = StepResult()
        since = max(self.ws, self.closed_upto)
        if not self.vad.speech_between(since, self.now) and not self.prev_tail:
            self._move_window(max(self.ws, self.now - int(cfg.preroll_s * SAMPLE_RATE)))
            return res
        lse = self.vad.last_speech_end()
        silent_for = self.now - lse if lse >= 0 else self.now
        if final or (not self.vad.speaking and silent_for >= cfg.endpoint_silence_s * SAMPLE_RATE):
            end = self.now if final else min(self.now, lse + int(cfg.tail_pad_s * SAMPLE_RATE))
            end = max(end, self.ws)
            tail = []
            if end - self.ws > SAMPLE_RATE // 10:
                tail = self._tail(self._decode(self.ws, end))
                if self._update_bias(tail):  # a term sounds near: decode once more, biased towards it
                    tail = self._tail(self._decode(self.ws, end))
            res.decoded = True
            res.committed = self._commit(tail)
            if self.win_committed and not is_punct(self.win_committed[-1].ch):
                stop = Char("。", self.commit_end, self.commit_end)  # utterance boundary for the matcher
                self.win_committed.append(stop)
                res.committed.append(stop)
            res.utterance_end = True
            self.prev_tail = []
            self.closed_upto = end
            self._cut(end / SAMPLE_RATE)
            self.utterance_start = True
            self.dynamic = []
            return res
        tail = self._tail(self._decode(self.ws, self.now))
        if self._update_bias(tail):  # before anything near the term is committed
            tail = self._tail(self._decode(self.ws, self.now))
        res.decoded = True
        n = 0
        while n < len(tail) and n < len(self.prev_tail) and tail[n].ch == self.prev_tail[n].ch:
            n += 1
        res.committed = self._commit(tail[:n])
        self.prev_tail = tail[n:]
        res.tentative = list(self.prev_tail)
        self._manage_window(res)
        return res

    def flush(self) -> list[StepResult]:
        """End of stream: process what is left and commit everything."""
        out = []
        while self.total - self.now >= int(self.cfg.chunk_s * SAMPLE_RATE):
            out.append(self.step())
        out.append(self.step(final=True))
        return out

    # ---------------------------------------------------------------- internals
    def _update_bias(self, tail: list[Char]) -> bool:
        """Add lexicon terms that sound like the not yet final text; True if any is new."""
        if self.biaser is None or not tail:
            return False
        near = [t for t in self.biaser(_text(tail)) if t not in self.dynamic]
        if near:
            self.dynamic = (near + self.dynamic)[:8]
        return bool(near)

    def _hotwords(self) -> str | None:
        if not self.dynamic:
            return self.hotwords
        return " ".join(self.dynamic + ([self.hotwords] if self.hotwords else []))

    def _decode(self, start: int, end: int) -> list[Char]:
        cfg = self.cfg
        a = self._audio[start - self._audio_base:end - self._audio_base]
        self.stats.max_window_s = max(self.stats.max_window_s, len(a) / SAMPLE_RATE)
        with self.lock:
            r = self.decoder.decode(a, prompt=self.context[-cfg.prompt_chars:], hotwords=self._hotwords())
        self.stats.decodes += 1
        self.stats.decode_seconds += r.seconds
        for k, v in r.timings.items():
            self.stats.phases[k] = self.stats.phases.get(k, 0.0) + v
        if r.no_speech_prob > cfg.max_no_speech_prob and r.avg_logprob < cfg.min_avg_logprob:
            return []
        chars = trim_repeats(words_to_chars(r.words, offset=start / SAMPLE_RATE))
        if compression_ratio(_text(chars)) > cfg.max_compression_ratio:
            return []  # a repetition loop that could not be trimmed
        return self.filter.clean(chars, whole=self.utterance_start and not self.win_committed)

    def _tail(self, hyp: list[Char]) -> list[Char]:
        """The part of a window hypothesis that comes after the committed text."""
        if self.win_committed:
            j = align_end(_text(self.win_committed), _text(hyp))
            hyp = hyp[j:]
        elif self.context:
            hyp = hyp[_overlap(self.context, hyp):]
        last = self.win_committed[-1].ch if self.win_committed else (self.context[-1:] or "，")
        while hyp and is_punct(hyp[0].ch) and is_punct(last):
            hyp = hyp[1:]
        return hyp

    def _commit(self, chars: list[Char]) -> list[Char]:
        out = []
        for c in chars:
            last = out[-1].ch if out else (self.win_committed[-1].ch if self.win_committed else (self.context[-1:] or "，"))
            if is_punct(c.ch) and is_punct(last):
                continue
            start = max(c.start, self.commit_end)
            c = Char(c.ch, round(start, 3), round(max(c.end, start), 3))
            out.append(c)
            self.commit_end = c.end
        self.win_committed.extend(out)
        return out

    def _manage_window(self, res: StepResult) -> None:
        cfg = self.cfg
        length = (self.now - self.ws) / SAMPLE_RATE
        if length <= cfg.soft_window_s:
            return
        cut = self._pause_cut()
        if cut is None and length > cfg.max_window_s:
            horizon = self.now / SAMPLE_RATE - cfg.force_commit_s
            forced = [c for c in self.prev_tail if c.end <= horizon]
            if forced:
                res.committed.extend(self._commit(forced))
                self.prev_tail = self.prev_tail[len(forced):]
            if self.win_committed:
                cut = self.win_committed[-1].end
            else:
                cut = self.now / SAMPLE_RATE - cfg.soft_window_s / 2
        if cut is not None:
            self._cut(cut)
            self.utterance_start = False

    def _pause_cut(self) -> float | None:
        """Latest pause inside committed text (punctuation or a >=120 ms gap)."""
        seq = [c for c in self.win_committed]
        n_committed = len(seq)
        seq += self.prev_tail[:1]
        nxt = None  # next non-punctuation char
        punct_between = False
        for k in range(len(seq) - 1, -1, -1):
            c = seq[k]
            if is_punct(c.ch):
                punct_between = True
                continue
            if nxt is not None and k < n_committed and (punct_between or nxt.start - c.end >= 0.12):
                return round((c.end + nxt.start) / 2, 3)
            nxt, punct_between = c, False
        return None

    def _cut(self, t: float) -> None:
        """Start the window at ``t`` seconds; committed text before it becomes prompt context."""
        keep = [c for c in self.win_committed if c.end > t]
        gone = self.win_committed[:len(self.win_committed) - len(keep)]
        self.context = (self.context + _text(gone))[-200:]
        self.win_committed = keep
        self._move_window(int(t * SAMPLE_RATE))

    def _move_window(self, ws: int) -> None:
        ws = max(self.ws, min(ws, self.now))
        self.ws = ws
        drop = ws - self._audio_base
        if drop > 0:
            self._audio = self._audio[drop:]
            self._audio_base = ws
            self.vad.forget_before(ws)
