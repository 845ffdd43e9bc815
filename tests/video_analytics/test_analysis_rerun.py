"""A clip analysis run again (its worker died, the job lease sweep re-queued the job) records
each firing once: one event per crossing, one alert, one webhook delivery."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from suite.jobs.models import Job, JobStatus
from suite.jobs.services import job_start, job_sweep_lost
from video_analytics import analysis as analysis_module
from video_analytics import services, storage
from video_analytics.models import Analysis, AnalysisStatus, Event, RuleKind, WebhookDelivery
from video_analytics.tasks import analyse_clip

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db


class WorkerDied(BaseException):
    """What SIGKILL does to a worker: no except clause of the task runs."""


@pytest.fixture
def crossing_clip(camera_a, tmp_path):
    services.camera_update(camera=camera_a, stages=["motion"])
    line = services.zone_save(
        camera=camera_a, name="警戒线", kind="line", points=[[0.5, 0.1], [0.5, 0.95]]
    )
    services.rule_save(
        camera=camera_a,
        name="越线",
        kind=RuleKind.LINE_CROSSING,
        zone=line,
        params={"target": "any", "direction": "any"},
    )
    services.webhook_endpoint_create(
        tenant=camera_a.tenant, name="ops", url="https://hooks.example.com/va"
    )
    clip = write_clip(tmp_path / "c.mp4", moving_block_frames(60, x0=-400, speed=20))
    return SimpleUploadedFile("c.mp4", clip.read_bytes())


def _lapse(job_id) -> None:
    Job.objects.filter(pk=job_id).update(lease_expires_at=timezone.now() - timedelta(seconds=1))


def _first_run_dies(analysis: Analysis, *, after) -> None:
    """A worker takes the job and dies at `after` (checked at each progress report)."""
    job = job_start(job=Job.objects.get(pk=analysis.job_id), owner="worker-that-died")

    def progress(percent: int, message: str) -> None:
        if after():
            raise WorkerDied

    with pytest.raises(WorkerDied):
        analysis_module.analysis_run(
            analysis=Analysis.objects.select_related("camera").get(pk=analysis.pk),
            caller=analysis_module.gateway.Caller(tenant=job.tenant),
            progress=progress,
        )
    _lapse(job.pk)
    assert job_sweep_lost() == {"requeued": 1, "failed": 0}


def _rerun(analysis: Analysis) -> Analysis:
    kwargs = {"tenant_id": analysis.tenant_id, "job_id": str(analysis.job_id)}
    assert analyse_clip.apply(kwargs=kwargs).get() == JobStatus.SUCCEEDED
    return Analysis.objects.get(pk=analysis.pk)


def test_a_rerun_after_the_worker_died_mid_clip_records_each_crossing_once(camera_a, crossing_clip):
    analysis = services.clip_analysis_start(camera=camera_a, upload=crossing_clip, sample_fps=10)
    recorded = Event.objects.filter(analysis=analysis)
    _first_run_dies(analysis, after=recorded.exists)
    first = recorded.get()
    assert WebhookDelivery.objects.filter(event=first).count() == 1

    done = _rerun(analysis)
    assert done.status == AnalysisStatus.DONE and done.events_found == 1
    assert list(recorded.values_list("pk", flat=True)) == [first.pk]  # the same event, kept
    assert WebhookDelivery.objects.count() == 1  # not delivered twice
    assert recorded.get().clip  # its clip is written by the run that finished
    assert not done.input_path  # the original (faces unblurred) is gone
    assert Job.objects.get(pk=analysis.job_id).result["events"] == 1


def test_a_rerun_after_the_worker_died_at_the_end_reports_what_was_recorded(
    camera_a, crossing_clip, monkeypatch
):
    analysis = services.clip_analysis_start(camera=camera_a, upload=crossing_clip, sample_fps=10)
    # Dies right after the analysis was stored as done, before the clip was dropped.
    real_drop = analysis_module._drop_input
    died = []

    def drop_then_die(a):
        if not died:
            died.append(1)
            raise WorkerDied
        real_drop(a)

    monkeypatch.setattr(analysis_module, "_drop_input", drop_then_die)
    _first_run_dies(analysis, after=lambda: False)
    stored = Analysis.objects.get(pk=analysis.pk)
    assert stored.status == AnalysisStatus.DONE and stored.input_path

    done = _rerun(analysis)
    assert Event.objects.filter(analysis=analysis).count() == 1 == done.events_found
    assert not done.input_path and not storage.absolute(stored.input_path).exists()
    assert Job.objects.get(pk=analysis.job_id).result["events"] == 1
