"""Drive a :class:`LiveSession` from a frame iterator (CLI, benchmark, API URL sessions).

- ``threaded=False``: push a frame, decode whenever a chunk is ready — as fast as
  the CPU allows, and deterministic (tests, offline files);
- ``threaded=True``: a reader thread pushes frames as they come (paced at 1× for
  ``--realtime``, or as a live URL / stdin delivers them) while this thread
  decodes; when decoding falls behind, one decode covers the backlog.
"""

from __future__ import annotations

import threading
from typing import Callable, Iterable, Iterator

from screening.asr.live import LiveSession
from screening.asr.sources import paced

Emit = Callable[[list[dict]], None]


class LimitReached(Exception):
    pass


def run_frames(session: LiveSession, frames: Iterable[bytes], emit: Emit, *, threaded: bool = False,
               realtime: bool = False, stop: threading.Event | None = None,
               max_seconds: float | None = None) -> str:
    """Feed ``frames`` through ``session`` until they end (or ``stop`` is set).

    Returns ``"finished"``, ``"stopped"`` or ``"limit"`` (``max_seconds`` of audio reached).
    Errors from the source are raised after the audio already received is finished.
    """
    stop = stop or threading.Event()
    it: Iterator[bytes] = iter(frames)
    if realtime:
        it = paced(it)
    status = "finished"
    if not threaded:
        session.start()
        for frame in it:
            if stop.is_set():
                status = "stopped"
                break
            session.push_pcm(frame)
            if max_seconds is not None and session.received_seconds >= max_seconds:
                status = "limit"
                break
            while session.ready():
                emit(session.step())
        emit(session.finish())
        return status

    wake = threading.Event()
    done = threading.Event()
    failure: list[BaseException] = []
    outcome = {"status": "finished"}

    def pump() -> None:
        try:
            for frame in it:
                if stop.is_set():
                    outcome["status"] = "stopped"
                    break
                session.push_pcm(frame)
                wake.set()
                if max_seconds is not None and session.received_seconds >= max_seconds:
                    outcome["status"] = "limit"
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the decoding thread
            failure.append(exc)
        finally:
            done.set()
            wake.set()

    session.start()
    reader = threading.Thread(target=pump, name="audio-source", daemon=True)
    reader.start()
    while True:
        if session.ready():
            emit(session.step())
            continue
        if done.is_set():
            break
        wake.wait(0.05)
        wake.clear()
    if stop.is_set() and outcome["status"] == "finished":
        outcome["status"] = "stopped"
    emit(session.finish())
    reader.join(timeout=1.0)
    if failure:
        raise failure[0]
    return outcome["status"]
