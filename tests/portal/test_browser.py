"""The portal in a real browser: headless Debian Chromium driven by Playwright's sync API.

Screenshots land in $BROWSER_SCREENSHOTS_DIR when it is set (e.g. /tmp/shots).
"""

import re
import threading
from pathlib import Path

import pytest
from playwright.sync_api import expect

from suite.accounts.authentication import api_key_from_raw
from suite.accounts.models import ApiKey
from suite.audit.tasks import EXPORT_KIND, export_audit_csv
from suite.jobs.models import Job, JobStatus
from suite.tenancy.models import Tenant
from tests.browser import new_page, screenshot, staff_login

pytestmark = pytest.mark.browser

SENT_SMS: list[dict] = []


class RecordingSmsSender:
    """SMS_SENDER for these tests: keeps the texts so a test can read the one-time code."""

    def send(self, *, phone: str, text: str) -> None:
        SENT_SMS.append({"phone": phone, "text": text})


def test_staff_login_is_chinese_and_switches_tenant(page, live_server, demo):
    staff_login(page, live_server, "ops_multi")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator(".brand")).to_have_text("电信AI应用平台")
    expect(page.locator("h1")).to_contain_text("深圳市分公司")
    expect(page.locator("#tenant-select option:checked")).to_have_text("深圳市分公司")
    # A tenant administrator sees every module and the admin links, all in Chinese.
    nav = page.locator("nav.mainnav")
    for label in ("首页", "智能客服", "任务", "成员", "API 密钥", "审计日志"):
        expect(nav).to_contain_text(label)
    screenshot(page, "staff-home")

    page.select_option("#tenant-select", label="成都市分公司")
    page.click(".tenant-switcher button[type=submit]")
    expect(page.locator("#tenant-select option:checked")).to_have_text("成都市分公司")
    expect(page.locator("h1")).to_contain_text("成都市分公司")
    expect(page.locator("footer")).to_contain_text("成都市分公司")

    # The language switcher turns the same page English.
    page.click(".lang-switcher button[value=en]")
    expect(page.locator(".brand")).to_have_text("Telecom AI Suite")
    expect(page.locator("h1")).to_contain_text("成都市分公司")
    expect(page.locator("nav.mainnav")).to_contain_text("Audit log")


def test_admin_creates_and_revokes_an_api_key(page, live_server, demo):
    staff_login(page, live_server, "sz_admin")
    expect(page).to_have_url(f"{live_server.url}/")
    page.click("nav.mainnav >> text=API 密钥")
    expect(page).to_have_url(f"{live_server.url}/admin/api-keys/")

    page.fill("input[name=name]", "呼叫中心对接")
    page.check("input[name=scopes][value=callcenter]")
    page.check("input[name=scopes][value=maas]")
    page.click("form.stack button[type=submit]")

    raw = page.locator("#new-api-key").inner_text().strip()
    assert raw.startswith("sk-")
    expect(page.locator(".new-key")).to_contain_text("不会再次显示")
    screenshot(page, "api-keys")
    key = ApiKey.objects.get(prefix=raw[:10])
    assert key.is_active
    assert key.tenant.slug == "gd-sz"
    assert key.name == "呼叫中心对接"
    assert sorted(key.scopes) == ["callcenter", "maas"]
    assert api_key_from_raw(raw) == key  # the shown secret is the stored one
    row = page.locator(f'tr[data-key-prefix="{key.prefix}"]')
    expect(row.locator(".key-status")).to_contain_text("有效")

    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="吊销").click()
    expect(page.locator(".messages")).to_contain_text("已吊销")
    expect(row.locator(".key-status")).to_contain_text("已吊销")
    expect(row.locator("button")).to_have_count(0)
    expect(page.locator("#new-api-key")).to_have_count(0)  # shown once only
    key.refresh_from_db()
    assert not key.is_active
    assert api_key_from_raw(raw) is None


def test_wrong_password_shows_an_error(page, live_server, demo):
    staff_login(page, live_server, "sz_admin", "not-the-password")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.locator(".form-errors")).to_contain_text("用户名或密码错误")
    screenshot(page, "login-error")
    expect(page.locator("input[name=username]")).to_have_value("sz_admin")
    expect(page.locator("nav.mainnav")).to_have_count(0)


