"""GET /healthz: the state of every part the suite depends on; 503 names what is down."""

import time
import uuid
from pathlib import Path

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from suite.celery import app as celery_app

_TIMEOUT_S = 2.0


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache() -> str:
    key, value = f"healthz:{uuid.uuid4().hex}", uuid.uuid4().hex
    cache.set(key, value, timeout=10)
    if cache.get(key) != value:
        raise RuntimeError("value written was not read back")
    cache.delete(key)
    return cache.__class__.__name__


def _check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        folder = Path(settings.CELERY_BROKER_DIR) / "queue"
        probe = folder / f".healthz-{uuid.uuid4().hex}"
        probe.write_text("ok")
        probe.unlink()
        return "filesystem"
    with celery_app.connection_for_write() as conn:
        conn.ensure_connection(max_retries=1, timeout=_TIMEOUT_S)
        return conn.transport_cls if isinstance(conn.transport_cls, str) else "broker"


async def _layer_roundtrip(layer) -> None:
    channel = await layer.new_channel()
    await layer.send(channel, {"type": "healthz"})
    message = await layer.receive(channel)
    if message.get("type") != "healthz":
        raise RuntimeError("channel layer returned a different message")


def _check_channel_layer() -> str:
    layer = get_channel_layer()
    if layer is None:
        raise RuntimeError("no channel layer configured")
    async_to_sync(_layer_roundtrip)(layer)
    return layer.__class__.__name__


def _check_models() -> dict:
    return {
        name: ("ok" if Path(path).exists() else f"missing: {path}")
        for name, path in settings.AI_MODEL_PATHS.items()
    }


@never_cache
@require_GET
def healthz(request):
    checks = {
        "database": _check_database,
        "cache": _check_cache,
        "broker": _check_broker,
        "channel_layer": _check_channel_layer,
    }
    report: dict = {}
    failing: list[str] = []
    for name, check in checks.items():
        started = time.perf_counter()
        try:
            detail = check()
            report[name] = {"status": "ok", "backend": detail}
        except Exception as exc:
            report[name] = {"status": "error", "error": f"{type(exc).__name__}: {exc}"}
            failing.append(name)
        report[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    models = _check_models()
    report["models"] = models
    failing += [f"models.{name}" for name, state in models.items() if state != "ok"]
    body = {"status": "ok" if not failing else "error", "failing": failing, "checks": report}
    return JsonResponse(body, status=200 if not failing else 503)
