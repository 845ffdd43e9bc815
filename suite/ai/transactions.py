"""Model calls never run inside a database transaction.

A call takes seconds; inside `transaction.atomic` it would hold every row lock the transaction
took (the quota rows of the tenant and all its ancestors, say) for that long, so one slow answer
would serialise a whole province's traffic behind it. The gateway refuses instead, loudly: this is
a programming error in the caller, which must read inside a transaction, call the model outside,
then write inside another.
"""

from __future__ import annotations

from django.db import connections


class ModelCallInTransaction(RuntimeError):
    pass


def open_transactions() -> list[str]:
    """Database aliases with an atomic block open (test-case wrappers excepted)."""
    return [
        conn.alias
        for conn in connections.all(initialized_only=True)
        if conn.in_atomic_block
        # Django's TestCase wraps each test in atomic blocks it marks like this (Django's own
        # `durable=True` check skips them the same way).
        and any(not getattr(block, "_from_testcase", False) for block in conn.atomic_blocks)
    ]


def refuse_inside_transaction(capability: str) -> None:
    aliases = open_transactions()
    if aliases:
        raise ModelCallInTransaction(
            f"A {capability} model call was made inside a database transaction "
            f"(open on {', '.join(aliases)}); call the model outside transaction.atomic."
        )
