"""Uploads checked before anything touches them; streams reconnect with back-off; bad input is
a 400 with a reason and the worker carries on with the next job."""

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from suite.jobs.models import Job, JobStatus
from tests.cross_tenant import covers
from video_analytics import services, storage
from video_analytics.analysis import stream_watch
from video_analytics.ingest import Backoff, StreamUnavailable, pull_stream
from video_analytics.models import Analysis, AnalysisStatus, Camera, CameraStatus, Event

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def clip_bytes(tmp_path):
    return write_clip(tmp_path / "c.mp4", moving_block_frames(30, x0=-300, speed=20)).read_bytes()


def upload(analyst, camera, data: bytes, name="clip.mp4"):
    return analyst.post(
        reverse("video_analytics:clip_upload", args=[camera.pk]),
        {"file": SimpleUploadedFile(name, data, "video/mp4"), "sample_fps": "5"},
    )


def uploads_dir(camera):
    folder = storage.tenant_dir(camera.tenant_id) / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


@covers("video_analytics:clip_upload")
def test_uploaded_clip_is_analysed_as_a_job_on_the_vision_queue(
    analyst, camera_a, camera_b, clip_bytes, tenant_a, commit
):
    from video_analytics.tasks import analyse_clip

    services.camera_update(camera=camera_a, stages=["motion"])
    assert analyse_clip.route_queue == "vision"
    with commit():
        response = upload(analyst, camera_a, clip_bytes)
    assert response.status_code == 302
    analysis = Analysis.objects.for_tenant(tenant_a).get()
    assert analysis.status == AnalysisStatus.DONE  # eager in tests
    # the unblurred original is gone once analysed
    assert analysis.input_path == "" and uploads_dir(camera_a) == []
    assert analysis.frames_analysed == 15  # 30 frames at 10 fps sampled at 5 fps
    assert set(analysis.timings) >= {"motion", "faces", "tracking"}
    job = Job.objects.for_tenant(tenant_a).get()
    assert job.kind == "video_analytics.analyse" and job.status == JobStatus.SUCCEEDED
    assert job.result["frames"] == 15
    assert upload(analyst, camera_b, clip_bytes).status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("notes.mp4", b"this is not a video at all", "not a supported video"),
        ("empty.mp4", b"", "empty"),
        ("cut.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4000, "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_reason_and_nothing_kept(
    analyst, camera_a, name, data, reason
):
    response = upload(analyst, camera_a, data, name)
    assert response.status_code == 400
    assert reason in response.content.decode()
    assert not Analysis.objects.exists() and not Job.objects.exists()
    assert uploads_dir(camera_a) == []


def test_a_truncated_real_clip_is_refused(analyst, camera_a, clip_bytes):
    response = upload(analyst, camera_a, clip_bytes[: len(clip_bytes) // 3])
    assert response.status_code == 400
    assert not Analysis.objects.exists() and uploads_dir(camera_a) == []


def test_limits_on_size_pixels_and_duration(analyst, camera_a, clip_bytes, settings, tmp_path):
    settings.VIDEO_ANALYTICS_MAX_CLIP_BYTES = 1000
    assert "limit is" in upload(analyst, camera_a, clip_bytes).content.decode()
    settings.VIDEO_ANALYTICS_MAX_CLIP_BYTES = 10**9
    settings.VIDEO_ANALYTICS_MAX_FRAME_PIXELS = 320 * 240
    response = upload(analyst, camera_a, clip_bytes)
    assert response.status_code == 400 and "640x480" in response.content.decode()
    settings.VIDEO_ANALYTICS_MAX_FRAME_PIXELS = 10**8
    settings.VIDEO_ANALYTICS_MAX_CLIP_SECONDS = 1
    response = upload(analyst, camera_a, clip_bytes)
    assert response.status_code == 400 and "Split it first" in response.content.decode()
    assert not Analysis.objects.exists()


def test_an_unsupported_codec_is_refused(analyst, camera_a, tmp_path):
    # a valid MP4 container whose only stream is audio: nothing OpenCV can decode as video
    import subprocess

    import imageio_ffmpeg

    out = tmp_path / "audio.mp4"
    subprocess.run(  # noqa: S603 - the bundled ffmpeg with fixed arguments
        [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-loglevel",
            "error",
            "-f",
            "lavfi",
            "-i",
            "sine=frequency=440:duration=1",
            "-c:a",
            "aac",
            str(out),
        ],
        check=True,
    )
    response = upload(analyst, camera_a, out.read_bytes())
    assert response.status_code == 400
    assert not Analysis.objects.exists()


def test_worker_stays_up_when_a_stored_clip_turns_out_broken(
    camera_a, tenant_a, clip_bytes, commit
):
    from video_analytics.tasks import analyse_clip

    services.camera_update(camera=camera_a, stages=["motion"])
    good = SimpleUploadedFile("a.mp4", clip_bytes)
    with commit():
        first = services.clip_analysis_start(camera=camera_a, upload=good)
    assert Analysis.objects.get(pk=first.pk).status == AnalysisStatus.DONE
    # the file vanishes between upload and analysis (disk cleaned, node lost): the job fails
    # with a message, and the next job on the same worker runs normally
    second = services.clip_analysis_start(
        camera=camera_a, upload=SimpleUploadedFile("b.mp4", clip_bytes)
    )
    storage.absolute(second.input_path).write_bytes(b"garbage")
    Job.objects.filter(pk=second.job_id).update(status=JobStatus.QUEUED)
    Analysis.objects.filter(pk=second.pk).update(status=AnalysisStatus.QUEUED)
    analyse_clip.apply(kwargs={"tenant_id": tenant_a.pk, "job_id": str(second.job_id)})
    failed = Analysis.objects.get(pk=second.pk)
    assert failed.status == AnalysisStatus.FAILED and failed.error
    assert Job.objects.get(pk=second.job_id).status == JobStatus.FAILED
    with commit():
        third = services.clip_analysis_start(
            camera=camera_a, upload=SimpleUploadedFile("c.mp4", clip_bytes)
        )
    assert Analysis.objects.get(pk=third.pk).status == AnalysisStatus.DONE
    assert Analysis.objects.get(pk=third.pk).frames_analysed > 0


class FakeCapture:
    def __init__(self, frames):
        self.frames = list(frames)

    def isOpened(self):
        return self.frames is not None

    def read(self):
        if not self.frames:
            return False, None
        return True, self.frames.pop(0)

    def get(self, prop):
        return 0

    def release(self):
        pass


def test_stream_reconnects_with_exponential_backoff():
    frame = np.zeros((48, 64, 3), np.uint8)
    # refused twice, plays 3 frames and drops, refused once, plays 2 frames
    script = [None, None, [frame] * 3, None, [frame] * 2]
    attempts = []

    def opener(url):
        attempts.append(url)
        item = script.pop(0) if script else None
        capture = FakeCapture(item or [])
        if item is None:
            capture.frames = None
        return capture

    sleeps, statuses = [], []
    got = list(
        pull_stream(
            "rtsp://cam/live",
            0,
            max_frames=5,
            opener=opener,
            sleep=sleeps.append,
            backoff=Backoff(base_s=1, cap_s=60),
            on_status=lambda s, d: statuses.append(s),
        )
    )
    assert len(got) == 5 and len(attempts) == 5
    # doubles while failing; frames reset it, so the drop and the refusal after it wait 1, 2
    assert sleeps == [1, 2, 1, 2]
    assert statuses[:3] == ["offline", "offline", "online"]


def test_stream_gives_up_after_the_cap_and_the_camera_goes_offline(camera_a, tenant_a, settings):
    # the closed port below stands for a camera the operator allows
    settings.VIDEO_ANALYTICS_STREAM_HOSTS = ["127.0.0.1"]

    def never(url):
        capture = FakeCapture([])
        capture.frames = None
        return capture

    sleeps = []
    with pytest.raises(StreamUnavailable):
        list(
            pull_stream(
                "rtsp://cam/live",
                5,
                opener=never,
                sleep=sleeps.append,
                backoff=Backoff(base_s=1, cap_s=8, max_failures=6),
            )
        )
    assert sleeps == [1, 2, 4, 8, 8]
    camera = services.camera_create(
        tenant=tenant_a, name="断线", source_kind="rtsp", stream_url="rtsp://127.0.0.1:9/none"
    )
    from suite.ai import gateway

    result = stream_watch(
        camera=camera,
        caller=gateway.Caller(tenant=tenant_a),
        backoff=Backoff(base_s=0, max_failures=2),
        sleep=lambda s: None,
    )
    camera.refresh_from_db()
    assert camera.status == CameraStatus.OFFLINE and "2 attempts" in camera.health
    assert result["frames"] == 0 and "error" in result


def test_a_file_url_streams_through_the_pipeline(camera_a, tenant_a, stream_root):
    path = write_clip(stream_root / "live.mp4", moving_block_frames(40, x0=-300, speed=20))
    camera = services.camera_create(
        tenant=tenant_a,
        name="文件流",
        source_kind="file",
        stream_url=f"file://{path}",
        stages=["motion"],
    )
    zone = services.zone_save(
        camera=camera, name="右侧", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=camera, name="闯入", kind="intrusion", zone=zone, params={"target": "any"}
    )
    from suite.ai import gateway

    result = stream_watch(camera=camera, caller=gateway.Caller(tenant=tenant_a))
    camera.refresh_from_db()
    assert result["frames"] == 20  # 40 frames at 10 fps sampled at the camera's 5 fps
    assert camera.status == CameraStatus.ONLINE and camera.last_seen_at is not None
    assert Event.objects.for_tenant(tenant_a).filter(camera=camera).count() == 1
    assert Camera.objects.get(pk=camera.pk).snapshot


def test_watch_streams_queues_each_stream_camera_on_the_streams_queue(
    tenant_a, stream_root, monkeypatch
):
    from video_analytics import tasks

    path = write_clip(stream_root / "s.mp4", moving_block_frames(10))
    live = services.camera_create(
        tenant=tenant_a,
        name="流",
        source_kind="file",
        stream_url=f"file://{path}",
        stages=["motion"],
    )
    off = services.camera_create(
        tenant=tenant_a, name="停用", source_kind="file", stream_url=f"file://{path}"
    )
    services.camera_update(camera=off, status=CameraStatus.DISABLED)
    services.camera_create(tenant=tenant_a, name="仅上传")
    sent = []
    monkeypatch.setattr(tasks.watch_camera, "apply_async", lambda kwargs: sent.append(kwargs))
    assert tasks.watch_streams() == 1
    assert sent == [
        {"tenant_id": tenant_a.pk, "camera_id": live.pk, "max_seconds": 55, "scheduled": True}
    ]
    assert tasks.watch_camera.route_queue == "streams"
    result = tasks.watch_camera(**sent[0])
    assert result["frames"] == 5
    assert tasks.watch_camera(tenant_id=tenant_a.pk, camera_id=off.pk) == {"skipped": True}
