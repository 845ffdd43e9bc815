"""Customer-service demo seed time, with and without shared passage vectors.

One process, a throwaway SQLite database, media and index folders. The demo tenants are
created once and the embedding model warmed; then the customer-service seed runs alternately
without sharing (every demo tenant embeds its 63 articles, as before) and with it (each
identical article text embedded once, its vector reused by the other tenant's own index),
wiping the product's rows and indexes between runs. Reported: seed seconds (median of the
runs per mode), passage texts sent to the model, and the speed-up.

    .venv/bin/python bench/customer_service_seed.py [--rounds 2]
"""

import argparse
import contextlib
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="cs-seed-")
os.environ["DATABASE_URL"] = f"sqlite:///{_tmp}/bench.sqlite3"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402

from customer_service import demo, knowledge  # noqa: E402
from customer_service.models import (  # noqa: E402
    AgentSkill,
    Conversation,
    KbArticle,
    KbCategory,
    LexiconEntry,
    Ticket,
)
from suite.ai import gateway  # noqa: E402
from suite.tenancy.demo import seed_demo as seed_tenants  # noqa: E402
from suite.tenancy.models import Tenant  # noqa: E402


def wipe(tenants) -> None:
    for model in (Ticket, Conversation, KbArticle, KbCategory, LexiconEntry, AgentSkill):
        model.objects.filter(tenant__in=tenants).delete()
    knowledge._cache.clear()
    shutil.rmtree(settings.CUSTOMER_SERVICE_INDEX_DIR, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    settings.CUSTOMER_SERVICE_INDEX_DIR = Path(_tmp) / "kb-index"
    settings.MEDIA_ROOT = Path(_tmp) / "media"
    call_command("migrate", verbosity=0)
    seed_tenants()
    tenants = list(Tenant.objects.filter(slug__in=demo.TENANTS))
    # Load the model before timing anything: the first call pays for it.
    gateway.embed(gateway.Caller(tenant=tenants[0]), ["预热"], kind="passage")

    sent = {"n": 0}
    real_embed = gateway.embed

    def counting(caller, texts, **kwargs):
        if kwargs.get("kind") == "passage":
            sent["n"] += len(texts)
        return real_embed(caller, texts, **kwargs)

    gateway.embed = counting
    real_shared = knowledge.shared_passage_vectors
    times: dict[str, list[float]] = {"separate": [], "shared": []}
    passages: dict[str, int] = {}
    for _round in range(args.rounds):
        for mode in ("separate", "shared"):
            wipe(tenants)
            knowledge.shared_passage_vectors = (
                real_shared if mode == "shared" else contextlib.nullcontext
            )
            sent["n"] = 0
            start = time.perf_counter()
            demo.seed_demo()
            times[mode].append(time.perf_counter() - start)
            passages[mode] = sent["n"]
    knowledge.shared_passage_vectors = real_shared
    gateway.embed = real_embed
    separate, shared = (statistics.median(times[m]) for m in ("separate", "shared"))
    print(
        json.dumps(
            {
                "benchmark": "customer_service_seed",
                "tenants": len(tenants),
                "articles_per_tenant": KbArticle.objects.filter(tenant=tenants[0]).count(),
                "rounds": args.rounds,
                "separate_s": round(separate, 2),
                "shared_s": round(shared, 2),
                "speedup": round(separate / shared, 2) if shared else None,
                "passages_embedded": passages,
                "runs_s": {m: [round(t, 2) for t in v] for m, v in times.items()},
            }
        )
    )
    shutil.rmtree(_tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
