"""Benchmark the hotline classifier on the shipped labelled set, and drafting latency.

Split: the 295 written requests (each in the set twice, placed in two districts) are split 80/20
by written request, so no test row is a rewording of a training row. Reports accuracy and
macro-F1 of the subcategory (two-level), top-level category and request type for:
- the product classifier (linear SVM over e5 embeddings + character 1-2-gram TF-IDF, one
  prototype per subcategory name, calibrated softmax, top level from the subcategory
  distribution); its settings were chosen by grouped 4-fold cross-validation inside the
  training part only, never on the test part;
- baselines in the same process: the previous product classifier (e5 embeddings, logistic
  regression, prototypes), the same without prototypes, character n-gram TF-IDF with logistic
  regression, and the majority class.
Then drafting latency per order: `draft_build` end to end (gateway embedding with quota, audit
and usage rows, classifier, rule extraction) on a fresh SQLite database, against the rule
extraction alone.

    .venv/bin/python bench/gov_hotline_classify.py
"""

import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")
os.environ["VAR_DIR"] = tempfile.mkdtemp(prefix="gh-bench-")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import GroupShuffleSplit  # noqa: E402

from gov_hotline import classifier, extraction, training  # noqa: E402
from gov_hotline.taxonomy import DEFAULT_DISTRICTS, DEFAULT_TAXONOMY  # noqa: E402
from suite.ai.backends.base import BackendSpec  # noqa: E402
from suite.ai.backends.embed_e5 import E5Backend  # noqa: E402


def scores(want, got) -> dict:
    return {
        "accuracy": round(accuracy_score(want, got), 4),
        "macro_f1": round(f1_score(want, got, average="macro", zero_division=0), 4),
    }


def report(subs_true, subs_pred, types_true, types_pred) -> dict:
    return {
        "subcategory": scores(subs_true, subs_pred),
        "category": scores(
            [s.split("/")[0] for s in subs_true], [s.split("/")[0] for s in subs_pred]
        ),
        "request_type": scores(types_true, types_pred),
    }


def main() -> None:
    rows = training.labelled_rows()
    texts = [r["text"] for r in rows]
    subs = np.array([f"{r['category']}/{r['subcategory']}" for r in rows])
    types = np.array([r["request_type"] for r in rows])
    groups = np.array([r["group"] for r in rows])
    train, test = next(
        GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(texts, subs, groups)
    )

    e5 = E5Backend(BackendSpec("e5"))
    e5.load()
    started = time.perf_counter()
    vectors = e5.embed(texts, kind="passage").vectors
    embed_s = time.perf_counter() - started
    names = [f"{c}/{s}" for c, subs_ in DEFAULT_TAXONOMY.items() for s in subs_]
    proto = e5.embed([classifier.prototype_text(n) for n in names], kind="passage").vectors

    tr_texts = [texts[i] for i in train]
    te_texts = [texts[i] for i in test]
    model = classifier.fit(
        tr_texts, vectors[train], list(subs[train]), list(types[train]), "e5", (proto, names)
    )
    preds = model.predict(te_texts, vectors[test])
    product = report(
        list(subs[test]),
        [p.subcategory for p in preds],
        list(types[test]),
        [p.request_type for p in preds],
    )
    product["softmax_temperature"] = model.temperature
    type_lr = LogisticRegression(C=classifier.TYPE_C, max_iter=3000).fit(
        vectors[train], types[train]
    )
    embed_types = list(type_lr.predict(vectors[test]))
    previous_lr = LogisticRegression(C=100.0, max_iter=3000).fit(
        np.vstack([vectors[train], proto]), list(subs[train]) + names
    )
    previous = report(
        list(subs[test]), list(previous_lr.predict(vectors[test])), list(types[test]), embed_types
    )
    plain_lr = LogisticRegression(C=100.0, max_iter=3000).fit(vectors[train], subs[train])
    embed_only = report(
        list(subs[test]), list(plain_lr.predict(vectors[test])), list(types[test]), embed_types
    )
    tfidf = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
    x_tr = tfidf.fit_transform(tr_texts)
    x_te = tfidf.transform(te_texts)
    sub_lr = LogisticRegression(C=20.0, max_iter=3000).fit(x_tr, subs[train])
    type_lr = LogisticRegression(C=10.0, max_iter=3000).fit(x_tr, types[train])
    tfidf_only = report(
        list(subs[test]), list(sub_lr.predict(x_te)), list(types[test]), list(type_lr.predict(x_te))
    )
    majority_sub = max(set(subs[train]), key=list(subs[train]).count)
    majority_type = max(set(types[train]), key=list(types[train]).count)
    majority = report(
        list(subs[test]), [majority_sub] * len(test), list(types[test]), [majority_type] * len(test)
    )

    # Drafting latency through the whole product path, on a fresh database.
    call_command("migrate", verbosity=0)
    from gov_hotline import services
    from gov_hotline.drafting import draft_build
    from suite.ai import gateway
    from suite.tenancy.models import TenantKind
    from suite.tenancy.services import tenant_create

    province = tenant_create(slug="bench-gd", name="省", kind=TenantKind.PROVINCE)
    tenant = tenant_create(
        slug="bench-12345", name="热线", kind=TenantKind.HOTLINE_CENTER, parent=province
    )
    # The labelled set's calls are Guangzhou's.
    services.catalogue_install_defaults(tenant=tenant, city="广州")
    path = classifier.model_dir(tenant) / "v1.joblib"
    classifier.save(model, path)
    from gov_hotline.models import ClassifierModel

    ClassifierModel.objects.create(
        tenant=tenant, version=1, path=str(path), examples=len(train), metrics={}
    )
    caller = gateway.Caller(tenant=tenant)
    draft_build(caller=caller, text=te_texts[0])  # warm-up: model file and jieba load once
    latencies = []
    for text in te_texts:
        started = time.perf_counter()
        draft_build(caller=caller, text=text)
        latencies.append((time.perf_counter() - started) * 1000)
    districts = list(DEFAULT_DISTRICTS)
    rules = []
    for text in te_texts:
        started = time.perf_counter()
        d = extraction.extract_district(text, districts)
        extraction.extract_address(text, d)
        extraction.extract_contact(text)
        extraction.extract_urgency(text)
        extraction.extract_summary(text)
        rules.append((time.perf_counter() - started) * 1000)

    def pct(values, q):
        return round(statistics.quantiles(values, n=100)[q - 1], 3)

    print(
        json.dumps(
            {
                "benchmark": "gov_hotline_classify",
                "machine": f"{platform.machine()} {os.cpu_count()} cpu",
                "rows": len(rows),
                "written_requests": len(set(groups)),
                "train_rows": len(train),
                "test_rows": len(test),
                "classes": len(set(subs)),
                "embedding_seconds_all_rows": round(embed_s, 1),
                "product": product,
                "baselines": {
                    "previous_e5_logistic_regression_with_prototypes": previous,
                    "tfidf_only": tfidf_only,
                    "embeddings_without_prototypes": embed_only,
                    "majority": majority,
                },
                "draft_latency_ms": {
                    "p50": pct(latencies, 50),
                    "p95": pct(latencies, 95),
                    "n": len(latencies),
                },
                "rules_only_latency_ms": {"p50": pct(rules, 50), "p95": pct(rules, 95)},
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
