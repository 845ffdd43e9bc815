"""Training data and training runs of the tenant's classifier."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from django.db import transaction
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.jobs.models import Job, JobStatus
from suite.jobs.services import job_enqueue
from suite.tenancy.models import Tenant

from . import classifier
from .models import Category, ClassifierModel, ExampleSource, TrainingExample

LABELLED_SET = Path(__file__).parent / "data" / "labelled_requests.jsonl"


def labelled_rows() -> list[dict]:
    with LABELLED_SET.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@transaction.atomic
def examples_import_labelled(*, tenant: Tenant, rows: list[dict] | None = None) -> int:
    """Loads the shipped labelled set (or `rows`) as seed examples; idempotent per text."""
    rows = labelled_rows() if rows is None else rows
    subs = {
        f"{c.parent.name}/{c.name}": c
        for c in Category.objects.for_tenant(tenant)
        .filter(parent__isnull=False)
        .select_related("parent")
    }
    existing = set(
        TrainingExample.objects.for_tenant(tenant)
        .filter(source=ExampleSource.SEED)
        .values_list("text", flat=True)
    )
    new = []
    for row in rows:
        sub = subs.get(f"{row['category']}/{row['subcategory']}")
        if sub is None or row["text"] in existing:
            continue
        existing.add(row["text"])
        new.append(
            TrainingExample(
                tenant=tenant,
                text=row["text"],
                request_type=row["request_type"],
                subcategory=sub,
                source=ExampleSource.SEED,
            )
        )
    TrainingExample.objects.bulk_create(new)
    return len(new)


def classifier_train(
    *, tenant: Tenant, caller: gateway.Caller, progress=None, job: Job | None = None
) -> ClassifierModel:
    """Embeds the examples not yet embedded (cached on the row), fits, measures on a held-out
    fifth, refits on everything and activates the new version.

    With a `job`, one job makes one version: a second run of the same job (re-queued after its
    worker died, possibly after the version was saved) returns the version it already made.
    """
    from sklearn.model_selection import train_test_split

    if job is not None:
        made = ClassifierModel.objects.for_tenant(tenant).filter(job=job).first()
        if made is not None:
            return made
    examples = list(
        TrainingExample.objects.for_tenant(tenant)
        .filter(subcategory__is_active=True)
        .select_related("subcategory__parent")
    )
    if len(examples) < classifier.MIN_EXAMPLES:
        raise ValueError(
            _("At least %(n)d labelled examples are needed to train; there are %(have)d.")
            % {"n": classifier.MIN_EXAMPLES, "have": len(examples)}
        )
    missing = [e for e in examples if not e.embedding]
    embed_model = next((e.embed_model for e in examples if e.embedding), "")
    for start in range(0, len(missing), 128):
        batch = missing[start : start + 128]
        vectors, embed_model = classifier.embed_texts(caller, [e.text for e in batch], "passage")
        for example, vector in zip(batch, vectors, strict=True):
            example.embedding = vector.astype(np.float32).tobytes()
            example.embed_model = embed_model
        TrainingExample.objects.bulk_update(batch, ["embedding", "embed_model"])
        if progress:
            progress(int(80 * (start + len(batch)) / max(len(missing), 1)), "embedding")
    names = [
        f"{c.parent.name}/{c.name}"
        for c in Category.objects.for_tenant(tenant)
        .filter(parent__isnull=False, is_active=True, parent__is_active=True)
        .select_related("parent")
    ]
    proto_vectors, _model = classifier.embed_texts(
        caller, [classifier.prototype_text(n) for n in names], "passage"
    )
    prototypes = (proto_vectors, names)
    vectors = np.stack([np.frombuffer(bytes(e.embedding), dtype=np.float32) for e in examples])
    texts = [e.text for e in examples]
    subs = [f"{e.subcategory.parent.name}/{e.subcategory.name}" for e in examples]
    types = [e.request_type for e in examples]
    metrics: dict = {}
    idx = np.arange(len(examples))
    counts = {s: subs.count(s) for s in subs}
    stratify = subs if min(counts.values()) >= 2 and len(counts) * 2 <= len(idx) // 5 else None
    try:
        train_idx, test_idx = train_test_split(
            idx, test_size=0.2, random_state=0, stratify=stratify
        )
        held = classifier.fit(
            [texts[i] for i in train_idx],
            vectors[train_idx],
            [subs[i] for i in train_idx],
            [types[i] for i in train_idx],
            embed_model,
            prototypes,
        )
        metrics = classifier.evaluate(
            held,
            [texts[i] for i in test_idx],
            vectors[test_idx],
            [subs[i] for i in test_idx],
            [types[i] for i in test_idx],
        )
    except ValueError:
        metrics = {"note": "too few examples per class for a held-out measurement"}
    model = classifier.fit(texts, vectors, subs, types, embed_model, prototypes)
    with transaction.atomic():
        # Versions are numbered under the tenant's row lock, so two trainings (or two runs of
        # one job) never race for a number; the loser of a job's race sees the winner's version.
        Tenant.objects.select_for_update().filter(pk=tenant.pk).first()
        if job is not None:
            made = ClassifierModel.objects.for_tenant(tenant).filter(job=job).first()
            if made is not None:
                return made
        version = (
            ClassifierModel.objects.for_tenant(tenant)
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
            or 0
        ) + 1
        path = classifier.model_dir(tenant) / f"v{version}.joblib"
        classifier.save(model, path)
        ClassifierModel.objects.for_tenant(tenant).update(is_active=False)
        return ClassifierModel.objects.create(
            tenant=tenant,
            version=version,
            path=str(path),
            examples=len(examples),
            metrics=metrics,
            embed_model=embed_model,
            job=job,
        )


TRAIN_KIND = "gov_hotline.train"


def classifier_train_start(*, tenant: Tenant, user=None, idempotency_key: str | None = None) -> Job:

    return job_enqueue(
        tenant=tenant,
        kind=TRAIN_KIND,
        task="gov_hotline.train_classifier",
        params={},
        idempotency_key=idempotency_key,
        created_by=user if getattr(user, "pk", None) else None,
    )[0]


def classifier_training(tenant: Tenant) -> bool:
    """Whether a training job is queued or running for the tenant."""
    return (
        Job.objects.for_tenant(tenant)
        .filter(kind=TRAIN_KIND, status__in=[JobStatus.QUEUED, JobStatus.RUNNING])
        .exists()
    )
