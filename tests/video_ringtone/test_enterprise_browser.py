"""Issue 16, the enterprise admin's journey in Chromium: the enterprise ringtone page lists the
employees and what is on each line, an employee is added, the approved enterprise ringtone goes
to all of them, and each line shows it set up once the platform has confirmed."""

import threading

import pytest
from playwright.sync_api import expect

from suite.accounts.models import User
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login
from video_ringtone import tasks
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    Candidate,
    CandidateSource,
    DraftKind,
    Employee,
    SimulatedProvision,
)
from video_ringtone.services import drafts, publishing, rendering, review

from .conftest import jpeg_bytes, picture

pytestmark = pytest.mark.browser

STAFF = [("张伟", "13500135001"), ("王芳", "13500135002"), ("李强", "13500135003")]


def _approved_card(tenant, admin):
    """The enterprise's business ringtone through the product's services, approved."""
    draft = drafts.draft_create(
        tenant=tenant, owner=admin, theme="business", kind=DraftKind.ENTERPRISE
    )
    drafts.draft_update(draft=draft, title="云帆科技 企业名片")
    for index in range(2):
        drafts.photo_add(draft=draft, data=jpeg_bytes(picture(index)))
    for candidate in Candidate.objects.for_tenant(tenant).filter(
        draft=draft, source=CandidateSource.UPLOAD
    ):
        drafts.scene_add(draft=draft, candidate=candidate, caption="您好，感谢来电", duration_s=3)
    render = rendering.render_inline(draft=draft, user=admin, profile="low")
    ringtone = review.ringtone_submit(draft=draft, render=render, user=admin, in_gallery=False)
    ringtone = review.ringtone_check(ringtone=ringtone, user=admin)
    review.review_decide(ringtone=ringtone, reviewer=admin, approve=True)
    return ringtone


def _run(jobs) -> None:
    """What the Celery worker does with each captured platform job, in its own thread."""
    for job in jobs:
        worker = threading.Thread(target=lambda job=job: tasks.platform_sync.run(**job["kwargs"]))
        worker.start()
        worker.join()


def test_enterprise_admin_assigns_the_ringtone_to_every_employee(
    page, live_server, tiny, demo, monkeypatch
):
    tenant = Tenant.objects.get(slug="gd-sz-ent")
    admin = User.objects.get(username="ent_admin")
    for name, phone in STAFF:
        publishing.employee_add(tenant=tenant, name=name, phone=phone)
    card = _approved_card(tenant, admin)
    sync_jobs = []
    monkeypatch.setattr(tasks.platform_sync, "apply_async", lambda **kw: sync_jobs.append(kw))

    staff_login(page, live_server, "ent_admin")
    page.goto(f"{live_server.url}/video-ringtone/enterprise/")
    roster = page.locator("#vr-employees li[data-employee]")
    expect(roster).to_have_count(3)
    expect(roster.filter(has_text="张伟")).to_contain_text("135****5001")
    expect(roster.locator("[data-ringtone]")).to_have_text(["尚未设置企业彩铃。"] * 3)
    screenshot(page, "ringtone-enterprise-roster")

    # A new employee, refused first for a malformed number, then added.
    page.fill("input[name=name]", "刘洋")
    page.fill("input[name=phone]", "12345")
    page.locator("form.stack button[type=submit]", has_text="添加员工").click()
    expect(page.locator(".field.has-error .error")).to_be_visible()
    page.fill("input[name=phone]", "13500135004")
    page.locator("form.stack button[type=submit]", has_text="添加员工").click()
    expect(page.locator(".msg-success")).to_be_visible()
    expect(roster).to_have_count(4)

    page.locator("form[action$='/assign/'] button", has_text="设置给全体员工").click()
    expect(page.locator(".msg-success")).to_contain_text("已设置给 4 位员工")
    expect(roster.locator("[data-ringtone]")).to_have_text(["云帆科技 企业名片 设置中"] * 4)
    assert len(sync_jobs) == 4

    # The operator's platform confirms each line (the worker's job), then the page says so.
    _run(sync_jobs)
    page.reload()
    expect(roster.locator("[data-state]")).to_have_text(["已生效"] * 4)
    screenshot(page, "ringtone-enterprise-assigned")

    phones = {e.phone for e in Employee.objects.for_tenant(tenant)}
    assignments = Assignment.objects.for_tenant(tenant).filter(ringtone=card)
    assert {a.phone for a in assignments} == phones
    assert {a.state for a in assignments} == {AssignmentState.ACTIVE}
    assert {p.phone for p in SimulatedProvision.objects.all()} == phones

    # 王芳 leaves the company: off the list (after a confirmation), her line loses the ringtone.
    sync_jobs.clear()
    page.once("dialog", lambda dialog: dialog.accept())
    roster.filter(has_text="王芳").get_by_role("button", name="移除王芳").click()
    expect(page.locator(".msg-success")).to_have_text(
        "已将王芳移出员工名单，正在撤下其号码上的企业彩铃。"
    )
    expect(roster).to_have_count(3)
    expect(page.locator("#vr-employees")).not_to_contain_text("王芳")
    assert not Employee.objects.for_tenant(tenant).filter(phone="13500135002").exists()
    gone = Assignment.objects.for_tenant(tenant).get(phone="13500135002")
    assert gone.state == AssignmentState.REMOVED
    assert len(sync_jobs) == 1  # the platform is told to take it off that line
    _run(sync_jobs)
    assert not SimulatedProvision.objects.get(phone="13500135002").active
    assert SimulatedProvision.objects.filter(active=True).count() == 3
    screenshot(page, "ringtone-enterprise-removed")
