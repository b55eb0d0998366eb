"""Audio sources → 16 kHz mono s16le PCM frames.

- a file: any format PyAV (FFmpeg) decodes, audio or video; resampled;
- a URL: rtmp/rtmps/rtsp/srt/http(s) (HLS, http-flv...) through PyAV;
- ``-``: raw 16 kHz mono s16le PCM on stdin.

``paced`` yields frames no faster than real time (``--realtime``).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterator

SAMPLE_RATE = 16000
BYTES_PER_SECOND = SAMPLE_RATE * 2
URL_SCHEMES = ("rtmp", "rtmps", "rtsp", "rtsps", "srt", "http", "https")


class SourceError(Exception):
    """The source cannot be opened or decoded.  Message: Chinese, then English."""


def is_url(spec: str) -> bool:
    return "://" in spec and spec.split("://", 1)[0].lower() in URL_SCHEMES


def _clip(s: object, n: int = 200) -> str:
    s = str(s)
    return s if len(s) <= n else s[:n] + "…"


class AvSource:
    """Decode the first audio stream of a file or URL to 16 kHz mono s16le."""

    def __init__(self, target: str, *, kind: str, frame_s: float = 0.1, timeout: float = 10.0):
        self.target = target
        self.kind = kind
        self.name = target if kind == "url" else Path(target).name
        self.frame_bytes = int(frame_s * SAMPLE_RATE) * 2
        self.timeout = timeout
        self._container = None
        self._open()

    def _open(self) -> None:
        import av

        if self.kind == "file":
            p = Path(self.target)
            if not p.exists():
                raise SourceError(f"文件不存在：{self.target} / file not found")
            if p.is_dir():
                raise SourceError(f"这是一个目录，不是音频文件：{self.target} / is a directory")
            if p.stat().st_size == 0:
                raise SourceError(f"音频文件为空（0 字节）：{self.target} / the file is empty")
        try:
            opts = {"rw_timeout": str(int(self.timeout * 1_000_000))} if self.kind == "url" else None
            self._container = av.open(self.target, mode="r", timeout=(self.timeout, self.timeout), options=opts)
        except Exception as exc:  # noqa: BLE001 - FFmpeg raises many error types
            what = "无法打开直播流" if self.kind == "url" else "无法解码该文件（不是音频/视频，或已损坏）"
            raise SourceError(f"{what}：{self.name} / cannot open {self.kind}: {_clip(exc)}") from exc
        if not self._container.streams.audio:
            self.close()
            raise SourceError(f"没有找到音轨：{self.name} / no audio stream in the source")

    def frames(self) -> Iterator[bytes]:
        import av

        container = self._container
        stream = container.streams.audio[0]
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        buf = bytearray()
        got_any = False
        try:
            for packet in container.demux(stream):
                for frame in packet.decode():
                    for out in resampler.resample(frame):
                        buf += bytes(out.planes[0])[: out.samples * 2]
                    while len(buf) >= self.frame_bytes:
                        got_any = True
                        yield bytes(buf[: self.frame_bytes])
                        del buf[: self.frame_bytes]
            for out in resampler.resample(None):
                buf += bytes(out.planes[0])[: out.samples * 2]
        except av.error.FFmpegError as exc:
            if not got_any and not buf:
                raise SourceError(f"音频解码失败：{self.name} / cannot decode audio: {_clip(exc)}") from exc
            # a broken tail (truncated file, dropped stream): keep what was decoded
        finally:
            self.close()
        if buf:
            got_any = True
            yield bytes(buf)
        if not got_any:
            raise SourceError(f"没有解码出任何音频：{self.name} / no audio could be decoded")

    def close(self) -> None:
        if self._container is not None:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001
                pass
            self._container = None


class PcmStdinSource:
    """Raw 16 kHz mono s16le on a binary stream (stdin by default)."""

    kind = "stdin"
    name = "stdin"

    def __init__(self, stream=None, *, frame_s: float = 0.1):
        self.stream = stream if stream is not None else sys.stdin.buffer
        self.frame_bytes = int(frame_s * SAMPLE_RATE) * 2

    def frames(self) -> Iterator[bytes]:
        read = getattr(self.stream, "read1", None) or self.stream.read
        buf = bytearray()
        while True:
            data = read(self.frame_bytes)
            if not data:
                break
            buf += data
            while len(buf) >= self.frame_bytes:
                yield bytes(buf[: self.frame_bytes])
                del buf[: self.frame_bytes]
        if buf:
            yield bytes(buf[: len(buf) - len(buf) % 2])

    def close(self) -> None:
        pass


def open_source(spec: str, *, frame_s: float = 0.1, timeout: float = 10.0):
    """A source for a CLI argument: ``-``, a URL or a file path."""
    if spec == "-":
        return PcmStdinSource(frame_s=frame_s)
    if is_url(spec):
        return AvSource(spec, kind="url", frame_s=frame_s, timeout=timeout)
    if "://" in spec:
        raise SourceError(f"不支持的地址协议：{spec.split('://', 1)[0]}（支持 {', '.join(URL_SCHEMES)}）/ unsupported URL scheme")
    return AvSource(os.fspath(spec), kind="file", frame_s=frame_s, timeout=timeout)


def paced(frames: Iterator[bytes], *, speed: float = 1.0, clock=time.monotonic, sleep=time.sleep) -> Iterator[bytes]:
    """Yield each frame when its last sample would have been heard live (1× speed)."""
    t0 = None
    sent = 0.0
    for frame in frames:
        if t0 is None:
            t0 = clock()
        sent += len(frame) / BYTES_PER_SECOND
        delay = t0 + sent / speed - clock()
        if delay > 0:
            sleep(delay)
        yield frame
