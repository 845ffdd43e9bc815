"""Per-user limits on gallery likes and comments (comment spam, like/unlike churn) and on
captions written by the language model (each press holds one of the model server's few slots
for seconds), counted in the cache in fixed windows, so every web process shares them when the
cache is Redis."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.translation import gettext as _


@dataclass(frozen=True)
class Limit:
    count: int
    window_s: int


LIMITS: dict[str, tuple[Limit, ...]] = {
    "like": (Limit(30, 60), Limit(500, 86400)),
    "comment": (Limit(5, 60), Limit(60, 86400)),
    "captions": (Limit(5, 60), Limit(50, 86400)),
}
KEY_PREFIX = "vr-rate"


class RateLimited(Exception):
    """Too many of one action; `retry_after` seconds until the window that refused it ends."""

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _now() -> float:
    return time.time()


def rate_check(*, tenant, user, action: str) -> None:
    """Count one `action` by `user` in `tenant`; raises RateLimited past any of its limits."""
    now = _now()
    for limit in LIMITS[action]:
        window = int(now // limit.window_s)
        key = f"{KEY_PREFIX}:{action}:{tenant.pk}:{user.pk}:{limit.window_s}:{window}"
        cache.add(key, 0, timeout=limit.window_s + 60)
        if cache.incr(key) > limit.count:
            retry_after = max(1, math.ceil((window + 1) * limit.window_s - now))
            raise RateLimited(
                _("Too many in a short time; try again in %(s)s seconds.") % {"s": retry_after},
                retry_after,
            )
