"""Continuous stream watching: one reader per live camera, restarted on change, stopped cleanly.

Readers are threads with their own database connections, hence transactional tests. Waiting
for something to happen uses a generous deadline (a machine under load is slower, not wrong);
nothing here asserts how fast it happens.
"""

import threading
import time

import numpy as np
import pytest
from django.core.management import call_command

from video_analytics import services, tasks
from video_analytics.ingest import pull_stream
from video_analytics.models import Camera, CameraStatus, Event
from video_analytics.watching import StreamSupervisor, supervisor_alive

from .synthetic import moving_block_frames, write_clip
from .test_ingest import FakeCapture

pytestmark = pytest.mark.django_db(transaction=True)


def wait_for(condition, deadline_s: float = 90.0) -> bool:
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


@pytest.fixture
def file_camera(tenant_a, stream_root):
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
    return camera


def test_pull_stream_stops_between_frames_and_before_reconnecting():
    frame = np.zeros((48, 64, 3), np.uint8)
    stop = threading.Event()
    got = []
    for item in pull_stream(
        "rtsp://cam/live", 0, opener=lambda url: FakeCapture([frame] * 10), sleep=stop.wait,
        should_stop=stop.is_set,
    ):  # fmt: skip
        got.append(item)
        if len(got) == 3:
            stop.set()
    assert len(got) == 3
    opened = []
    list(pull_stream("rtsp://cam/live", 0, opener=opened.append, should_stop=lambda: True))
    assert opened == []


def test_supervisor_watches_continuously_restarts_on_change_and_stops_cleanly(
    file_camera, tenant_a, tenant_b
):
    upload_only = services.camera_create(tenant=tenant_a, name="仅上传")
    supervisor = StreamSupervisor(tenant_ids=[tenant_a.pk], poll_s=0.2, retry_base_s=0.2)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    try:
        assert wait_for(lambda: file_camera.pk in supervisor.readers)
        first = supervisor.readers[file_camera.pk]
        # the file plays to its end and the same reader starts it again: watching goes on
        assert wait_for(lambda: first.runs >= 2)
        assert Event.objects.for_tenant(tenant_a).filter(camera=file_camera).count() >= 2
        assert upload_only.pk not in supervisor.readers and supervisor_alive()
        # the periodic stretches stand aside while the supervisor runs
        assert tasks.watch_streams() == 0
        camera = Camera.objects.get(pk=file_camera.pk)
        assert camera.status == CameraStatus.ONLINE and camera.snapshot

        # a changed rule restarts the reader with the new settings
        rule = file_camera.rules.get()
        services.rule_save(
            camera=file_camera, rule=rule, name="闯入", kind="intrusion", zone=rule.zone,
            severity="critical", params={"target": "any"},
        )  # fmt: skip
        assert wait_for(lambda: supervisor.readers.get(file_camera.pk) not in (None, first))
        assert not first.thread.is_alive()
        assert wait_for(
            lambda: Event.objects.filter(camera=file_camera, severity="critical").exists()
        )

        # a disabled camera loses its reader, and stays disabled
        second = supervisor.readers[file_camera.pk]
        services.camera_update(camera=file_camera, status=CameraStatus.DISABLED)
        assert wait_for(lambda: file_camera.pk not in supervisor.readers)
        assert wait_for(lambda: not second.thread.is_alive())
        assert Camera.objects.get(pk=file_camera.pk).status == CameraStatus.DISABLED
    finally:
        supervisor.stop()
        runner.join(60)
    assert not runner.is_alive() and supervisor.readers == {}
    assert not supervisor_alive()


def test_a_failing_reader_keeps_retrying_and_never_takes_the_supervisor_down(file_camera):
    calls = []

    def flaky(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("decoder crashed")
        return {"frames": 0, "events": 0, "error": "The stream could not be reached."}

    supervisor = StreamSupervisor(poll_s=0.1, retry_base_s=0.01, retry_cap_s=0.05, watch=flaky)
    runner = threading.Thread(target=supervisor.run)
    runner.start()
    try:
        assert wait_for(lambda: len(calls) >= 4)
        reader = supervisor.readers[file_camera.pk]
        assert reader.thread.is_alive() and reader.runs >= 3
        # readers run without a time limit and can be stopped mid-stream
        assert calls[0]["max_seconds"] is None and calls[0]["should_stop"]() is False
    finally:
        supervisor.stop()
        runner.join(60)
    assert not runner.is_alive() and not reader.thread.is_alive()
    assert calls[-1]["should_stop"]() is True


def test_watch_cameras_command_runs_and_exits(file_camera, tenant_a):
    from io import StringIO

    out = StringIO()
    call_command("watch_cameras", "--tenant", tenant_a.slug, "--max-seconds", "3", stdout=out)
    assert "stopped" in out.getvalue()
    assert Camera.objects.get(pk=file_camera.pk).last_seen_at is not None
    assert not supervisor_alive()
    with pytest.raises(Exception, match="No such tenant: nowhere"):
        call_command("watch_cameras", "--tenant", "nowhere", "--max-seconds", "1")


@pytest.mark.django_db(transaction=False)
def test_a_silent_network_source_fails_like_an_unreachable_one(settings):
    """It accepts the connection and never answers: the open timeout ends each attempt."""
    import socket

    from video_analytics.ingest import Backoff, StreamUnavailable

    settings.VIDEO_ANALYTICS_STREAM_TIMEOUT_S = 1
    settings.VIDEO_ANALYTICS_STREAM_HOSTS = ["127.0.0.1"]  # the silent server stands for a camera
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    threading.Thread(
        target=lambda: [accepted.append(server.accept()) for _ in range(2)], daemon=True
    ).start()
    port = server.getsockname()[1]
    statuses = []
    try:
        with pytest.raises(StreamUnavailable):
            list(
                pull_stream(
                    f"rtsp://127.0.0.1:{port}/live",
                    5,
                    backoff=Backoff(base_s=0, max_failures=2),
                    sleep=lambda s: None,
                    on_status=lambda status, detail: statuses.append(status),
                )
            )
    finally:
        server.close()
    assert statuses == ["offline", "offline"] and len(accepted) == 2
