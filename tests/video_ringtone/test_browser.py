"""The subscriber's creation flow on a 375 px phone screen, with the render progress bar."""

import re
import threading

import pytest
from playwright.sync_api import expect

from suite.accounts.models import User
from suite.tenancy.models import Tenant
from tests.browser import screenshot
from tests.portal.test_browser import SENT_SMS
from video_ringtone import tasks
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    Draft,
    Ringtone,
    RingtoneLimits,
    SimulatedProvision,
)
from video_ringtone.services import review

from .conftest import jpeg_bytes, picture

pytestmark = pytest.mark.browser


def _run_in_worker(task, sent):
    """What a Celery worker does with the captured message, in another thread (connection)."""
    worker = threading.Thread(target=lambda: task.run(**sent.pop()["kwargs"]))
    worker.start()
    worker.join()


def test_subscriber_creates_renders_and_submits_on_a_phone(
    mobile_page, live_server, demo, settings, monkeypatch, tmp_path, tiny
):
    settings.SMS_SENDER = "tests.portal.test_browser.RecordingSmsSender"
    SENT_SMS.clear()
    RingtoneLimits.objects.create(tenant=Tenant.objects.get(slug="gd-sz"), max_duration_s=20)
    image_jobs, render_jobs = [], []
    monkeypatch.setattr(
        tasks.generate_candidates, "apply_async", lambda **kw: image_jobs.append(kw)
    )
    monkeypatch.setattr(tasks.render_ringtone, "apply_async", lambda **kw: render_jobs.append(kw))
    page = mobile_page
    page.goto(f"{live_server.url}/m/login/")
    page.fill("input[name=phone]", "13800138000")
    page.click("text=获取验证码")
    expect(page.locator("#otp-form")).to_have_attribute("data-step", "code")
    page.fill("input[name=code]", re.search(r"\b(\d{6})\b", SENT_SMS[-1]["text"]).group(1))
    page.click("#otp-form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/m/")

    page.click("text=制作视频彩铃")
    page.click("button[name=theme][value=birthday]")
    expect(page.locator("h1")).to_contain_text("生日")

    photo = tmp_path / "me.jpg"
    photo.write_bytes(jpeg_bytes(picture(4, size=(480, 640))))
    page.set_input_files("input[name=photo]", str(photo))
    page.click("#photo-form button[type=submit]")
    expect(page.locator(".msg-success")).to_contain_text("照片已添加")

    page.click("button[name=source][value=text]")
    expect(page.locator("#images-pending")).to_be_visible()
    _run_in_worker(tasks.generate_candidates, image_jobs)
    # The page polls the draft's status and reloads itself when the images are in.
    expect(page.locator("#fallback-note")).to_be_visible(timeout=10_000)
    expect(page.locator("[data-add-scene]")).to_have_count(3)  # the photo + 2 generated

    # The draft saves itself as the user types: change the caption and leave the field.
    page.locator("details.vr-more").evaluate("details => { details.open = true; }")
    page.fill("#draft-form input[name=caption]", "妈妈生日快乐")
    page.locator("#draft-form input[name=caption]").blur()
    expect(page.locator("#draft-form [data-saved]")).to_be_visible()
    assert Draft.objects.get(owner__phone="13800138000").caption == "妈妈生日快乐"

    for _ in range(2):
        page.locator("[data-add-scene]").first.click()
    expect(page.locator(".vr-scene")).to_have_count(2)
    first = page.locator(".vr-scene").first
    first.locator("input[name=caption]").fill("生日快乐")
    first.locator("button[value=save]").click()
    expect(page.locator(".vr-scene").first.locator("input[name=caption]")).to_have_value("生日快乐")

    page.select_option("#render-form select[name=profile]", "low")
    page.click("#render-form button[type=submit]")
    bar = page.locator("#vr-progress")
    expect(bar).to_be_visible()
    expect(bar).to_have_attribute("value", "0")
    screenshot(page, "ringtone-rendering")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    _run_in_worker(tasks.render_ringtone, render_jobs)
    expect(page.locator("#vr-preview")).to_be_visible(timeout=10_000)
    expect(page.locator("#render")).to_contain_text("已标注“AI生成”")
    screenshot(page, "ringtone-rendered")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    check_jobs = []
    monkeypatch.setattr(tasks.check_ringtone, "apply_async", lambda **kw: check_jobs.append(kw))
    page.click("#submit-review")
    expect(page.locator("#vr-checking")).to_be_visible()
    _run_in_worker(tasks.check_ringtone, check_jobs)
    # The page looks again by itself and shows the ringtone waiting for a reviewer.
    expect(page.locator("#ringtone-status")).to_contain_text("审核中", timeout=10_000)
    expect(page.locator(".vr-checks li")).to_have_count(7)

    # A reviewer approves it; the subscriber sets it on their number for family, 8:00-22:00.
    ringtone = Ringtone.objects.get(owner__phone="13800138000")
    monkeypatch.setattr(tasks.render_renditions, "apply_async", lambda **kw: None)
    review.review_decide(
        ringtone=ringtone, reviewer=User.objects.get(username="sz_reviewer"), approve=True
    )
    sync_jobs = []
    monkeypatch.setattr(tasks.platform_sync, "apply_async", lambda **kw: sync_jobs.append(kw))
    page.reload()
    expect(page.locator("#ringtone-status")).to_contain_text("已通过")
    page.select_option("#assign-form select[name=caller_group]", "family")
    page.fill("#assign-form input[name=start_time]", "08:00")
    page.fill("#assign-form input[name=end_time]", "22:00")
    page.click("#assign-form button[type=submit]")
    expect(page.locator(".msg-success")).to_be_visible()
    _run_in_worker(tasks.platform_sync, sync_jobs)
    page.goto(f"{live_server.url}/video-ringtone/m/")
    expect(page.locator("main")).to_contain_text("家人 · 08:00–22:00")
    assert Assignment.objects.get().state == AssignmentState.ACTIVE
    assert SimulatedProvision.objects.get().phone == "13800138000"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "ringtone-home")