def test_audit_export_job_finishes_by_polling_and_downloads(page, live_server, demo, monkeypatch):
    sent = []
    monkeypatch.setattr(export_audit_csv, "apply_async", lambda **kw: sent.append(kw))
    staff_login(page, live_server, "sz_admin")
    expect(page).to_have_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/admin/audit/")
    expect(page.locator("table.audit")).to_contain_text("登录")  # auth.login, by its label
    page.click("text=导出 CSV")
    expect(page).to_have_url(f"{live_server.url}/jobs/")

    job = Job.objects.get(kind=EXPORT_KIND)
    row = page.locator(f'tr[data-job-id="{job.pk}"]')
    expect(row).to_have_attribute("data-status", "queued")
    expect(page.locator("#jobs-table")).to_have_attribute("data-active", "true")

    # The worker runs elsewhere (no WebSocket event reaches this page under the live server):
    # the fragment's 3 s poll must pick up the result.
    worker = threading.Thread(target=lambda: export_audit_csv.run(**sent[0]["kwargs"]))
    worker.start()
    worker.join()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED

    expect(row).to_have_attribute("data-status", "succeeded", timeout=10_000)
    expect(row).to_contain_text("已完成")
    screenshot(page, "jobs")
    expect(page.locator("#jobs-table")).not_to_have_attribute("data-active", "true")
    with page.expect_download() as download_info:
        row.locator("a", has_text="下载").click()
    content = Path(download_info.value.path()).read_text(encoding="utf-8-sig")
    assert content.startswith("time,actor,action,action_label")
    assert "auth.login" in content and "登录" in content


def test_subscriber_signs_in_by_phone_on_a_small_screen(mobile_page, live_server, demo, settings):
    settings.SMS_SENDER = f"{__name__}.RecordingSmsSender"
    SENT_SMS.clear()
    page = mobile_page
    page.goto(f"{live_server.url}/m/login/")
    expect(page.locator("meta[name=viewport]")).to_have_attribute(
        "content", re.compile("width=device-width")
    )
    page.fill("input[name=phone]", "13800138000")
    page.click("text=获取验证码")

    # htmx swapped the form in place: the page did not navigate.
    expect(page.locator("#otp-form")).to_have_attribute("data-step", "code")
    expect(page.locator("#otp-form")).to_contain_text("138****8000")
    assert SENT_SMS and SENT_SMS[-1]["phone"] == "13800138000"
    screenshot(page, "mobile-login-code")
    code = re.search(r"\b(\d{6})\b", SENT_SMS[-1]["text"]).group(1)

    page.fill("input[name=code]", code)
    page.click("#otp-form button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/m/")
    expect(page.locator("h1.greeting")).to_contain_text("138****8000")
    expect(page.locator("main")).to_contain_text("深圳市分公司")
    expect(page.locator(".sign-ins li")).to_have_count(1)
    # Nothing overflows the 375 px viewport sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    screenshot(page, "mobile-home")

    page.click("text=退出登录")
    expect(page).not_to_have_url(f"{live_server.url}/m/")


def test_subscriber_wrong_code_without_javascript(browser, live_server, demo, settings):
    settings.SMS_SENDER = f"{__name__}.RecordingSmsSender"
    SENT_SMS.clear()
    page = new_page(browser, viewport={"width": 375, "height": 812}, java_script_enabled=False)
    try:
        page.goto(f"{live_server.url}/m/login/")
        page.fill("input[name=phone]", "13900139000")
        page.click("#otp-form button[type=submit]")
        expect(page.locator("#otp-form")).to_have_attribute("data-step", "code")
        expect(page.locator(".messages")).to_contain_text("验证码")
        code = re.search(r"\b(\d{6})\b", SENT_SMS[-1]["text"]).group(1)
        page.fill("input[name=code]", f"{(int(code) + 1) % 10**6:06d}")  # a wrong one
        page.click("#otp-form button[type=submit]")
        expect(page).to_have_url(re.compile(r"/m/login/$"))
        expect(page.locator("#otp-form .msg-error")).to_be_visible()
        expect(page.locator("#otp-form")).to_have_attribute("data-step", "code")
    finally:
        page.context.close()


