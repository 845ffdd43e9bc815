"""A refused upload in a real browser: the error shows in place, in view, at the page's own
address (the shared behaviour of portal.js for every form the server sends back)."""

import pytest
from playwright.sync_api import expect

from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login
from video_analytics import services

pytestmark = pytest.mark.browser


def test_a_refused_clip_shows_its_error_in_view_at_the_camera_address(
    page, live_server, demo, tmp_path
):
    tenant = Tenant.objects.get(slug="gd-sz")
    camera = services.camera_create(
        tenant=tenant, name="福田营业厅", latitude=22.54, longitude=114.05
    )
    not_a_video = tmp_path / "notes.mp4"
    not_a_video.write_bytes(b"this is a text file, not a video" * 20)
    staff_login(page, live_server, "sz_analyst")
    camera_url = f"{live_server.url}/video-analytics/cameras/{camera.pk}/"
    page.goto(camera_url)

    page.locator("#upload-form input[type=file]").set_input_files(str(not_a_video))
    page.locator("#upload-form button[type=submit]").click()

    error = page.locator("#upload-form .field.has-error .error")
    expect(error).to_be_visible()
    expect(error).to_be_in_viewport()
    assert page.url == camera_url  # not the upload's address: a reload must not post again
    focused = page.evaluate("document.activeElement.closest('.field.has-error') !== null")
    assert focused
    screenshot(page, "va-upload-refused")
