"""Camera watchers never starve users' jobs: their own queue and worker, no pile-up, and a
dead stream backs off instead of holding a worker for minutes at a time."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from suite.jobs.models import Backoff
from suite.jobs.services import backoff_record
from video_analytics import services, tasks
from video_analytics.models import CameraStatus

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.watch_camera, "apply_async", lambda kwargs: queued.append(kwargs))
    return queued


def _dead_camera(tenant, stream_root):
    # A stream that cannot be opened, like the demo's unreachable cameras.
    return services.camera_create(
        tenant=tenant,
        name="断线",
        source_kind="file",
        stream_url=f"file://{stream_root / 'gone.mp4'}",
        stages=["motion"],
    )


def test_a_dead_stream_gives_up_quickly_and_backs_off(tenant_a, stream_root, sent):
    dead = _dead_camera(tenant_a, stream_root)
    assert tasks.watch_streams() == 1
    started = time.monotonic()
    result = tasks.watch_camera(**sent.pop())
    # Before: eight attempts with waits of 1+2+...+60 s, about 123 s of a worker per stretch.
    assert time.monotonic() - started < 10
    assert result["error"] and result["retry_in_s"] == 60
    dead.refresh_from_db()
    assert dead.status == CameraStatus.OFFLINE

    # Within its back-off the camera is not queued; once it has passed, it is, once.
    assert tasks.watch_streams() == 0 and sent == []
    Backoff.objects.filter(tenant=tenant_a).update(not_before=timezone.now())
    assert tasks.watch_streams() == 1
    assert tasks.watch_camera(**sent.pop())["retry_in_s"] == 120  # the wait doubles


def test_the_back_off_doubles_up_to_its_cap_and_a_good_stretch_clears_it(tenant_a):
    waits = [
        backoff_record(tenant_id=tenant_a.pk, key="k", ok=False, base_s=60, cap_s=1800)
        for _ in range(8)
    ]
    assert waits == [60, 120, 240, 480, 960, 1800, 1800, 1800]
    assert backoff_record(tenant_id=tenant_a.pk, key="k", ok=True, base_s=60, cap_s=1800) == 0
    assert Backoff.objects.get(tenant=tenant_a, key="k").not_before is None


def test_a_stretch_still_waiting_is_not_queued_again(tenant_a, stream_root, sent):
    path = write_clip(stream_root / "s.mp4", moving_block_frames(10))
    live = services.camera_create(
        tenant=tenant_a, name="流", source_kind="file", stream_url=f"file://{path}"
    )
    assert tasks.watch_streams() == 1
    # A minute later the first stretch has not run yet (a busy worker): no second one.
    assert tasks.watch_streams() == 0 and len(sent) == 1
    assert tasks.watch_camera(**sent.pop())["frames"]
    assert tasks.watch_streams() == 1  # ran and ended: the next stretch follows
    # A stretch lost with its worker holds the camera only so long.
    Backoff.objects.filter(tenant=tenant_a).update(held_until=timezone.now() - timedelta(seconds=1))
    assert tasks.watch_streams() == 1
    assert [k["camera_id"] for k in sent] == [live.pk, live.pk]


def test_watchers_have_their_own_queue_and_worker_in_make_run():
    assert tasks.watch_camera.route_queue == "streams"
    script = (Path(__file__).resolve().parents[2] / "scripts" / "run.sh").read_text()
    queues = dict(re.findall(r"^(QUEUES|STREAM_QUEUES)=(\S+)$", script, re.M))
    assert "streams" not in queues["QUEUES"].split(",")
    assert queues["STREAM_QUEUES"] == "streams"
    workers = re.findall(r'celery" -A suite worker -Q "\$(\w+)"', script)
    assert workers == ["QUEUES", "STREAM_QUEUES"]