def test_staff_pages_fit_a_phone_screen(mobile_page, live_server, demo):
    page = mobile_page
    staff_login(page, live_server, "sz_admin")
    expect(page).to_have_url(f"{live_server.url}/")
    for path, name in [
        ("/", "staff-home-375"),
        ("/admin/members/", "members-375"),
        ("/admin/api-keys/", "api-keys-375"),
        ("/admin/audit/", "audit-375"),
        ("/jobs/", "jobs-375"),
    ]:
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main h1")).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375, path
        screenshot(page, name)


FAKE_WEBSOCKET = """
window.__sockets = [];
window.WebSocket = class {
  constructor(url) {
    this.url = url;
    window.__sockets.push(this);
    setTimeout(() => this.onopen && this.onopen({}), 0);
  }
  send() {}
  close() { this.onclose && this.onclose({ code: 1000 }); }
};
window.__emit = (data) => window.__sockets.at(-1).onmessage({ data: JSON.stringify(data) });
"""


def test_jobs_page_applies_websocket_events_and_resyncs_on_a_gap(page, live_server, demo):
    # The live server speaks no WebSocket: a stand-in socket delivers the events instead.
    tenant = Tenant.objects.get(slug="gd-sz")
    job = Job.objects.create(
        tenant=tenant,
        kind="video_ringtone.render",
        status=JobStatus.RUNNING,
        progress=10,
        idempotency_key="browser-ws",
    )
    page.add_init_script(FAKE_WEBSOCKET)
    staff_login(page, live_server, "sz_admin")
    expect(page).to_have_url(f"{live_server.url}/")

    def fragment_fetched():
        return page.expect_response(lambda r: "/jobs/?page=" in r.url and r.status == 200)

    with fragment_fetched():  # the hello makes the page resync once
        page.goto(f"{live_server.url}/jobs/")
        page.wait_for_function("window.__sockets.length === 1")
        socket_url = page.evaluate("window.__sockets[0].url")
        page.evaluate("window.__emit({type: 'hello', tenant: 'gd-sz', seq: {jobs: 5}})")
    assert socket_url == f"{live_server.url.replace('http://', 'ws://')}/ws/jobs/"
    expect(page.locator("#jobs-live")).to_be_visible()
    row = page.locator(f'tr[data-job-id="{job.pk}"]')

    # In order: applied in place, without a request.
    event = {
        "id": str(job.pk),
        "kind": job.kind,
        "status": "running",
        "progress": 42,
        "message": "合成第 2 段",
        "error": "",
        "result": {},
    }
    page.evaluate("e => window.__emit({type: 'job.updated', group: 'jobs', seq: 6, job: e})", event)
    expect(row.locator('[data-field="progress-text"]')).to_have_text("42%")
    expect(row.locator('[data-field="message"]')).to_have_text("合成第 2 段")

    # A gap (seq 7 and 8 lost): the table is re-fetched from the server.
    Job.objects.filter(pk=job.pk).update(progress=80, message="合成第 4 段")
    with fragment_fetched():
        page.evaluate(
            "e => window.__emit({type: 'job.updated', group: 'jobs', seq: 9, job: e})", event
        )
    expect(row.locator('[data-field="progress-text"]')).to_have_text("80%")
    expect(row.locator('[data-field="message"]')).to_have_text("合成第 4 段")

    # A new status is rendered by the server, which also stops the polling.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.SUCCEEDED, progress=100, message="")
    with fragment_fetched():
        page.evaluate(
            "e => window.__emit({type: 'job.updated', group: 'jobs', seq: 10,"
            " job: {...e, status: 'succeeded', progress: 100}})",
            event,
        )
    expect(row).to_have_attribute("data-status", "succeeded")
    expect(row).to_contain_text("已完成")
    expect(page.locator("#jobs-table")).not_to_have_attribute("data-active", "true")
