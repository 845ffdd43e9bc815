"""What the model-access API adds to a model call on the full /v1 path: the API key lookup, the
key's allow-list, RPM/TPM and monthly budget, the tenant tree's quotas and budget, price lookup,
reserve/settle in money, the usage row with its cost, the audit entry and x-ratelimit headers.

`/v1/chat/completions` (extractive answerer) and `/v1/embeddings` (the bundled e5, when its
weights are in AI_CACHE_DIR) run through Django's WSGI handler as a server calls it,
interleaved with the same backend call made directly, in one process on one database (a
temporary SQLite file unless DATABASE_URL is set). A call through the API is timed until its
response body is ready (what the client waits for), and again until the server has closed the
response (the worker's time, with the usage row, audit entry and refund written after the
response). Prints one JSON object: medians and p95 per endpoint and the median added per call,
both ways (target: under 2 ms until the answer).

    .venv/bin/python bench/maas_overhead.py [--calls 300]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-maas-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")


def summary(values: list[float]) -> dict:
    ordered = sorted(values)
    return {
        "median_ms": round(statistics.median(ordered), 3),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
    }


def added_median(api: list[float], direct: list[float]) -> float:
    return round(statistics.median(a - d for a, d in zip(api, direct, strict=True)), 3)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.management import call_command
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections, connection
    from django.test import RequestFactory

    call_command("migrate", verbosity=0)
    from suite.accounts.services import api_key_create
    from suite.ai import registry, services
    from suite.ai.capabilities import MICRO_YUAN, Capability, PriceUnit, Unit
    from suite.ai.errors import BackendUnavailable
    from suite.ai.loader import get_backend
    from suite.ai.models import Period, Quota
    from suite.ai.types import ChatMessage
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_get_or_create

    settings.ALLOWED_HOSTS = ["*"]
    province = tenant_get_or_create(slug="bench-p", name="bench province", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-c", name="bench city", kind=TenantKind.CITY, parent=province
    )
    lines = [
        (Capability.CHAT, PriceUnit.INPUT_TOKENS, "0.0008", 1000),
        (Capability.CHAT, PriceUnit.OUTPUT_TOKENS, "0.002", 1000),
        (Capability.EMBED, PriceUnit.TOKENS, "0.0005", 1000),
    ]
    for capability, unit, yuan, per in lines:
        services.price_set(
            tenant=province, capability=capability, unit=unit, yuan=Decimal(yuan), per=per
        )
    Quota.objects.get_or_create(
        tenant=province,
        api_key=None,
        capability="",
        unit=Unit.SPEND,
        period=Period.MONTH,
        defaults={"limit": 10**6 * MICRO_YUAN},
    )
    issued = api_key_create(tenant=tenant, name="bench", scopes=["maas"])
    services.key_limits_set(key=issued.record, rpm=10**9, tpm=10**12, monthly_budget=Decimal(10**6))
    factory = RequestFactory(headers={"Authorization": f"Bearer {issued.raw}"})
    handler = WSGIHandler()
    # As Django's test client does: one connection for the whole run (a server's pool).
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    question = "5G套餐每月多少钱？"

    chat_backend = get_backend(registry.resolve(tenant, Capability.CHAT)[0].spec)
    cases = {
        "chat": (
            lambda: chat_backend.chat([ChatMessage("user", question)], max_tokens=64),
            "/v1/chat/completions",
            {
                "model": "default",
                "max_tokens": 64,
                "messages": [{"role": "user", "content": question}],
            },
        ),
    }
    embed_model = registry.resolve(tenant, Capability.EMBED)[0]
    try:
        embed_backend = get_backend(embed_model.spec)
        embed_backend.embed([question])
    except BackendUnavailable as exc:
        print(f"embeddings skipped: {exc.message}", file=sys.stderr)
    else:
        cases["embeddings"] = (
            lambda: embed_backend.embed([question]),
            "/v1/embeddings",
            {"model": "default", "input": question},
        )
        # What the official client sends when the caller does not choose.
        cases["embeddings_base64"] = (
            lambda: embed_backend.embed([question]),
            "/v1/embeddings",
            {"model": "default", "input": question, "encoding_format": "base64"},
        )

    result: dict = {
        "benchmark": "maas_overhead",
        "python": platform.python_version(),
        "database": connection.vendor,
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "calls": args.calls,
        "target_added_median_ms": 2.0,
    }
    for name, (direct, path, body) in cases.items():
        payload = json.dumps(body, ensure_ascii=False)

        def through_api(path=path, payload=payload) -> tuple[float, float]:
            """Milliseconds until the body is ready and until the response is closed."""
            environ = factory.post(path, payload, content_type="application/json").environ
            started = time.perf_counter()
            response = handler(environ, lambda status, headers: None)
            body = b"".join(response)
            answered = time.perf_counter()
            response.close()
            closed = time.perf_counter()
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code} {body[:300]!r}")
            return (answered - started) * 1000, (closed - started) * 1000

        for _ in range(20):  # warm-up: imports, caches, first DB pages
            direct()
            through_api()
        times: dict[str, list[float]] = {"direct": [], "api": [], "api_closed": []}
        for _ in range(args.calls):
            started = time.perf_counter()
            direct()
            times["direct"].append((time.perf_counter() - started) * 1000)
            answered, closed = through_api()
            times["api"].append(answered)
            times["api_closed"].append(closed)
        result[name] = {label: summary(values) for label, values in times.items()} | {
            "added_median_ms": added_median(times["api"], times["direct"]),
            "added_median_closed_ms": added_median(times["api_closed"], times["direct"]),
        }
    result["within_target"] = all(
        result[name]["added_median_ms"] < result["target_added_median_ms"] for name in cases
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
