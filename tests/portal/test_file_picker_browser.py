"""File pickers speak the page's language in a real browser: the native one prints "Choose File"
in the browser's own language (English in CI's Chromium), whatever the page's language is."""

import pytest
from playwright.sync_api import expect

from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login
from video_analytics import services

pytestmark = pytest.mark.browser


@pytest.fixture
def camera_page(page, live_server, demo):
    tenant = Tenant.objects.get(slug="gd-sz")
    camera = services.camera_create(
        tenant=tenant, name="福田营业厅", latitude=22.54, longitude=114.05
    )
    staff_login(page, live_server, "sz_analyst")
    page.goto(f"{live_server.url}/video-analytics/cameras/{camera.pk}/")
    return page


def test_the_picker_is_in_chinese_and_names_the_chosen_file(camera_page, tmp_path):
    picker = camera_page.locator("#upload-form .file-picker")
    expect(picker).to_contain_text("选择文件")
    expect(picker).to_contain_text("未选择文件")
    assert "Choose File" not in picker.inner_text()

    clip = tmp_path / "大堂片段.mp4"
    clip.write_bytes(b"\x00" * 64)
    camera_page.locator("#upload-form input[type=file]").set_input_files(str(clip))
    expect(picker.locator(".file-picker-names")).to_have_text("大堂片段.mp4")
    screenshot(camera_page, "file-picker-chosen")


def test_a_dropped_file_becomes_the_inputs_file(camera_page):
    camera_page.locator("#upload-form .file-picker").evaluate(
        """picker => {
            const data = new DataTransfer();
            data.items.add(new File(["x"], "门口.mp4", { type: "video/mp4" }));
            const drop = { dataTransfer: data, bubbles: true, cancelable: true };
            picker.dispatchEvent(new DragEvent("drop", drop));
        }"""
    )
    names = camera_page.locator("#upload-form input[type=file]").evaluate(
        "input => Array.from(input.files).map(f => f.name)"
    )
    assert names == ["门口.mp4"]
    expect(camera_page.locator("#upload-form .file-picker-names")).to_have_text("门口.mp4")
