"""A dependency-free progress bar on stderr (redrawn on a TTY, a line per 10 % otherwise)."""

from __future__ import annotations

import sys
import time


class Progress:
    def __init__(self, total: int, label: str, *, stream=None, enabled: bool = True):
        self.total = max(int(total), 1)
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.done = 0
        self.t0 = time.perf_counter()
        self._tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self._last_decile = -1
        self._last_draw = 0.0

    def update(self, n: int = 1, note: str = "") -> None:
        self.done = min(self.total, self.done + n)
        if not self.enabled:
            return
        now = time.perf_counter()
        if self._tty:
            if now - self._last_draw < 0.1 and self.done < self.total:
                return
            self._last_draw = now
            frac = self.done / self.total
            bar = "█" * int(frac * 30) + "·" * (30 - int(frac * 30))
            rate = self.done / max(now - self.t0, 1e-9)
            self.stream.write(f"\r{self.label} {bar} {self.done}/{self.total} {rate:,.0f}/s {note}  ")
            self.stream.flush()
        else:
            decile = int(10 * self.done / self.total)
            if decile != self._last_decile:
                self._last_decile = decile
                self.stream.write(f"{self.label}: {self.done}/{self.total} ({decile * 10}%) {note}\n")
                self.stream.flush()

    def close(self, note: str = "") -> None:
        if not self.enabled:
            return
        dt = time.perf_counter() - self.t0
        if self._tty:
            self.stream.write("\n")
        self.stream.write(f"{self.label}: 完成 {self.done} 项，用时 {dt:.1f} 秒 {note}\n")
        self.stream.flush()
