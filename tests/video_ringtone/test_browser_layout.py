"""Issue 16 in Chromium: on a 360 px phone the prompt box stays inside its card, the draft page
shows the image job's bar with its place in line, and on a phone and a desktop the video's
AIGC label sits clear of the native controls (top-left, away from their bottom bar)."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from tests.browser import new_page, screenshot
from video_ringtone import tasks
from video_ringtone.services import drafts, rendering, review

from .conftest import draft_with_scenes

pytestmark = pytest.mark.browser


def _sign_in(page, live_server, user) -> None:
    """Subscribers sign in with an SMS code; the session cookie stands in for that step."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
    )


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def _one_visible_label(page):
    """The label a person sees is in the video's pixels (top right, above the controls at the
    bottom: test_rendering checks its place); the page adds only its text for screen readers."""
    label = _box(page, "[data-aigc-badge]")
    assert label["width"] <= 1 and label["height"] <= 1
    expect(page.locator("[data-aigc-badge]")).to_have_text("AI生成")


@pytest.mark.django_db(transaction=True)
def test_phone_and_desktop_layout(
    browser, live_server, tenant_a, subscriber_a, reviewer_a, short_limits, eager, tiny,
    django_capture_on_commit_callbacks, monkeypatch,
):  # fmt: skip
    draft = draft_with_scenes(tenant_a, subscriber_a, scenes=2, seconds=1.5)
    with django_capture_on_commit_callbacks(execute=True):
        render = rendering.render_start(draft=draft, user=subscriber_a, profile="low")
    render.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        ringtone = review.ringtone_submit(
            draft=draft, render=render, user=subscriber_a, in_gallery=True
        )
    ringtone.refresh_from_db()
    review.review_decide(ringtone=ringtone, reviewer=reviewer_a, approve=True)
    fresh = drafts.draft_create(tenant=tenant_a, owner=subscriber_a, theme="birthday")
    drafts.draft_update(
        draft=fresh,
        prompt="一只可爱的小猫在生日蛋糕旁边吹蜡烛，背景是五彩缤纷的气球和彩带" * 3
        + "averyveryverylongwordwithoutanyspacesinsideittoforceawrap",
    )
    # no worker takes it: it waits in line
    monkeypatch.setattr(tasks.generate_candidates, "apply_async", lambda **kw: None)
    drafts.candidates_request(draft=fresh, user=subscriber_a, source="text")

    page = new_page(browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True)
    try:
        _sign_in(page, live_server, subscriber_a)
        page.goto(f"{live_server.url}/video-ringtone/m/drafts/{fresh.pk}/")
        prompt, card = _box(page, "textarea[name=prompt]"), _box(page, "#draft-form")
        assert (
            prompt["x"] >= card["x"]
            and prompt["x"] + prompt["width"] <= card["x"] + card["width"] + 0.5
        )
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        expect(page.locator("#vr-images-progress")).to_be_visible()
        expect(page.locator("#images-pending [data-text]")).to_contain_text("排队中（第 1 位）")
        screenshot(page, "ringtone-draft-360")

        page.goto(f"{live_server.url}/video-ringtone/m/gallery/{ringtone.pk}/")
        _one_visible_label(page)
        expect(page.locator("#use-same")).to_have_text("一键设置同款")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
        screenshot(page, "ringtone-gallery-360")
    finally:
        page.context.close()

    desktop = new_page(browser, viewport={"width": 1280, "height": 900})
    try:
        _sign_in(desktop, live_server, subscriber_a)
        desktop.goto(f"{live_server.url}/video-ringtone/m/ringtones/{ringtone.pk}/")
        _one_visible_label(desktop)
    finally:
        desktop.context.close()
