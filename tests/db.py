"""Database connections that tests open outside their own thread."""

from asgiref.sync import SyncToAsync
from django.db import connections


def close_sync_thread_connections(timeout_s: float = 30) -> None:
    """Closes the connections of asgiref's shared thread for thread-sensitive sync code.

    `sync_to_async` called from an event loop outside `async_to_sync` and outside a
    ThreadSensitiveContext (a test's own loop; Channels consumers under uvicorn) runs in one
    thread for the whole process, so a connection opened there outlives the test, and
    PostgreSQL then refuses to drop the test database ("being accessed by other users").
    Django's connections are per thread, so they can only be closed from that thread.
    """
    SyncToAsync.single_thread_executor.submit(connections.close_all).result(timeout=timeout_s)
