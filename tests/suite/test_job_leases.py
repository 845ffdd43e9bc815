"""A job whose worker died is found by its lapsed lease and queued again once, then failed."""

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from suite.celery import app
from suite.jobs.models import Job, JobStatus
from suite.jobs.services import (
    JobLeaseLost,
    job_enqueue,
    job_set_progress,
    job_start,
    job_sweep_lost,
)
from suite.jobs.tasks_base import lease_heartbeat
from tests.suite.job_tasks import mark


def _lapse(job: Job, seconds: float = 1) -> None:
    """What the clock does to a dead worker's job: its lease runs out."""
    Job.objects.filter(pk=job.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=seconds)
    )


def _enqueue(tenant, tmp_path, **params) -> Job:
    job, _ = job_enqueue(
        tenant=tenant, kind="tests.mark", task=mark, params={"dir": str(tmp_path), **params}
    )
    return job


@pytest.fixture
def eager():
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.mark.django_db
def test_a_lapsed_lease_is_requeued_once_and_the_work_is_done_once(
    tenant_a, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    sent = []
    monkeypatch.setattr(mark, "apply_async", lambda **kw: sent.append(kw))
    with django_capture_on_commit_callbacks(execute=True):
        job = _enqueue(tenant_a, tmp_path)
    assert (job.task_name, job.queue) == ("tests.job_leases.mark", "default")
    # A worker claims it and dies before finishing: its lease is never renewed.
    job_start(job=job, owner="worker-that-died")
    _lapse(job)

    with django_capture_on_commit_callbacks(execute=True):
        assert job_sweep_lost() == {"requeued": 1, "failed": 0}
    job.refresh_from_db()
    assert (job.status, job.requeues, job.lease_owner) == (JobStatus.QUEUED, 1, "")
    assert job.message == "执行此任务的工作进程已停止，已重新排队。"
    kwargs = {"tenant_id": tenant_a.pk, "job_id": str(job.pk)}
    assert sent == [{"kwargs": kwargs}, {"kwargs": kwargs}]  # first send, then the re-queue

    # The re-sent message runs it (on a live worker this time): done once, not twice.
    assert mark.apply(kwargs=kwargs).get() == JobStatus.SUCCEEDED
    job.refresh_from_db()
    assert (job.status, job.attempts, job.result) == (JobStatus.SUCCEEDED, 2, {"attempt": 2})
    assert (tmp_path / f"{job.pk}.done").read_text() == "done\n"
    assert job_sweep_lost() == {"requeued": 0, "failed": 0}


@pytest.mark.django_db
def test_a_job_that_loses_its_worker_twice_fails_as_worker_lost(
    tenant_a, admin_a, client_a, tmp_path, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(mark, "apply_async", lambda **kw: None)
    job = _enqueue(tenant_a, tmp_path)
    job_start(job=job, owner="first-worker")
    _lapse(job)
    job_sweep_lost()
    job.refresh_from_db()
    job_start(job=job, owner="second-worker")
    _lapse(job)

    published = []
    monkeypatch.setattr(
        "suite.jobs.services.tenant_group_send",
        lambda tenant_id, group, event: published.append((tenant_id, group, event)),
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert job_sweep_lost() == {"requeued": 0, "failed": 1}
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.finished_at is not None
    assert job.error == "工作进程丢失：执行此任务的工作进程未完成就停止了（已尝试 2 次）。"
    # /ws/jobs/ says so at once (staff group and the starter's own)...
    (tenant_id, group, event), *_ = published
    assert (tenant_id, group) == (tenant_a.pk, "jobs")
    assert event["job"]["status"] == "failed" and event["job"]["error"] == job.error
    assert event["job"]["status_display"] == "失败"
    # ... and the jobs page and the API show it.
    page = client_a.get(reverse("portal:jobs")).content.decode()
    assert "失败" in page and "工作进程丢失" in page
    body = client_a.get(f"/api/v1/jobs/{job.pk}/").json()
    assert body["status"] == "failed" and body["error"] == job.error


@pytest.mark.django_db
def test_a_held_job_is_not_run_twice_and_a_late_run_stops(tenant_a, tmp_path, monkeypatch):
    monkeypatch.setattr(mark, "apply_async", lambda **kw: None)
    job = _enqueue(tenant_a, tmp_path)
    held = job_start(job=job, owner="live-worker")
    kwargs = {"tenant_id": tenant_a.pk, "job_id": str(job.pk)}
    # A second copy of the message (a redelivery) while the live run holds the lease.
    assert mark.apply(kwargs=kwargs, task_id="another-copy").get() is None
    job.refresh_from_db()
    assert (job.status, job.attempts, job.lease_owner) == (JobStatus.RUNNING, 1, "live-worker")
    assert not (tmp_path / f"{job.pk}.started").exists()
    # The same message again (its pool process died, the broker redelivered it) may resume.
    _lapse(job)
    job_sweep_lost()  # the live run was only slow: the sweep queued it again meanwhile
    with pytest.raises(JobLeaseLost):
        job_set_progress(job=held, progress=50, message="still here")
    job.refresh_from_db()
    assert job.progress == 0 and job.status == JobStatus.QUEUED


@pytest.mark.django_db(transaction=True)
def test_the_heartbeat_renews_the_lease_of_a_silent_job(tenant_a, tmp_path, monkeypatch):
    monkeypatch.setattr(mark, "apply_async", lambda **kw: None)
    job = _enqueue(tenant_a, tmp_path)
    job_start(job=job, owner="busy-worker")
    _lapse(job, seconds=-0.2)  # about to lapse
    with lease_heartbeat(job, every_s=0.05):
        time.sleep(0.5)
    job.refresh_from_db()
    assert job.lease_expires_at > timezone.now() + timedelta(seconds=60)
    assert job_sweep_lost() == {"requeued": 0, "failed": 0}


def test_celery_and_the_sweep_are_configured():
    assert app.conf.task_acks_late is True and app.conf.task_reject_on_worker_lost is True
    assert app.conf.worker_prefetch_multiplier == 1
    assert 0 < app.conf.task_soft_time_limit < app.conf.task_time_limit
    from django.conf import settings

    assert app.conf.task_time_limit < settings.CELERY_VISIBILITY_TIMEOUT
    assert mark.max_retries == 3


def test_the_timing_checks_refuse_a_visibility_timeout_below_the_longest_task():
    from suite.jobs.checks import check_job_timing

    assert check_job_timing() == []
    with override_settings(CELERY_VISIBILITY_TIMEOUT=600, CELERY_TASK_TIME_LIMIT=3600):
        assert [e.id for e in check_job_timing()] == ["jobs.E001"]
    with override_settings(JOBS_HEARTBEAT_SECONDS=90, JOBS_LEASE_SECONDS=120):
        assert [e.id for e in check_job_timing()] == ["jobs.E002"]


# --- a real worker, killed -----------------------------------------------------------------


def _database_url() -> str:
    s = connection.settings_dict
    if "sqlite" in s["ENGINE"]:
        return f"sqlite:///{s['NAME']}"
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _worker(tmp_path: Path, name: str) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "JOBS_LEASE_SECONDS": "4",
        "JOBS_HEARTBEAT_SECONDS": "1",
        "PYTHONPATH": str(Path.cwd()),
    }
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen(  # noqa: S603  (our own interpreter, fixed arguments)
        [sys.executable, "-m", "celery", "-A", "suite", "worker", "-Q", "default",
         "-c", "1", "-n", f"{name}@%h", "--include", "tests.suite.job_tasks",
         "--without-mingle", "--without-gossip", "--without-heartbeat", "-l", "info"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip


def _wait(predicate, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.django_db(transaction=True)
def test_a_killed_worker_s_job_is_recovered_by_the_sweep(tenant_a, tmp_path):
    if (
        "sqlite" in connection.settings_dict["ENGINE"]
        and "memory" in connection.settings_dict["NAME"]
    ):
        pytest.skip("a worker process needs a database file or server it can share")
    work = tmp_path / "work"
    work.mkdir()
    job = _enqueue(tenant_a, work, hang_s=120)
    first = _worker(tmp_path, "doomed")
    try:
        _wait(lambda: (work / f"{job.pk}.started").exists(), 90, "the job to start")
        job.refresh_from_db()
        assert job.status == JobStatus.RUNNING
        time.sleep(2)  # a heartbeat or two while the body sleeps
        job.refresh_from_db()
        assert job.lease_expires_at > timezone.now() + timedelta(seconds=1)
        # kill -9 of the whole worker: main process and pool together
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(10)
    finally:
        if first.poll() is None:
            os.killpg(first.pid, signal.SIGKILL)
    # Nothing renews the lease any more; the sweep (celery beat's) finds it once it lapses.
    job.refresh_from_db()
    assert job.status == JobStatus.RUNNING
    _wait(lambda: job_sweep_lost()["requeued"], 15, "the lease to lapse")
    second = _worker(tmp_path, "healthy")
    try:
        _wait(lambda: Job.objects.get(pk=job.pk).is_finished, 90, "the re-queued job")
    finally:
        os.killpg(second.pid, signal.SIGTERM)
        second.wait(30)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.requeues) == (JobStatus.SUCCEEDED, 2, 1), (
        tmp_path / "healthy.log"
    ).read_text()[-3000:]
    assert (work / f"{job.pk}.started").read_text() == "1\n2\n"
    assert (work / f"{job.pk}.done").read_text() == "done\n"
