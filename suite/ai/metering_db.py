"""Metering writes (quota counters, usage rows, audit entries).

On PostgreSQL they commit with synchronous_commit off (this module's transactions, and the
statements calling `ai_quota_add`, which sets it for its own): a commit no longer waits for the
WAL flush (several milliseconds each on ordinary disks, two of them per call), at the price of
losing the last fraction of a second of metering after a database crash. Never corruption, and
never a lost ticket or work order: only these writes opt in.

Inside `after_response` (the /v1 API) the writes that settle a call wait until its response has
been sent: the client does not wait for its own usage row. The reservation that guards every
limit is taken before the model runs, as always; only the refund of what was reserved and not
used, the usage row and the audit entry come later, on the same worker before it finishes the
request. If the process dies in between, the call stays charged at its reservation and has no
usage row (budgets err on the safe side).
"""

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.db import close_old_connections, connection, transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery
from django.http import HttpResponseBase

logger = logging.getLogger("suite.ai")

_deferring: ContextVar[bool] = ContextVar("metering_deferred", default=False)
# Per thread: a request's view, its response's closers and its request_finished receivers all
# run on the request's thread (WSGI, and Django's thread-sensitive ASGI mode).
_local = threading.local()


def _pending() -> deque[Callable[[], None]]:
    try:
        return _local.pending
    except AttributeError:
        _local.pending = deque()
        return _local.pending


@contextmanager
def metering_transaction() -> Iterator[None]:
    with transaction.atomic():
        if connection.vendor == "postgresql" and not _nested():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _nested() -> bool:
    # Inside an outer transaction (a test, or a caller's own atomic block) the outer one
    # decides how it commits.
    return len(connection.savepoint_ids) > 0


def insert_sql(obj: Model) -> tuple[str, list]:
    """The INSERT that saving a new `obj` would run (auto_now fields filled in), to be sent with
    other statements in one round trip; the object gets no primary key back."""
    meta = obj._meta
    fields = [f for f in meta.local_concrete_fields if f is not meta.auto_field and not f.generated]
    query = InsertQuery(type(obj))
    query.insert_values(fields, [obj])
    [(sql, params)] = query.get_compiler(connection=connection).as_sql()
    return sql, list(params)


def write(save: Callable[[], None]) -> None:
    """Run a metering write now, or after the response inside `after_response`."""
    if _deferring.get():
        _pending().append(save)
    else:
        save()


class _AfterResponse:
    def attach(self, response: HttpResponseBase) -> None:
        """Run the waiting writes when the server closes the response, after sending it and
        before the request's connection goes back (Django's closers run before
        request_finished; `flush_leftovers` catches a response that is never closed)."""
        # Django's private list of what close() runs, which django-stubs do not declare.
        response._resource_closers.append(flush)  # type: ignore[attr-defined]


@contextmanager
def after_response() -> Iterator[_AfterResponse]:
    token = _deferring.set(True)
    try:
        yield _AfterResponse()
    except BaseException:
        flush()  # no response will carry them
        raise
    finally:
        _deferring.reset(token)


def flush() -> bool:
    """Run every waiting write; a failed one is logged and the others still run. True when
    there was anything to write."""
    pending, wrote = _pending(), False
    while True:
        try:
            save = pending.popleft()
        except IndexError:
            return wrote
        wrote = True
        try:
            save()
        except Exception:
            logger.exception("A metering write failed after its response; the call stays charged")


def flush_leftovers(**_kwargs) -> None:
    """At request_finished: writes of a response that was never closed (the client went away
    and the server dropped it). This runs after Django gave the request's connection back, so
    the one these writes took goes back too."""
    if flush() and not connection.in_atomic_block:
        close_old_connections()
