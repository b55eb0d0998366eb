"""In-process fan-out of queue events (new comments, spike alerts) to SSE subscribers."""

from __future__ import annotations

import asyncio
import itertools


class Broadcaster:
    """Each subscriber gets a bounded queue; a slow subscriber loses its oldest events, never blocks others."""

    def __init__(self, maxsize: int = 1000):
        self.maxsize = maxsize
        self._subs: set[asyncio.Queue] = set()
        self._ids = itertools.count(1)

    def subscribe(self) -> asyncio.Queue:
        q: asyncio.Queue = asyncio.Queue(self.maxsize)
        self._subs.add(q)
        return q

    def unsubscribe(self, q: asyncio.Queue) -> None:
        self._subs.discard(q)

    @property
    def subscribers(self) -> int:
        return len(self._subs)

    def publish(self, kind: str, data: dict) -> int:
        """Queue an event for every subscriber (call from the event loop); returns its id."""
        event_id = next(self._ids)
        for q in list(self._subs):
            if q.full():
                try:
                    q.get_nowait()
                except asyncio.QueueEmpty:
                    pass
            q.put_nowait((event_id, kind, data))
        return event_id
