"""Issue 16, the ringtone reviewer's journey in Chromium: the queue, a submission with its
automatic checks and AIGC label, one rejected with a reason and one approved; the subscriber
sees each decision on their own page."""

import pytest
from django.conf import settings
from django.test import Client
from playwright.sync_api import expect

from suite.accounts.models import User
from suite.tenancy.models import Tenant
from tests.browser import new_page, screenshot, staff_login
from video_ringtone.models import Ringtone, RingtoneStatus
from video_ringtone.services import rendering, review

from .conftest import draft_with_scenes

pytestmark = pytest.mark.browser

REASON = "画面与端午主题不符，请更换图片"


def _submitted(tenant, owner, title: str) -> Ringtone:
    """A subscriber's ringtone through the product's services: rendered, submitted, checked."""
    draft = draft_with_scenes(tenant, owner, scenes=2, seconds=3, title=title)
    render = rendering.render_inline(draft=draft, user=owner, profile="low")
    ringtone = review.ringtone_submit(draft=draft, render=render, user=owner, in_gallery=True)
    return review.ringtone_check(ringtone=ringtone, user=owner)


def _subscriber_page(browser, live_server, user):
    """The subscriber's own phone; the session cookie stands in for the SMS sign-in."""
    page = new_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [
            {
                "name": settings.SESSION_COOKIE_NAME,
                "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return page


def test_reviewer_rejects_one_with_a_reason_and_approves_another(
    browser, page, live_server, tiny, demo
):
    city = Tenant.objects.get(slug="gd-sz")
    subscriber = User.objects.get(phone="13800138000")
    festival = _submitted(city, subscriber, "新春祝福")
    dragon = _submitted(city, subscriber, "端午安康")
    assert dragon.status == RingtoneStatus.IN_REVIEW and len(dragon.checks) == 7

    staff_login(page, live_server, "sz_reviewer")
    page.goto(f"{live_server.url}/video-ringtone/review/")
    queue = page.locator("#review-queue")
    expect(queue.locator("tbody tr[data-ringtone]")).to_have_count(2)
    expect(queue.locator(f'tr[data-ringtone="{dragon.pk}"]')).to_contain_text("138****8000")
    expect(queue.locator(f'tr[data-ringtone="{dragon.pk}"] .checks')).to_contain_text(
        "全部检测通过"
    )
    screenshot(page, "ringtone-review-queue")

    queue.locator(f'tr[data-ringtone="{dragon.pk}"] a').click()
    expect(page.locator("h1")).to_contain_text("端午安康")
    checks = page.locator(".card", has_text="自动检测").locator("ul").first.locator("li")
    expect(checks).to_have_count(7)
    expect(checks.filter(has_text="时长")).to_contain_text("6.0 秒")
    expect(page.locator("[data-aigc-badge]")).to_have_text("AI生成")
    expect(page.locator("#vr-aigc-label")).to_contain_text("AIGC")
    expect(page.locator("#vr-aigc-label")).to_contain_text(dragon.render.content_id)
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, "ringtone-review-detail")

    # Rejecting without a reason is refused in place; with one it goes through.
    page.locator('#review-form button[value="reject"]').click()
    expect(page.locator("#review-form .has-error .error")).to_have_text("请填写驳回原因。")
    dragon.refresh_from_db()
    assert dragon.status == RingtoneStatus.IN_REVIEW
    page.locator("#review-form [name=reason]").fill(REASON)
    page.locator('#review-form button[value="reject"]').click()
    expect(page.locator(".msg-success")).to_contain_text("审核结果已保存")
    expect(page.locator(f'#review-recent li[data-ringtone="{dragon.pk}"]')).to_contain_text(REASON)

    page.locator(f'#review-queue tr[data-ringtone="{festival.pk}"] a').click()
    page.locator('#review-form button[value="approve"]').click()
    expect(page.locator("#review-queue")).to_contain_text("暂无待审核内容")
    expect(
        page.locator(f'#review-recent li[data-ringtone="{festival.pk}"] [data-status]')
    ).to_have_text("已通过")
    screenshot(page, "ringtone-review-decided")

    dragon.refresh_from_db()
    festival.refresh_from_db()
    reviewer = User.objects.get(username="sz_reviewer")
    assert (dragon.status, dragon.reason, dragon.reviewer) == ("rejected", REASON, reviewer)
    assert (festival.status, festival.reviewer) == ("approved", reviewer)

    phone = _subscriber_page(browser, live_server, subscriber)
    try:
        phone.goto(f"{live_server.url}/video-ringtone/m/ringtones/{dragon.pk}/")
        expect(phone.locator("#ringtone-status")).to_have_text("已驳回")
        expect(phone.locator(".msg-error")).to_contain_text(REASON)
        screenshot(phone, "ringtone-review-subscriber-rejected")
        # Not a dead end: the subscriber goes back to the draft to change and resubmit it.
        phone.locator("#vr-edit-draft").click()
        expect(phone).to_have_url(f"{live_server.url}/video-ringtone/m/drafts/{dragon.draft_id}/")
        expect(phone.locator("#render-form")).to_be_visible()
        phone.goto(f"{live_server.url}/video-ringtone/m/ringtones/{festival.pk}/")
        expect(phone.locator("#ringtone-status")).to_have_text("已通过")
    finally:
        phone.context.close()
