"""Clip analysis reports its progress as frames go by, and the camera page shows a running
analysis with the shared progress component (a failed one says to upload the clip again: the
clip is deleted after its analysis, so there is nothing to run again)."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from suite.jobs.models import Job, JobStatus
from tests.job_progress import assert_progress_climbs, record_job_events
from video_analytics import services
from video_analytics.models import Analysis

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def published(monkeypatch):
    return record_job_events(monkeypatch)


def upload(analyst, camera, data: bytes):
    return analyst.post(
        reverse("video_analytics:clip_upload", args=[camera.pk]),
        {"file": SimpleUploadedFile("clip.mp4", data, "video/mp4"), "sample_fps": "5"},
    )


def test_analysis_reports_progress_every_ten_frames(
    analyst, camera_a, tenant_a, tmp_path, commit, published
):
    services.camera_update(camera=camera_a, stages=["motion"])
    clip = write_clip(tmp_path / "c.mp4", moving_block_frames(70, x0=-300, speed=10))
    with commit():
        assert upload(analyst, camera_a, clip.read_bytes()).status_code == 302
    analysis = Analysis.objects.for_tenant(tenant_a).get()
    assert analysis.frames_analysed == 35  # 70 frames at 10 fps sampled at 5 fps
    assert_progress_climbs(published, steps=4)  # at frames 0, 10, 20, 30
    assert [m for s, _p, m in published if s == "running" and m][-1] == ("30 of 35 frames analysed")


def test_the_camera_page_shows_a_waiting_analysis_then_its_failure(
    analyst, camera_a, tenant_a, tmp_path
):
    clip = write_clip(tmp_path / "c.mp4", moving_block_frames(20, x0=-300, speed=20))
    upload(analyst, camera_a, clip.read_bytes())  # not committed: the job stays queued
    analysis = Analysis.objects.for_tenant(tenant_a).get()
    page = analyst.get(reverse("video_analytics:camera_detail", args=[camera_a.pk]))
    html = page.content.decode()
    assert f'data-job-id="{analysis.job_id}"' in html and "Queued (position 1)" in html
    Job.objects.filter(pk=analysis.job_id).update(status=JobStatus.FAILED, error="decoder gone")
    html = analyst.get(reverse("video_analytics:camera_detail", args=[camera_a.pk])).content
    html = html.decode()
    assert "Clip analysis failed." in html and "upload it again" in html
    assert "job-progress-retry" not in html  # its clip is gone: nothing to run again
    assert analyst.post(f"/jobs/{analysis.job_id}/retry/").status_code == 302
    assert Job.objects.get(pk=analysis.job_id).status == JobStatus.FAILED
