"""What the gateway adds to a model call: quota reserve/settle, safety checks, registry lookup,
timeout thread hop, usage record and audit entry.

The same extractive chat call runs straight on the backend and through `suite.ai.gateway.chat`,
interleaved in one process on one database (a temporary SQLite file unless DATABASE_URL is set),
with one quota configured so the quota path is exercised. Prints one JSON object: medians and
p95 of both, and the median added per call (target: under 2 ms).

    .venv/bin/python bench/gateway_overhead.py [--calls 400]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("VAR_DIR", tempfile.mkdtemp(prefix="bench-gateway-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=400)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from suite.ai import gateway, registry
    from suite.ai.capabilities import Capability, Unit
    from suite.ai.loader import get_backend
    from suite.ai.models import Period, Quota
    from suite.ai.types import ChatMessage, Passage
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_get_or_create

    province = tenant_get_or_create(slug="bench-p", name="bench province", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-c", name="bench city", kind=TenantKind.CITY, parent=province
    )
    Quota.objects.get_or_create(
        tenant=province, unit=Unit.REQUESTS, period=Period.DAY, defaults={"limit": 10**9}
    )
    messages = [ChatMessage("user", "5G套餐每月多少钱？")]
    passages = [
        Passage("1", "5G畅享套餐每月128元，包含30GB国内通用流量。", "5G畅享套餐"),
        Passage("2", "宽带报修请拨打10086或在手机营业厅提交工单。", "宽带报修"),
    ]
    model = registry.resolve(tenant, Capability.CHAT)[0]
    backend = get_backend(model.spec)
    caller = gateway.Caller(tenant=tenant)

    def direct() -> None:
        backend.chat(messages, passages=passages, max_tokens=256)

    def through_gateway() -> None:
        gateway.chat(caller, messages, passages=passages, max_tokens=256)

    for fn in (direct, through_gateway):  # warm-up: imports, caches, first DB pages
        for _ in range(20):
            fn()
    times: dict[str, list[float]] = {"direct": [], "gateway": []}
    for _ in range(args.calls):
        for name, fn in (("direct", direct), ("gateway", through_gateway)):
            started = time.perf_counter()
            fn()
            times[name].append((time.perf_counter() - started) * 1000)

    def summary(values: list[float]) -> dict:
        ordered = sorted(values)
        return {
            "median_ms": round(statistics.median(ordered), 3),
            "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 3),
        }

    added = [g - d for g, d in zip(times["gateway"], times["direct"], strict=True)]
    result = {
        "benchmark": "gateway_overhead",
        "python": platform.python_version(),
        "database": connection.vendor,
        "calls": args.calls,
        "backend": model.spec.engine,
        "direct": summary(times["direct"]),
        "gateway": summary(times["gateway"]),
        "added_median_ms": round(statistics.median(added), 3),
        "target_added_median_ms": 2.0,
    }
    result["within_target"] = result["added_median_ms"] < result["target_added_median_ms"]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
