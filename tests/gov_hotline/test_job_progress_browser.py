"""The shared progress component in a real browser (headless Chromium) on the real ASGI
application: a report waiting in line, then its bar moving as the job reports progress over
/ws/jobs/, then the list showing the finished report."""

import threading

import pytest
from django.db import connection
from playwright.sync_api import expect

from suite.jobs.models import Job
from suite.jobs.services import job_set_progress, job_start, job_succeed
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login

pytestmark = pytest.mark.browser


def as_worker(step) -> None:
    """Runs one step of the job as a worker would: off this thread, whose event loop belongs
    to Playwright (publishing to the channel layer needs a thread without one)."""

    def run():
        try:
            step()
        finally:
            connection.close()

    worker = threading.Thread(target=run)
    worker.start()
    worker.join(timeout=30)


def test_the_report_s_bar_moves_as_its_job_progresses(page, asgi_server, demo):
    tenant = Tenant.objects.get(slug="gd-12345")
    Job.objects.for_tenant(tenant).filter(kind="gov_hotline.report").delete()
    job = Job.objects.create(
        tenant=tenant,
        kind="gov_hotline.report",
        params={"period": "daily", "format": "pdf"},
        idempotency_key="browser-report",
    )
    staff_login(page, asgi_server, "hl_dispatcher")
    page.goto(f"{asgi_server.url}/gov-hotline/hotspots/")
    box = page.locator(f'[data-job-progress][data-job-id="{job.pk}"]')
    expect(box.locator('[data-field="status"]')).to_have_text("排队中（第 1 位）")
    bar = box.locator('progress[data-field="progress"]')
    expect(bar).to_have_attribute("value", "0")
    page.wait_for_function("() => window.SuiteJobSocket && window.SuiteJobSocket.isLive()")
    screenshot(page, "gov-hotline-report-queued")

    def start():
        job_start(job=job)
        job_set_progress(job=job, progress=50, message="正在生成报表")

    as_worker(start)
    expect(box.locator('[data-field="status"]')).to_have_text("运行中")
    expect(bar).to_have_js_property("value", 50)
    expect(box.locator('[data-field="progress-text"]')).to_have_text("50%")
    expect(box.locator('[data-field="message"]')).to_have_text("正在生成报表")
    expect(box.locator('[data-field="fallback"]')).to_be_hidden()  # live, not polling
    screenshot(page, "gov-hotline-report-running")

    as_worker(lambda: job_set_progress(job=job, progress=90, message="正在保存文件"))
    expect(bar).to_have_js_property("value", 90)
    as_worker(lambda: job_succeed(job=job, result={"file": "x.pdf"}))
    # The page reloads and lists the finished report with its download link.
    row = page.locator(f'#gh-reports a[href="/gov-hotline/reports/{job.pk}/"]')
    expect(row).to_be_visible()
    expect(page.locator(f'[data-job-progress][data-job-id="{job.pk}"]')).to_have_count(0)
