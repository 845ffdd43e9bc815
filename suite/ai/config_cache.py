"""A per-process memo of model and quota configuration, shared-invalidated through the cache.

The gateway reads the same configuration on every call; reading it from the database each
time cost more than the whole 2 ms overhead budget. Writers call `invalidate()`; other
processes see the new version within `RECHECK_S`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any, TypedDict, TypeVar

from django.core.cache import cache
from django.db import transaction

logger = logging.getLogger("suite.ai")
VERSION_KEY = "ai:config:version"
RECHECK_S = 1.0
T = TypeVar("T")

_memo: dict[tuple, Any] = {}


class _State(TypedDict):
    version: Any  # whatever the cache holds under VERSION_KEY; None before the first read
    checked: float  # time.monotonic() of the last read


_state: _State = {"version": None, "checked": 0.0}
_lock = threading.Lock()


def _refresh() -> None:
    now = time.monotonic()
    if now - _state["checked"] < RECHECK_S:
        return
    try:
        version = cache.get(VERSION_KEY, 0)
    except Exception:  # any cache backend's "unreachable": redis-py, memcached, ...
        # Configuration changes seldom; a call must not fail because Redis is away for a moment.
        # What this process holds stays in use, and the version is read again after RECHECK_S.
        logger.warning("config version unreadable; keeping this process's configuration")
        _state["checked"] = now
        return
    with _lock:
        if version != _state["version"]:
            _memo.clear()
            _state["version"] = version
        _state["checked"] = now


def memoize(key: tuple, compute: Callable[[], T], *, keep_none: bool = True) -> T:
    """`keep_none=False` for lookups by a caller-chosen key (a secret's hash): nobody may fill
    the memo with misses."""
    _refresh()
    try:
        return _memo[key]
    except KeyError:
        value = compute()
        if value is not None or keep_none:
            _memo[key] = value
        return value


def invalidate_on_commit() -> None:
    """For writers inside a transaction: now, and again after commit (a reader between the two
    may have cached the pre-commit rows under the new version)."""
    invalidate()
    transaction.on_commit(invalidate)


def invalidate() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:
        cache.set(VERSION_KEY, 1, None)
    with _lock:
        _memo.clear()
        _state["checked"] = 0.0
