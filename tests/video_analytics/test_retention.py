from datetime import timedelta

import pytest
from django.utils import timezone

from video_analytics import services, storage
from video_analytics.analysis import CameraAnalyser
from video_analytics.models import Event
from video_analytics.selectors import retention_for, storage_used
from video_analytics.tasks import retention_sweep_all

from .helpers import make_event
from .synthetic import moving_block_frames

pytestmark = pytest.mark.django_db


def test_sweep_strips_old_media_then_old_events_per_camera(tenant_a, camera_a, camera_b):
    now = timezone.now()
    recent = make_event(camera_a, at=now - timedelta(days=2))
    old_media = make_event(camera_a, at=now - timedelta(days=10))
    ancient = make_event(camera_a, at=now - timedelta(days=40))
    other = services.camera_create(tenant=tenant_a, name="仓库")
    kept_longer = make_event(other, at=now - timedelta(days=40))
    services.retention_set(tenant=tenant_a, event_days=30, media_days=7)
    services.retention_set(tenant=tenant_a, camera=other, event_days=60, media_days=60)
    theirs = make_event(camera_b, at=now - timedelta(days=400))
    before = storage_used(tenant=tenant_a)["total_bytes"]

    result = retention_sweep_all()

    assert not Event.objects.filter(pk=ancient.pk).exists()
    stripped = Event.objects.get(pk=old_media.pk)
    assert stripped.snapshot == "" and stripped.bytes_stored == 0
    assert not storage.absolute(old_media.snapshot).exists()
    assert Event.objects.get(pk=recent.pk).snapshot == recent.snapshot
    assert Event.objects.get(pk=kept_longer.pk).snapshot  # its camera keeps 60 days
    # tenant b has no policy: the default (90 days of events) removed its 400-day-old event
    assert not Event.objects.filter(pk=theirs.pk).exists()
    assert result["events_removed"] == 2 and result["media_stripped"] == 1
    assert storage_used(tenant=tenant_a)["total_bytes"] < before


def test_keyframe_only_stores_snapshots_but_no_clips(tenant_a, camera_a):
    services.retention_set(tenant=tenant_a, event_days=30, media_days=7, keyframe_only=True)
    assert retention_for(camera_a).keyframe_only
    services.camera_update(camera=camera_a, stages=["motion"])
    services.rule_save(
        camera=camera_a,
        name="全画面",
        kind="intrusion",
        zone=services.zone_save(
            camera=camera_a, name="全", points=[[0, 0], [1, 0], [1, 1], [0, 1]]
        ),
        params={"target": "any"},
    )
    from suite.ai import gateway

    analyser = CameraAnalyser(
        camera=camera_a, caller=gateway.Caller(tenant=tenant_a), sample_fps=10
    )
    for i, frame in enumerate(moving_block_frames(40, x0=-300, speed=20)):
        analyser.feed(i, i / 10, frame)
    analyser.finish()
    events = list(Event.objects.for_tenant(tenant_a))
    assert events and all(e.snapshot and not e.clip for e in events)


def test_retention_refuses_media_longer_than_events(tenant_a):
    from suite.errors import InvalidInput

    with pytest.raises(InvalidInput):
        services.retention_set(tenant=tenant_a, event_days=5, media_days=9)
