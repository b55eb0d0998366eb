"""One Whisper decode over a short audio window, with word timestamps.

``WhisperModel.transcribe`` always pads audio to a 30 s window: on 2 CPU cores
the encoder alone then costs ~0.6 s per call, too slow to re-decode every 0.5 s.
CTranslate2 accepts a shorter mel input, so here the window is encoded at its
own length (rounded up, plus a little padding): ~0.08 s for 10 s of audio.

The decoder can be given:
- ``prompt``: committed text from before the window (bounded), as Whisper's
  previous-text context;
- ``hotwords``: a bounded list of lexicon terms, put ahead of the prompt;
- ``prefix``: forced start of the output.  Measured: CTranslate2 runs forced
  prefix tokens one decoder step each (~4.5 ms/token here, vs ~8 ms for a
  generated one), so forcing the committed text saves little; the streaming
  loop keeps windows short instead and does not use it.

Everything in the ``<|startofprev|>`` part (hotwords + prompt) is one decoder
pass, so its length costs almost nothing; it is bounded for quality (Whisper
was trained with at most 223 prompt tokens, and long hotword lists bias it
towards writing terms that were not said).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field

import numpy as np

SAMPLE_RATE = 16000
FRAMES_PER_SECOND = 100  # mel frames (hop 160)


@dataclass(frozen=True, slots=True)
class Word:
    text: str
    start: float  # seconds, relative to the decoded window (caller shifts)
    end: float
    prob: float = 1.0

    def shifted(self, offset: float) -> "Word":
        return Word(self.text, round(self.start + offset, 3), round(self.end + offset, 3), self.prob)


@dataclass
class DecodeResult:
    words: list[Word] = field(default_factory=list)  # prefix words first, then the new ones
    n_prefix_words: int = 0
    no_speech_prob: float = 0.0
    avg_logprob: float = 0.0
    compression_ratio: float = 0.0
    seconds: float = 0.0
    timings: dict = field(default_factory=dict)  # features/encode/generate/align seconds

    @property
    def new_words(self) -> list[Word]:
        return self.words[self.n_prefix_words:]

    @property
    def text(self) -> str:
        return "".join(w.text for w in self.words)


def compression_ratio(text: str) -> float:
    raw = text.encode("utf-8")
    return len(raw) / max(1, len(zlib.compress(raw)))


class WindowDecoder:
    """Stateless decoding of one window.  Not thread-safe: callers hold a lock."""

    def __init__(self, model, *, language: str = "zh", beam_size: int = 1,
                 pad_seconds: float = 1.0, min_seconds: float = 3.0,
                 max_prompt_tokens: int = 64, max_hotword_tokens: int = 96):
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        self.model = model
        self.tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language)
        self.suppress = list(get_suppressed_tokens(self.tokenizer, [-1]))
        self.beam_size = beam_size
        self.pad_seconds = pad_seconds
        self.min_seconds = min_seconds
        self.max_prompt_tokens = max_prompt_tokens
        self.max_hotword_tokens = max_hotword_tokens
        self.max_length = 448  # Whisper's decoder context, prompt included

    # -- prompt ----------------------------------------------------------------
    def encode_text(self, text: str) -> list[int]:
        return self.tokenizer.encode(text) if text else []

    def hotword_tokens(self, hotwords: str | None) -> list[int]:
        if not hotwords:
            return []
        return self.encode_text(" " + hotwords.strip())[: self.max_hotword_tokens]

    def build_prompt(self, *, prompt: str, prefix_tokens: list[int], hotwords: str | None) -> list[int]:
        tok = self.tokenizer
        hot = self.hotword_tokens(hotwords)
        prev = self.encode_text(prompt)[-self.max_prompt_tokens:] if prompt else []
        out: list[int] = []
        if hot or prev:
            out.append(tok.sot_prev)
            out.extend(hot)
            out.extend(prev)
        out.extend(tok.sot_sequence)
        out.append(tok.no_timestamps)
        out.extend(prefix_tokens)
        return out

    # -- decoding --------------------------------------------------------------
    def features(self, audio: np.ndarray) -> tuple[np.ndarray, int]:
        """Log-mel of ``audio`` padded to a bucketed length; returns (features, content frames)."""
        fe = self.model.feature_extractor
        feats = fe(audio, padding=0)
        content = min(feats.shape[-1], len(audio) // 160)
        want = max(self.min_seconds, len(audio) / SAMPLE_RATE + self.pad_seconds)
        frames = int(np.ceil(want)) * FRAMES_PER_SECOND  # whole seconds: few distinct shapes
        frames = min(frames, 3000)
        if feats.shape[-1] >= frames:
            feats = feats[:, :frames]
        else:
            # pad with the log-mel floor of silence (as Whisper's own zero padding does)
            feats = np.pad(feats, ((0, 0), (0, frames - feats.shape[-1])), constant_values=feats.min() if feats.size else -1.5)
        return np.ascontiguousarray(feats, dtype=np.float32), content

    def decode(self, audio: np.ndarray, *, prefix: str = "", prompt: str = "",
               hotwords: str | None = None, max_new_tokens: int | None = None) -> DecodeResult:
        t0 = time.perf_counter()
        audio = np.asarray(audio, dtype=np.float32)
        if len(audio) < SAMPLE_RATE // 10:
            return DecodeResult()
        feats, content_frames = self.features(audio)
        t1 = time.perf_counter()
        enc = self.model.encode(feats)
        t2 = time.perf_counter()
        prefix_tokens = self.encode_text(prefix)
        prompt_ids = self.build_prompt(prompt=prompt, prefix_tokens=prefix_tokens, hotwords=hotwords)
        seconds = len(audio) / SAMPLE_RATE
        if max_new_tokens is None:
            max_new_tokens = int(10 + 8 * seconds)  # Mandarin: ~4-6 chars/s, <=~1.5 tokens per char
        max_length = min(self.max_length, len(prompt_ids) + max_new_tokens)
        res = self.model.model.generate(
            enc, [prompt_ids], beam_size=self.beam_size, max_length=max_length,
            return_scores=True, return_no_speech_prob=True,
            suppress_blank=not prefix_tokens, suppress_tokens=self.suppress,
        )[0]
        t3 = time.perf_counter()
        seq = list(res.sequences_ids[0])
        if prefix_tokens and seq[: len(prefix_tokens)] == prefix_tokens:
            seq = seq[len(prefix_tokens):]  # CTranslate2 returns the forced prefix too
        new_tokens = [t for t in seq if t < self.tokenizer.eot]
        seq_len = len(new_tokens)
        avg_logprob = res.scores[0] * (seq_len ** 1.0) / (seq_len + 1) if res.scores else 0.0
        all_tokens = prefix_tokens + new_tokens
        text_new = self.tokenizer.decode(new_tokens)
        out = DecodeResult(no_speech_prob=float(res.no_speech_prob), avg_logprob=float(avg_logprob),
                           compression_ratio=compression_ratio(text_new) if text_new else 0.0)
        out.timings = {"features": t1 - t0, "encode": t2 - t1, "generate": t3 - t2, "align": 0.0}
        if not all_tokens:
            out.seconds = time.perf_counter() - t0
            return out
        aligned = self.model.find_alignment(self.tokenizer, [all_tokens], enc, content_frames)[0]
        limit = seconds
        words: list[Word] = []
        n_prefix = 0
        consumed = 0
        for w in aligned:
            start = float(min(w["start"], limit))
            end = float(min(max(w["end"], start), limit))
            words.append(Word(w["word"], round(start, 3), round(end, 3), float(w["probability"])))
            consumed += len(w["tokens"])
            if consumed <= len(prefix_tokens):
                n_prefix = len(words)
        out.words = words
        out.n_prefix_words = n_prefix
        out.seconds = time.perf_counter() - t0
        out.timings["align"] = out.seconds - (t3 - t0)
        return out
