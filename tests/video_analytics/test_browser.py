"""The camera pages, the zone editor and live alerts in a real browser (headless Chromium).

Live alerts need WebSockets, so these tests use the real ASGI application served by the
`asgi_server` fixture (tests/browser.py): the alert goes service -> channel layer -> consumer ->
socket -> page, as in production.
"""

import numpy as np
import pytest
from django.utils import translation
from playwright.sync_api import expect

from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login
from video_analytics import services
from video_analytics.models import Event, EventStatus, Zone

from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.browser


@pytest.fixture
def shenzhen(demo):
    tenant = Tenant.objects.get(slug="gd-sz")
    camera = services.camera_create(
        tenant=tenant, name="福田营业厅", latitude=22.54, longitude=114.05, group="营业厅"
    )
    services.camera_create(tenant=tenant, name="科技园东门", latitude=22.54, longitude=113.95)
    frame = np.full((480, 640, 3), 120, np.uint8)
    frame[200:300, 250:400] = (40, 90, 200)
    services.camera_set_snapshot(camera=camera, image=frame)
    return camera


def test_camera_list_map_and_zone_editor(page, asgi_server, shenzhen):
    staff_login(page, asgi_server, "sz_analyst")
    page.goto(f"{asgi_server.url}/video-analytics/")
    expect(page.locator("#va-map .va-pin")).to_have_count(2)
    card = page.locator(f'.va-camera-card[data-camera-id="{shenzhen.pk}"] img')
    expect(card).to_be_visible()
    assert page.evaluate("img => img.naturalWidth", card.element_handle()) == 640
    screenshot(page, "va-home")

    page.get_by_role("link", name="福田营业厅").first.click()
    expect(page.locator("main h1")).to_contain_text("福田营业厅")
    canvas = page.locator("#zone-canvas")
    box = canvas.bounding_box()
    clicks = [(0.5, 0.4), (0.95, 0.4), (0.95, 0.95), (0.5, 0.95)]
    for x, y in clicks:
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    expect(page.locator("#zone-canvas circle.zone-point")).to_have_count(4)
    page.locator("#zone-name").fill("柜台内侧")
    page.locator("#zone-save").click()
    expect(page.locator("#zone-list")).to_contain_text("柜台内侧")
    expect(page.locator("#zone-canvas polygon.zone-saved")).to_have_count(1)
    zone = Zone.objects.get(camera=shenzhen, name="柜台内侧")
    assert zone.kind == "area"
    for (x, y), (zx, zy) in zip(clicks, zone.points, strict=True):
        assert abs(zx - x) < 0.01 and abs(zy - y) < 0.01
    screenshot(page, "va-zone-editor")

    # two points are not an area: the server's reason is shown and nothing is saved
    for x, y in [(0.1, 0.1), (0.2, 0.2)]:
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    page.locator("#zone-name").fill("太小")
    page.locator("#zone-save").click()
    expect(page.locator("#zone-message")).to_have_class("error")
    assert not Zone.objects.filter(name="太小").exists()

    # a line, then a rule on it through the form
    page.locator("#zone-kind").select_option("line")
    for x, y in [(0.3, 0.1), (0.3, 0.9)]:
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    page.locator("#zone-name").fill("闸机线")
    page.locator("#zone-save").click()
    expect(page.locator("#zone-list")).to_contain_text("闸机线")
    assert Zone.objects.get(name="闸机线").kind == "line"

    # edit the saved area: its points come back as a draft, new ones replace them
    counter = Zone.objects.get(camera=shenzhen, name="柜台内侧")
    page.locator(f'#zone-list .zone-edit[data-zone-id="{counter.pk}"]').click()
    expect(page.locator("#zone-canvas circle.zone-point")).to_have_count(4)
    expect(page.locator("#zone-name")).to_have_value("柜台内侧")
    page.locator("#zone-clear").click()
    moved = [(0.1, 0.5), (0.6, 0.5), (0.35, 0.95)]
    for x, y in moved:
        canvas.click(position={"x": box["width"] * x, "y": box["height"] * y})
    page.locator("#zone-name").fill("柜台")
    page.locator("#zone-save").click()
    expect(page.locator(f'#zone-list li[data-zone-id="{counter.pk}"] strong')).to_have_text("柜台")
    counter.refresh_from_db()
    assert counter.name == "柜台" and len(counter.points) == 3
    for (x, y), (zx, zy) in zip(moved, counter.points, strict=True):
        assert abs(zx - x) < 0.01 and abs(zy - y) < 0.01
    assert Zone.objects.filter(camera=shenzhen).count() == 2  # edited, not added


def test_live_alerts_arrive_while_a_clip_is_analysed(page, asgi_server, shenzhen, tmp_path):
    # one tab watches the events page; another uploads a clip whose analysis raises an alert
    services.camera_update(camera=shenzhen, stages=["motion"])
    zone = services.zone_save(
        camera=shenzhen, name="柜台内侧", points=[[0.5, 0], [1, 0], [1, 1], [0.5, 1]]
    )
    services.rule_save(
        camera=shenzhen,
        name="闯入柜台",
        kind="intrusion",
        zone=zone,
        severity="high",
        params={"target": "any"},
    )
    clip = write_clip(tmp_path / "counter.mp4", moving_block_frames(50, x0=-300, speed=20))
    staff_login(page, asgi_server, "sz_analyst")
    page.goto(f"{asgi_server.url}/video-analytics/events/")
    expect(page.locator("#va-live")).to_be_visible()  # the socket is open
    expect(page.locator("#va-alerts [data-event-id]")).to_have_count(0)

    uploader = page.context.new_page()
    uploader.goto(f"{asgi_server.url}/video-analytics/cameras/{shenzhen.pk}/")
    uploader.locator("#upload-form input[type=file]").set_input_files(str(clip))
    uploader.locator("#upload-form button[type=submit]").click()
    expect(uploader.locator("main")).to_contain_text("counter.mp4")

    event = Event.objects.get(camera=shenzhen)
    alert = page.locator(f'#va-alerts [data-event-id="{event.pk}"]')
    expect(alert).to_contain_text("柜台内侧")
    expect(alert.locator(".badge")).to_have_class("badge sev-high")
    screenshot(page, "va-live-alerts")

    # acknowledging in the other tab updates the alert in place
    uploader.goto(f"{asgi_server.url}/video-analytics/events/{event.pk}/")
    expect(uploader.locator("img.va-media")).to_be_visible()
    uploader.locator("button[formaction$='/do/acknowledge/']").click()
    with translation.override("zh-hans"):
        acknowledged = str(EventStatus.ACKNOWLEDGED.label)
    expect(alert.locator('[data-field="status"]')).to_have_text(acknowledged)
    event.refresh_from_db()
    assert event.status == EventStatus.ACKNOWLEDGED
