import numpy as np
import pytest
from django.core.management import call_command
from PIL import Image

from suite.ai import gateway
from suite.tenancy.models import Tenant
from video_analytics import services, storage
from video_analytics.analysis import CameraAnalyser
from video_analytics.models import Camera, Event
from video_analytics.scenes import street_frames

pytestmark = pytest.mark.django_db


def test_on_screen_text_is_read_into_the_event_and_searchable(camera_a, tenant_a):
    from video_analytics.selectors import EventFilters, events_search

    services.camera_update(camera=camera_a, stages=["motion", "ocr"])
    zone = services.zone_save(
        camera=camera_a, name="右侧", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=camera_a, name="闯入", kind="intrusion", zone=zone, params={"target": "any"}
    )
    analyser = CameraAnalyser(camera=camera_a, caller=gateway.Caller(tenant=tenant_a), sample_fps=5)
    for i, frame in enumerate(street_frames(50, text="粤B 12345 东门")):
        analyser.feed(i, i / 5, frame)
    analyser.finish()
    event = Event.objects.for_tenant(tenant_a).get()
    assert "12345" in event.ocr_text.replace(" ", "")
    found = events_search(tenant=tenant_a, filters=EventFilters(q="12345"))
    assert list(found) == [event]


def test_demo_seed_is_idempotent_and_fills_the_pages(db):
    from io import StringIO

    call_command("seed_demo", stdout=StringIO())
    call_command("seed_demo", stdout=StringIO())
    shenzhen = Tenant.objects.get(slug="gd-sz")
    cameras = Camera.objects.for_tenant(shenzhen)
    assert cameras.count() == 4 and all(c.latitude for c in cameras)
    hall = cameras.get(name="福田营业厅大堂")
    assert hall.snapshot and hall.zones.count() == 2 and hall.rules.count() == 3
    # The snapshot is a drawn scene, not noise: most neighbouring pixels are alike (a noise
    # frame has almost none alike), and it has the scene's full size.
    pixels = np.asarray(Image.open(storage.absolute(hall.snapshot)).convert("L"), np.int16)
    assert pixels.shape[0] >= 240 and pixels.shape[1] >= 320
    alike = (np.abs(np.diff(pixels, axis=1)) <= 3).mean()
    assert alike > 0.6, alike
    events = Event.objects.for_tenant(shenzhen)
    assert events.filter(kind="intrusion").exists() and all(e.snapshot for e in events)
    assert all("柜台内侧" in e.description or "闸机线" in e.description for e in events)
    assert all("motion" in e.scene_tags for e in events)  # the scene stage tagged the frames
    # the credentials in the demo URLs are stored encrypted only
    east = cameras.get(name="南山科技园东门")
    assert east.has_credentials and "Demo-2026" not in east.stream_display
