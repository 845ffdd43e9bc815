"""A clip analysed by a real Celery worker consuming the vision queue (not eager)."""

import pytest
from celery.contrib.testing.worker import start_worker
from django.core.files.uploadedfile import SimpleUploadedFile

from suite.celery import app
from suite.jobs.models import JobStatus
from tests.suite.test_jobs import _wait_finished
from video_analytics import services
from video_analytics.models import Analysis, AnalysisStatus, Event

from .synthetic import moving_block_frames, write_clip


@pytest.mark.django_db(transaction=True)
def test_clip_is_analysed_by_a_worker_on_the_vision_queue(tenant_a, camera_a, tmp_path):
    from video_analytics.tasks import analyse_clip

    route = app.amqp.router.route({}, analyse_clip.name, task_type=analyse_clip)
    assert route["queue"].name == "vision"
    services.camera_update(camera=camera_a, stages=["motion"])
    zone = services.zone_save(
        camera=camera_a, name="右侧", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=camera_a, name="闯入", kind="intrusion", zone=zone, params={"target": "any"}
    )
    data = write_clip(tmp_path / "c.mp4", moving_block_frames(40, x0=-300, speed=20)).read_bytes()
    app.conf.task_always_eager = False  # restored by the autouse fixture
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        analysis = services.clip_analysis_start(
            camera=camera_a, upload=SimpleUploadedFile("c.mp4", data)
        )
        job = _wait_finished(analysis.job)
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.progress == 100 and job.result["frames"] == 20
    assert Analysis.objects.get(pk=analysis.pk).status == AnalysisStatus.DONE
    assert Event.objects.for_tenant(tenant_a).filter(kind="intrusion").count() == 1
