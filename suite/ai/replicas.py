"""Several servers of one model (vLLM replicas, two llama.cpp hosts) behind one model entry.

Each request goes to the server with the fewest of this process's requests in flight, ties in
turn; a server that failed (no connection, a timeout, a 5xx) sits out `cooldown_s` while another
can serve, and the request moves on to the next server. Counts are per process: each web and
worker process balances its own requests, which is enough to spread load and needs no shared
state on the hot path.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from .errors import BackendUnavailable

T = TypeVar("T")


class Replicas:
    def __init__(self, urls: list[str], cooldown_s: float):
        self.urls = list(dict.fromkeys(urls))
        self.cooldown_s = cooldown_s
        self._in_flight = dict.fromkeys(self.urls, 0)
        self._failed_at: dict[str, float] = {}
        self._turn = 0
        self._lock = threading.Lock()

    def order(self) -> list[str]:
        """Servers to try, best first: healthy before cooling down, then fewest in flight,
        then whose turn it is."""
        now = time.monotonic()
        with self._lock:
            self._turn += 1
            count, turn = len(self.urls), self._turn

            def rank(item: tuple[int, str]) -> tuple[bool, int, int]:
                index, url = item
                cooling = now - self._failed_at.get(url, -math.inf) < self.cooldown_s
                return cooling, self._in_flight[url], (index - turn) % count

            return [url for _index, url in sorted(enumerate(self.urls), key=rank)]

    @contextmanager
    def lease(self, url: str) -> Iterator[None]:
        """Counts a request in flight on `url`; a BackendUnavailable puts the server in cooldown."""
        with self._lock:
            self._in_flight[url] += 1
        try:
            yield
        except BackendUnavailable:
            with self._lock:
                self._failed_at[url] = time.monotonic()
            raise
        finally:
            with self._lock:
                self._in_flight[url] -= 1

    def first_answer(self, send: Callable[[str], T]) -> T:
        """`send(url)` on each server in order until one answers; the last failure if none."""
        failure: BackendUnavailable | None = None
        for url in self.order():
            try:
                with self.lease(url):
                    return send(url)
            except BackendUnavailable as exc:
                failure = exc
        assert failure is not None  # there is always at least one server
        raise failure
