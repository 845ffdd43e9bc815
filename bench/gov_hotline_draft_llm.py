"""12345 drafting with the bundled language model against the classifier alone, in one run.

The product classifier is trained on 80% of the shipped labelled set (split by written request,
as bench/gov_hotline_classify.py does); on held-out rows the model then fills the order through
the product's own refinement (`drafting._refine_with_chat`: JSON constrained by a schema, the
subcategory among the classifier's top three, the tenant's districts). Reports subcategory,
category, request-type and district accuracy for both, the model's JSON validity, and the
latency per draft.

    .venv/bin/python bench/gov_hotline_draft_llm.py [--rows 60] [--model qwen2.5-1.5b]
"""

import argparse
import atexit
import json
import os
import platform
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="gh-llm-bench-")
atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
# The joined weights are shared with `make run` (var/models) rather than copied per run.
os.environ.setdefault("AI_CACHE_DIR", str(ROOT / "var" / "models"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=60)
    parser.add_argument("--model", default="qwen2.5-1.5b")
    args = parser.parse_args()

    import django

    django.setup()
    import numpy as np
    from django.conf import settings
    from django.core.management import call_command
    from sklearn.model_selection import GroupShuffleSplit

    call_command("migrate", verbosity=0)
    from gov_hotline import classifier, drafting, extraction, services, training
    from gov_hotline.models import District
    from gov_hotline.taxonomy import DEFAULT_TAXONOMY
    from suite.ai import gateway
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.embed_e5 import E5Backend
    from suite.ai.config_cache import invalidate
    from suite.ai.llm_server import ServerConfig, start
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_get_or_create

    rows = training.labelled_rows()
    texts = [r["text"] for r in rows]
    subs = np.array([f"{r['category']}/{r['subcategory']}" for r in rows])
    types = np.array([r["request_type"] for r in rows])
    groups = np.array([r["group"] for r in rows])
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(texts, subs, groups)
    )
    test = test[: args.rows]
    e5 = E5Backend(BackendSpec("e5"))
    e5.load()
    vectors = e5.embed(texts, kind="passage").vectors
    names = [f"{c}/{s}" for c, subs_ in DEFAULT_TAXONOMY.items() for s in subs_]
    proto = e5.embed([classifier.prototype_text(n) for n in names], kind="passage").vectors
    model = classifier.fit(
        [texts[i] for i in train],
        vectors[train],
        list(subs[train]),
        list(types[train]),
        "e5",
        (proto, names),
    )
    preds = model.predict([texts[i] for i in test], vectors[test])

    province = tenant_get_or_create(slug="bench-p", name="bench province", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-h", name="bench hotline", kind=TenantKind.HOTLINE_CENTER, parent=province
    )
    # The labelled set's calls are Guangzhou's.
    services.catalogue_install_defaults(tenant=tenant, city="广州")
    districts = list(District.objects.for_tenant(tenant).values_list("name", flat=True))
    config = ServerConfig(
        model=args.model, api_key=secrets.token_urlsafe(16), port=18383, slots=2,
        context_per_slot=settings.AI_LOCAL_LLM_CONTEXT,
    )  # fmt: skip
    server = start(config)
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [
            {
                "name": config.served_name,
                "engine": "openai-compatible",
                "options": {
                    "base_url": config.base_url,
                    "model": config.served_name,
                    "api_key": config.api_key,
                    "timeout": 300,
                },
                "timeout_s": 300,
            }
        ],
    }
    invalidate()
    caller = gateway.Caller(tenant=tenant)

    hits = {"classifier": [0, 0, 0, 0], "model": [0, 0, 0, 0]}
    confusions: dict[str, int] = {}
    valid, latencies = 0, []
    for index, prediction in zip(test, preds, strict=True):
        row = rows[index]
        want = (f"{row['category']}/{row['subcategory']}", row["request_type"], row["district"])
        rule_district = extraction.extract_district(row["text"], districts).value
        base = (prediction.subcategory, prediction.request_type, rule_district)
        started = time.perf_counter()
        refined = drafting._refine_with_chat(
            caller, row["text"], [s for s, _c in prediction.candidates],
            prediction.request_type, districts,
        )  # fmt: skip
        latencies.append(time.perf_counter() - started)
        valid += refined is not None
        got = (
            (refined["subcategory"], refined["request_type"], refined.get("district") or "")
            if refined
            else base
        )
        if got[1] != want[1]:
            key = f"{want[1]}->{got[1]}"
            confusions[key] = confusions.get(key, 0) + 1
        print(f"{len(latencies)}/{len(test)} {latencies[-1]:.1f}s", file=sys.stderr, flush=True)
        for name, answer in (("classifier", base), ("model", got)):
            hits[name][0] += answer[0] == want[0]
            hits[name][1] += answer[0].split("/")[0] == want[0].split("/")[0]
            hits[name][2] += answer[1] == want[1]
            hits[name][3] += answer[2] == want[2]

    n = len(test)

    def rates(h: list[int]) -> dict:
        keys = ("subcategory", "category", "request_type", "district")
        return {k: round(v / n, 3) for k, v in zip(keys, h, strict=True)}

    print(
        json.dumps(
            {
                "benchmark": "gov_hotline_draft_llm",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "rows": n,
                "classifier_and_rules": rates(hits["classifier"]),
                "with_model": rates(hits["model"]),
                "model": config.served_name,
                "json_valid_and_in_candidates": round(valid / n, 3),
                "model_request_type_misses": dict(
                    sorted(confusions.items(), key=lambda kv: -kv[1])
                ),
                "model_s_p50": round(statistics.median(latencies), 2),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    del server


if __name__ == "__main__":
    main()
