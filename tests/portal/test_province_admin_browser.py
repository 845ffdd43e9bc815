"""Issue 16, the province admin's journey in Chromium: the home page, an API key, the audit log
filtered by that action, and the usage page with the calls of the cities below the province."""

import pytest
from playwright.sync_api import expect

from suite.accounts.models import ApiKey
from suite.ai import gateway
from suite.ai.types import ChatMessage, Passage
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login

pytestmark = pytest.mark.browser

PASSAGES = [Passage("kb-1", "5G畅享套餐每月128元，包含30GB国内通用流量。", "5G畅享套餐")]


def _ask(tenant) -> None:
    gateway.chat(
        gateway.Caller(tenant=tenant),
        [ChatMessage("user", "5G畅享套餐多少钱？")],
        passages=PASSAGES,
    )


def test_province_admin_home_audit_filter_and_usage_of_the_cities(page, live_server, demo):
    province = Tenant.objects.get(slug="gd")
    city = Tenant.objects.get(slug="gd-sz")
    for _ in range(2):
        _ask(city)  # the city's calls: not the province's own, but under its quotas
    _ask(Tenant.objects.get(slug="sc-cd"))  # another province's: never shown here

    staff_login(page, live_server, "gd_admin")
    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.locator("h1")).to_contain_text("广东省分公司")
    expect(page.locator(".tenant-name")).to_have_text("广东省分公司")
    for product in ("智能客服", "视频彩铃", "视频分析", "12345热线"):
        expect(page.locator("main .card h2", has_text=product)).to_have_count(1)
    screenshot(page, "province-admin-home")

    page.click("nav.mainnav >> text=API 密钥")
    page.fill("input[name=name]", "省级大模型接入")
    page.check("input[name=scopes][value=maas]")
    page.click("form.stack button[type=submit]")
    expect(page.locator("#new-api-key")).to_be_visible()
    assert ApiKey.objects.get(tenant=province).name == "省级大模型接入"

    page.click("nav.mainnav >> text=审计日志")
    rows = page.locator("table.audit tbody tr")
    expect(rows.filter(has_text="登录")).to_have_count(1)
    page.select_option("#action-filter", "api_key.created")
    page.locator("form.filters button[type=submit]").click()
    expect(page).to_have_url(f"{live_server.url}/admin/audit/?action=api_key.created")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("创建 API 密钥")
    expect(rows.first).to_contain_text("广东管理员")
    expect(page.locator("#action-filter")).to_have_value("api_key.created")
    screenshot(page, "province-admin-audit-filtered")

    page.click("nav.mainnav >> text=模型接入")
    page.locator(".ai-subnav a", has_text="用量").click()
    expect(page).to_have_url(f"{live_server.url}/admin/ai/usage/")
    expect(page.locator('#usage-totals [data-total="requests"]')).to_have_text("0")
    cities = page.locator("#usage-tenants tbody tr")
    expect(cities).to_have_count(1)
    expect(cities.first).to_have_attribute("data-tenant", str(city.pk))
    expect(cities.first.locator("td").nth(0)).to_have_text("深圳市分公司")
    expect(cities.first.locator("td").nth(1)).to_have_text("2")
    expect(page.locator("main")).not_to_contain_text("成都市分公司")
    screenshot(page, "province-admin-usage")
