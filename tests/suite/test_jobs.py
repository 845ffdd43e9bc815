"""Background jobs through a real Celery worker on the configured broker."""

import csv
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse

from suite.audit.tasks import EXPORT_KIND, export_audit_csv, export_path
from suite.celery import app
from suite.jobs.models import Job, JobStatus
from suite.jobs.services import job_enqueue
from suite.jobs.tasks_base import RetryableJobError, TenantJobTask
from tests.factories import AuditEntryFactory, JobFactory


def _wait_finished(job: Job, seconds: float = 60) -> Job:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if job.is_finished:
            return job
        time.sleep(0.2)
    raise AssertionError(f"job still {job.status} after {seconds}s")


@pytest.mark.django_db(transaction=True)
def test_audit_export_runs_on_a_real_worker(client_a, admin_a, tenant_a, tenant_b):
    AuditEntryFactory(tenant=tenant_a, action="probe.mine", actor_label="caller 13812345678")
    AuditEntryFactory(tenant=tenant_b, action="probe.theirs")
    AuditEntryFactory(
        tenant=tenant_a, action="api_key.revoked", object_type="accounts.ApiKey", object_id="7"
    )
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        response = client_a.post(reverse("portal:audit_export"))
        assert response.status_code == 302
        job = _wait_finished(Job.objects.get(tenant=tenant_a, kind=EXPORT_KIND))
    assert job.status == JobStatus.SUCCEEDED, job.error
    with export_path(job).open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    actions = {row["action"] for row in rows}
    assert "probe.mine" in actions
    assert "probe.theirs" not in actions
    assert any(row["actor"] == "caller 138****5678" for row in rows)
    # Beside each code, what the auditor reads (in the suite's default language, zh-hans).
    revoked = next(row for row in rows if row["action"] == "api_key.revoked")
    assert (revoked["action_label"], revoked["object"]) == ("吊销 API 密钥", "API 密钥 #7")
    assert (
        next(row for row in rows if row["action"] == "probe.mine")["action_label"] == "probe.mine"
    )
    assert job.result["rows"] == len(rows)

    download = client_a.get(reverse("portal:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert b"probe.mine" in b"".join(download.streaming_content)


@pytest.mark.django_db
def test_enqueue_is_idempotent_per_key(
    tenant_a, tenant_b, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(export_audit_csv, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        first, created = job_enqueue(
            tenant=tenant_a, kind=EXPORT_KIND, task=export_audit_csv, idempotency_key="export-1"
        )
        again, created_again = job_enqueue(
            tenant=tenant_a, kind=EXPORT_KIND, task=export_audit_csv, idempotency_key="export-1"
        )
        other, created_other = job_enqueue(
            tenant=tenant_b, kind=EXPORT_KIND, task=export_audit_csv, idempotency_key="export-1"
        )
    assert (created, created_again, created_other) == (True, False, True)
    assert again.pk == first.pk and other.pk != first.pk
    assert sent == [
        {"kwargs": {"tenant_id": tenant_a.pk, "job_id": str(first.pk)}},
        {"kwargs": {"tenant_id": tenant_b.pk, "job_id": str(other.pk)}},
    ]


@pytest.mark.django_db
def test_task_cannot_reach_another_tenants_job(tenant_a, tenant_b):
    job = JobFactory(tenant=tenant_a, kind=EXPORT_KIND)
    assert export_audit_csv.run(tenant_id=tenant_b.pk, job_id=str(job.pk)) is None
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED and job.attempts == 0


@pytest.mark.django_db
def test_redelivered_finished_job_is_not_run_again(tenant_a):
    job = JobFactory(tenant=tenant_a, kind=EXPORT_KIND, status=JobStatus.SUCCEEDED, attempts=1)
    assert export_audit_csv.run(tenant_id=tenant_a.pk, job_id=str(job.pk)) == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert job.attempts == 1
    assert not export_path(job).exists()


def test_celery_is_configured_for_safe_redelivery():
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert {q.name for q in app.conf.task_queues} == {
        "default",
        "asr",
        "tts",
        "image",
        "video",
        "vision",
        "streams",
    }
    assert export_audit_csv.max_retries == 3


class FlakyTask(TenantJobTask):
    name = "tests.flaky"
    failures_left = 0

    def execute(self, job, tenant):
        if FlakyTask.failures_left:
            FlakyTask.failures_left -= 1
            raise RetryableJobError("model server unavailable")
        return {"ok": True}


flaky = app.register_task(FlakyTask())


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("failures", "status", "attempts"), [(2, "succeeded", 3), (9, "failed", 4)]
)
def test_transient_failures_are_retried_up_to_the_cap(tenant_a, failures, status, attempts):
    FlakyTask.failures_left = failures
    job = JobFactory(tenant=tenant_a, kind="tests.flaky")
    # Eager apply runs the retries in-line; the cap is the task's max_retries (3).
    flaky.apply(kwargs={"tenant_id": tenant_a.pk, "job_id": str(job.pk)})
    job.refresh_from_db()
    assert (job.status, job.attempts) == (status, attempts)
    assert job.error == ("" if status == "succeeded" else "model server unavailable")


@pytest.mark.django_db
def test_a_service_starts_a_task_by_its_registered_name(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    from video_ringtone.tasks import render_ringtone

    sent = []
    monkeypatch.setattr(render_ringtone, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        job, _created = job_enqueue(
            tenant=tenant_a, kind="video_ringtone.render", task="video_ringtone.render"
        )
    assert (job.task_name, job.queue) == ("video_ringtone.render", "video")
    assert sent == [{"kwargs": {"tenant_id": tenant_a.pk, "job_id": str(job.pk)}}]

    with pytest.raises(LookupError):
        job_enqueue(tenant=tenant_a, kind="video_ringtone.render", task="video_ringtone.rendr")
    assert Job.objects.filter(tenant=tenant_a).count() == 1


def test_a_web_process_finds_a_task_whose_module_it_never_imported():
    import subprocess
    import sys

    script = (
        "import sys, django; django.setup()\n"
        "from suite.jobs.services import registered_task\n"
        "assert 'gov_hotline.tasks' not in sys.modules\n"
        "print(registered_task('gov_hotline.transcribe_intake').route_queue)\n"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().splitlines()[-1] == "asr"
