"""Heavy engines run in model processes, not in the process that serves sockets.

A Whisper or Kokoro run holds the GIL for much of its time (feature extraction, decoding loops,
phonemisation) and loading the weights holds it for seconds. In the ASGI process that starves
the event loop: every live call and channel-layer read of that process stalls. So an engine that
declares `Backend.heavy` is loaded in a small pool of worker processes per capability
(`AI_MODEL_PROCESSES`, e.g. one for transcription and one for speech, so a reply is never
queued behind another call's transcript), and the loader hands out a `ModelProcessBackend`
that forwards each method call there. Quotas, safety, metering and audit stay in the calling
process; only the backend's own work moves.

Celery workers and the model processes themselves load engines in-process
(`keep_models_in_process`): they are already the processes that do the heavy work.
"""

from __future__ import annotations

import functools
import importlib
import logging
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from . import errors
from .backends.base import Backend, BackendSpec
from .errors import AiError, BackendUnavailable

logger = logging.getLogger("suite.ai")

_in_process = False
_pools: dict[str, ProcessPoolExecutor] = {}
_pools_lock = threading.Lock()


def keep_models_in_process() -> None:
    """This process does the heavy work itself (a model process, a Celery worker)."""
    global _in_process
    _in_process = True


def pool_name(cls: type[Backend]) -> str:
    return sorted(str(c) for c in cls.capabilities)[0]


def runs_elsewhere(cls: type[Backend]) -> bool:
    return (
        not _in_process
        and getattr(cls, "heavy", False)
        and settings.AI_MODEL_PROCESSES.get(pool_name(cls), 0) > 0
    )


def _start_model_process() -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
    django.setup()
    keep_models_in_process()


def _pool(name: str) -> ProcessPoolExecutor:
    with _pools_lock:
        pool = _pools.get(name)
        if pool is None:
            # spawn, not fork: the parent runs an event loop and threads that a fork would copy
            # half-way through whatever they were doing.
            pool = ProcessPoolExecutor(
                max_workers=settings.AI_MODEL_PROCESSES[name],
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_model_process,
            )
            _pools[name] = pool
        return pool


def _drop_pool(name: str, broken: ProcessPoolExecutor) -> None:
    with _pools_lock:
        if _pools.get(name) is broken:
            del _pools[name]
    broken.shutdown(wait=False, cancel_futures=True)


def shutdown() -> None:
    """Stop every model process of this process (tests; a server's shutdown does it at exit)."""
    with _pools_lock:
        pools = list(_pools.values())
        _pools.clear()
    for pool in pools:
        pool.shutdown(wait=True, cancel_futures=True)


def _run_in_model_process(
    module: str, qualname: str, spec: BackendSpec, method: str, args: tuple, kwargs: dict
) -> tuple[bool, Any]:
    """Runs in the model process. Importing the engine's module registers it there too (an
    operator's or a test's engine is not in the built-in table)."""
    from .backends import ENGINE_MODULES
    from .loader import get_backend

    cls = functools.reduce(getattr, qualname.split("."), importlib.import_module(module))
    ENGINE_MODULES.setdefault(cls.engine, module)
    try:
        backend = get_backend(spec)
        result = None if method == "load" else getattr(backend, method)(*args, **kwargs)
    except AiError as exc:
        # Sent back by name: an AiError's keyword-only arguments do not survive pickling.
        return False, (type(exc).__name__, exc.message, exc.param)
    return True, result


def call(cls: type[Backend], spec: BackendSpec, method: str, args: tuple, kwargs: dict) -> Any:
    name = pool_name(cls)
    pool = _pool(name)
    try:
        future = pool.submit(
            _run_in_model_process, cls.__module__, cls.__qualname__, spec, method, args, kwargs
        )
        ok, value = future.result()
    except BrokenProcessPool as exc:
        # Killed (OOM, a crash in native code): the next call starts a fresh process.
        logger.error("the %s model process died during %s.%s", name, spec.engine, method)
        _drop_pool(name, pool)
        raise BackendUnavailable(
            _("The model process for %(engine)s stopped; try again.") % {"engine": spec.engine}
        ) from exc
    if ok:
        return value
    error_name, message, param = value
    error_class = getattr(errors, error_name, None)
    if not (isinstance(error_class, type) and issubclass(error_class, AiError)):
        error_class = AiError
    raise error_class(message, param=param)


class ModelProcessBackend:
    """Stands in for a heavy backend: class attributes are read here, methods run in the
    model process of the backend's capability."""

    def __init__(self, cls: type[Backend], spec: BackendSpec):
        self._cls = cls
        self.spec = spec
        self.options = dict(spec.options)

    def load(self) -> None:
        call(self._cls, self.spec, "load", (), {})

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._cls, name)
        if name.startswith("_") or not callable(value):
            return value

        def remote(*args: Any, **kwargs: Any) -> Any:
            # A callback cannot cross into the model process: its steps go unheard.
            kwargs.pop("on_step", None)
            return call(self._cls, self.spec, name, args, kwargs)

        return remote

    def __repr__(self) -> str:
        return f"<{self._cls.__name__} in a model process>"
