"""Metering writes (quota counters, usage rows, audit entries).

On PostgreSQL they commit with synchronous_commit off (this module's transactions, and the
statements calling `ai_quota_add`, which sets it for its own): a commit no longer waits for the
WAL flush (several milliseconds each on ordinary disks, two of them per call), at the price of
losing the last fraction of a second of metering after a database crash. Never corruption, and
never a lost ticket or work order: only these writes opt in.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection, transaction
from django.db.models import Model
from django.db.models.sql import InsertQuery


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
