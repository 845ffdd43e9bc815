"""Backends are loaded lazily, once per process per (engine, path, options), and shared."""

from __future__ import annotations

import logging
import threading
from typing import cast

from django.utils.translation import gettext as _

from .backends import engine_class
from .backends.base import Backend, BackendSpec
from .errors import BackendUnavailable
from .model_processes import ModelProcessBackend, runs_elsewhere, shutdown

logger = logging.getLogger("suite.ai")

_loaded: dict[tuple, Backend] = {}
_locks: dict[tuple, threading.Lock] = {}
_locks_guard = threading.Lock()


def get_backend(spec: BackendSpec) -> Backend:
    key = spec.cache_key()
    backend = _loaded.get(key)
    if backend is not None:
        return backend
    with _locks_guard:
        lock = _locks.setdefault(key, threading.Lock())
    # One loader per key: a burst of first calls must not read the same weights ten times.
    with lock:
        backend = _loaded.get(key)
        if backend is not None:
            return backend
        cls = engine_class(spec.engine)
        if cls is None:
            raise BackendUnavailable(_("Unknown engine %(engine)s.") % {"engine": spec.engine})
        # The proxy forwards every Backend attribute to the model process, so callers may
        # treat it as the backend it stands in for.
        loaded: Backend = (
            cast(Backend, ModelProcessBackend(cls, spec)) if runs_elsewhere(cls) else cls(spec)
        )
        try:
            loaded.load()
        except BackendUnavailable:
            raise
        except Exception as exc:
            logger.exception("loading %s from %r failed", spec.engine, spec.path)
            raise BackendUnavailable(
                _("Model %(engine)s could not be loaded: %(error)s")
                % {"engine": spec.engine, "error": exc}
            ) from exc
        _loaded[key] = loaded
        logger.info("loaded %s from %r (%r)", spec.engine, spec.path or "(bundled)", loaded)
        return loaded


def loaded_engines() -> list[str]:
    return sorted({key[0] for key in _loaded})


def unload_all() -> None:
    """For tests and for an admin who replaced a model folder on disk."""
    _loaded.clear()
    shutdown()
