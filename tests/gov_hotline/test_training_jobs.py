"""Training jobs are idempotent: a job run again (its worker died, the lease sweep re-queued it)
returns the classifier version it made instead of making another."""

from datetime import timedelta

import pytest
from django.utils import timezone

from gov_hotline import training
from gov_hotline.models import ClassifierModel
from gov_hotline.tasks import train_classifier
from suite.jobs.models import Job, JobStatus
from suite.jobs.services import job_start, job_sweep_lost

from .conftest import subset_rows

pytestmark = pytest.mark.django_db


def _run_and_die(job: Job, tenant) -> None:
    """A worker that does the whole training, then dies before the job is marked done."""
    held = job_start(job=job, owner="worker-that-died")
    train_classifier.execute(held, tenant)
    Job.objects.filter(pk=job.pk).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def test_a_training_job_run_twice_makes_one_classifier_version(hl_a):
    training.examples_import_labelled(tenant=hl_a, rows=subset_rows())
    job = training.classifier_train_start(tenant=hl_a)
    _run_and_die(job, hl_a)
    assert job_sweep_lost() == {"requeued": 1, "failed": 0}

    kwargs = {"tenant_id": hl_a.pk, "job_id": str(job.pk)}
    assert train_classifier.apply(kwargs=kwargs).get() == JobStatus.SUCCEEDED
    job.refresh_from_db()
    versions = list(ClassifierModel.objects.for_tenant(hl_a))
    assert [(v.version, v.is_active, v.job_id) for v in versions] == [(1, True, job.pk)]
    assert job.result["version"] == 1

    # Another job is another training: it makes the next version.
    again = training.classifier_train_start(tenant=hl_a)
    assert train_classifier.apply(kwargs={"tenant_id": hl_a.pk, "job_id": str(again.pk)}).get() == (
        JobStatus.SUCCEEDED
    )
    assert list(
        ClassifierModel.objects.for_tenant(hl_a).values_list("version", "is_active", "job")
    ) == [(2, True, again.pk), (1, False, job.pk)]
