import time
from collections.abc import Callable
from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist

T = TypeVar("T")


def after_the_response(read: Callable[[], T], timeout_s: float = 10.0) -> T:
    """The /v1 API writes a call's usage row just after the response: a client of a live server
    can have its answer a moment before the row exists."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return read()
        except ObjectDoesNotExist:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)
