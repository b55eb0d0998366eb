"""Streaming voice activity detection with the Silero VAD that faster-whisper bundles.

faster-whisper runs the ONNX model over a whole file at once; for a stream we
carry the model's LSTM state (h, c) and the 64-sample context between calls, which
gives exactly the same probabilities as the one-shot run.
"""

from __future__ import annotations

import numpy as np

WINDOW = 512  # samples per VAD frame at 16 kHz (32 ms)
CONTEXT = 64


class StreamingVad:
    """Feed float32 16 kHz audio; keeps one speech flag per 512-sample frame."""

    def __init__(self, threshold: float = 0.5, neg_threshold: float = 0.35):
        from faster_whisper.vad import get_vad_model

        self.session = get_vad_model().session
        self.threshold = threshold
        self.neg_threshold = neg_threshold
        self._h = np.zeros((1, 1, 128), np.float32)
        self._c = np.zeros((1, 1, 128), np.float32)
        self._ctx = np.zeros(CONTEXT, np.float32)
        self._pending = np.zeros(0, np.float32)
        self._speaking = False
        self.frames = 0  # frames processed since the start of the stream
        self.base = 0  # index of flags[0]
        self.flags = bytearray()  # 1 = speech, per frame, from ``base``
        self.last_speech_frame = -1

    def push(self, audio: np.ndarray) -> None:
        if len(audio) == 0:
            return
        buf = np.concatenate([self._pending, audio.astype(np.float32, copy=False)])
        n = len(buf) // WINDOW
        self._pending = buf[n * WINDOW:]
        if n == 0:
            return
        wins = buf[: n * WINDOW].reshape(n, WINDOW)
        ctxs = np.concatenate([self._ctx[None], wins[:-1, -CONTEXT:]], 0)
        x = np.ascontiguousarray(np.concatenate([ctxs, wins], 1))
        probs, self._h, self._c = self.session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._ctx = wins[-1, -CONTEXT:].copy()
        for p in np.asarray(probs).ravel():
            if self._speaking:
                self._speaking = p >= self.neg_threshold
            else:
                self._speaking = p >= self.threshold
            self.flags.append(1 if self._speaking else 0)
            if self._speaking:
                self.last_speech_frame = self.frames
            self.frames += 1

    def forget_before(self, sample: int) -> None:
        """Drop flags for audio before ``sample`` (bounded memory)."""
        frame = sample // WINDOW
        if frame > self.base:
            cut = min(frame - self.base, len(self.flags))
            del self.flags[:cut]
            self.base += cut

    def speech_between(self, start: int, end: int) -> bool:
        """Any speech frame overlapping samples [start, end)?"""
        f0 = max(start // WINDOW, self.base)
        f1 = min((end + WINDOW - 1) // WINDOW, self.base + len(self.flags))
        if f1 <= f0:
            return False
        return 1 in self.flags[f0 - self.base:f1 - self.base]

    def last_speech_end(self) -> int:
        """Sample index where the latest speech frame ends (-1: none yet)."""
        return -1 if self.last_speech_frame < 0 else (self.last_speech_frame + 1) * WINDOW

    @property
    def processed(self) -> int:
        return self.frames * WINDOW

    @property
    def speaking(self) -> bool:
        return self._speaking
