"""12345 drafting with the bundled language model against the classifier alone, in one run.

The product classifier is trained on 80% of the shipped labelled set (split by written request,
as bench/gov_hotline_classify.py does) and made the bench tenant's active classifier. Two sets of
calls are then drafted through the product's own `drafting.draft_build` (classifier, rules, the
model's JSON in a schema, and the merge of the model's request type with the classifier's):
`--rows` held-out rows of the labelled set, and the calls of bench/data/gov_hotline_drafts.jsonl
(written for this bench in everyday speech, Guangzhou districts, each with the address as the
caller said it). Reports subcategory, category, request-type and district accuracy and address
exact match for the classifier and rules alone and for the full draft, the model's own request
type before the merge, where the type came from, and the latency per draft.

    .venv/bin/python bench/gov_hotline_draft_llm.py [--rows 20] [--written 48] [--detail rows.jsonl]
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
from concurrent.futures import ThreadPoolExecutor
from itertools import zip_longest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="gh-llm-bench-")
atexit.register(shutil.rmtree, os.environ["VAR_DIR"], ignore_errors=True)
# The joined weights are shared with `make run` (var/models) rather than copied per run.
os.environ.setdefault("AI_CACHE_DIR", str(ROOT / "var" / "models"))
WRITTEN = ROOT / "bench" / "data" / "gov_hotline_drafts.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20, help="held-out labelled rows")
    parser.add_argument("--written", type=int, default=48, help="rows of the written set")
    parser.add_argument("--detail", help="a JSON line per drafted call, written as it goes")
    parser.add_argument("--limit-s", type=float, help="start no draft after this many seconds")
    parser.add_argument("--parallel", type=int, default=1, help="drafts at a time (max 2)")
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
    from gov_hotline.models import ClassifierModel, District
    from gov_hotline.taxonomy import DEFAULT_TAXONOMY
    from suite.ai import gateway
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.embed_e5 import E5Backend
    from suite.ai.config_cache import invalidate
    from suite.ai.llm_server import ServerConfig, start
    from suite.privacy import mask_text
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

    province = tenant_get_or_create(slug="bench-p", name="bench province", kind=TenantKind.PROVINCE)
    tenant = tenant_get_or_create(
        slug="bench-h", name="bench hotline", kind=TenantKind.HOTLINE_CENTER, parent=province
    )
    # The labelled set's calls are Guangzhou's.
    services.catalogue_install_defaults(tenant=tenant, city="广州")
    districts = list(District.objects.for_tenant(tenant).values_list("name", flat=True))
    path = classifier.model_dir(tenant) / "bench.joblib"
    classifier.save(model, path)
    ClassifierModel.objects.create(
        tenant=tenant, version=1, path=str(path), examples=len(train), embed_model="e5"
    )
    written = [json.loads(line) for line in WRITTEN.read_text(encoding="utf-8").splitlines()]
    # Alternating, so that a run cut short still holds both sets.
    held = [("held_out", rows[i]) for i in test]
    mine = [("written", r) for r in written[: args.written]]
    cases = [c for pair in zip_longest(held, mine) for c in pair if c is not None]
    # The classifier alone sees what the draft's classifier sees: the masked text.
    masked = [mask_text(r["text"]) for _set, r in cases]
    preds = model.predict(masked, e5.embed(masked, kind="passage").vectors)

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

    keys = ("subcategory", "category", "request_type", "district", "address")
    results: list[dict] = []
    detail = open(args.detail, "w", encoding="utf-8") if args.detail else None  # noqa: SIM115

    began = time.perf_counter()

    def one(case: tuple[tuple[str, dict], object]) -> dict | None:
        (set_name, row), prediction = case
        if args.limit_s and time.perf_counter() - began > args.limit_s:
            return None
        text = row["text"]
        rule_district = extraction.extract_district(text, districts)
        base = {
            "subcategory": prediction.subcategory,
            "request_type": prediction.request_type,
            "district": rule_district.value,
            "address": extraction.extract_address(text, rule_district).value,
        }
        started = time.perf_counter()
        draft = drafting.draft_build(caller=caller, text=text)
        seconds = time.perf_counter() - started
        sources = draft["sources"]
        got = {
            "subcategory": f"{draft['category']}/{draft['subcategory']}",
            "request_type": draft["request_type"],
            "district": draft["district"],
            "address": draft["address"],
        }
        want = {**row, "subcategory": f"{row['category']}/{row['subcategory']}"}
        result = {
            "set": set_name,
            "seconds": round(seconds, 2),
            "model_answered": sources.get("chat") == config.served_name,
            "type_source": sources.get("request_type", ""),
            "model_type": sources.get("chat_request_type", draft["request_type"]),
            "want": {k: want.get(k) for k in (*keys[:1], *keys[2:])},
            "classifier": base,
            "draft": got,
            # The classifier's top three with their probabilities: what a merge rule for the
            # subcategory (as type_merge does for the type) would weigh the model's pick against.
            "candidates": draft["candidates"],
            "type_probabilities": {
                k: round(v, 3) for k, v in prediction.type_probabilities.items()
            },
        }
        return result

    # --parallel 2 uses the server's two slots: the same answers, sooner on a shared machine
    # (each draft then waits on the other's decoding, so its own seconds grow).
    with ThreadPoolExecutor(max_workers=args.parallel) as pool:
        for result in pool.map(one, zip(cases, preds, strict=True)):
            if result is None:
                continue
            results.append(result)
            if detail:
                print(json.dumps(result, ensure_ascii=False), file=detail, flush=True)
            print(
                f"{len(results)}/{len(cases)} {result['seconds']:.1f}s", file=sys.stderr, flush=True
            )

    def rates(chosen: list[dict], side: str) -> dict:
        out = {}
        for key in keys:
            have = [r for r in chosen if r["want"].get(key) is not None]
            if key == "category":
                hits = [
                    r[side]["subcategory"].split("/")[0] == r["want"]["subcategory"].split("/")[0]
                    for r in chosen
                ]
            elif key == "address":
                hits = [r[side]["address"] == r["want"]["address"] for r in have]
            else:
                hits = [r[side][key] == r["want"][key] for r in chosen]
            if hits:
                out[key] = round(sum(hits) / len(hits), 3)
        return out

    def summary(chosen: list[dict]) -> dict:
        answered = [r for r in chosen if r["model_answered"]]
        misses: dict[str, int] = {}
        for r in answered:
            if r["model_type"] != r["want"]["request_type"]:
                key = f"{r['want']['request_type']}->{r['model_type']}"
                misses[key] = misses.get(key, 0) + 1
        sources: dict[str, int] = {}
        for r in chosen:
            sources[r["type_source"]] = sources.get(r["type_source"], 0) + 1
        return {
            "rows": len(chosen),
            "classifier_and_rules": rates(chosen, "classifier"),
            "with_model": rates(chosen, "draft"),
            "model_own_request_type": round(
                sum(r["model_type"] == r["want"]["request_type"] for r in answered)
                / max(len(answered), 1),
                3,
            ),
            "request_type_source": sources,
            "model_request_type_misses": dict(sorted(misses.items(), key=lambda kv: -kv[1])),
        }

    n = len(results)
    print(
        json.dumps(
            {
                "benchmark": "gov_hotline_draft_llm",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores",
                "model": config.served_name,
                **summary(results),
                "by_set": {
                    name: summary([r for r in results if r["set"] == name])
                    for name in ("held_out", "written")
                },
                "json_valid_and_in_candidates": round(
                    sum(r["model_answered"] for r in results) / max(n, 1), 3
                ),
                "draft_s_p50": round(statistics.median(r["seconds"] for r in results), 2),
                "drafts_at_a_time": args.parallel,
                "rows_planned": len(cases),
            },
            ensure_ascii=False,
            indent=2,
        )
    )
    del server


if __name__ == "__main__":
    main()
