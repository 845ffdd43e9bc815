"""Calling the services from a browser test.

Playwright's sync API runs an event loop in the test's thread, and the services publish their
WebSocket events with async_to_sync, which refuses to run beside a loop (the event would be
lost, logged, and the page never told). A web request or a worker calls them from a thread
without a loop; so do the browser tests, through `off_the_loop`."""

from concurrent.futures import ThreadPoolExecutor

from django.db import connection


def off_the_loop(fn, /, **kwargs):
    def run():
        try:
            return fn(**kwargs)
        finally:
            connection.close()

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(run).result()
