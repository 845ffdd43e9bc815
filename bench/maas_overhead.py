"""What the model-access API adds to a model call on the full /v1 path: the API key lookup, the
key's allow-list, RPM/TPM and monthly budget, the tenant tree's quotas and budget, price lookup,
reserve/settle in money, the usage row with its cost, the audit entry and x-ratelimit headers.

`/v1/chat/completions` (extractive answerer) and `/v1/embeddings` (the bundled e5, when its
weights are in AI_CACHE_DIR) run through Django's test client, interleaved with the same
backend call made directly, in one process on one database (a temporary SQLite file unless
DATABASE_URL is set). Prints one JSON object: medians and p95 of both per endpoint and the
median added per call (target: under 2 ms).

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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()

    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

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
    client = Client(headers={"Authorization": f"Bearer {issued.raw}"})
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

        def through_api(path=path, payload=payload) -> None:
            response = client.post(path, payload, content_type="application/json")
            if response.status_code != 200:
                raise SystemExit(f"{path}: {response.status_code} {response.content[:300]!r}")

        for fn in (direct, through_api):  # warm-up: imports, caches, first DB pages
            for _ in range(20):
                fn()
        times: dict[str, list[float]] = {"direct": [], "api": []}
        for _ in range(args.calls):
            for label, fn in (("direct", direct), ("api", through_api)):
                started = time.perf_counter()
                fn()
                times[label].append((time.perf_counter() - started) * 1000)
        added = [a - d for a, d in zip(times["api"], times["direct"], strict=True)]
        result[name] = {
            "direct": summary(times["direct"]),
            "api": summary(times["api"]),
            "added_median_ms": round(statistics.median(added), 3),
        }
    result["within_target"] = all(
        result[name]["added_median_ms"] < result["target_added_median_ms"] for name in cases
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
