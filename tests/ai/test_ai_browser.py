"""The model-access admin pages in a real browser (headless Chromium, as tests/portal)."""

import pytest
from playwright.sync_api import expect

from suite.ai import gateway
from suite.ai.models import AiModel, Quota
from suite.ai.types import ChatMessage, Passage
from suite.tenancy.models import Tenant
from tests.browser import screenshot, staff_login

pytestmark = pytest.mark.browser


def test_tenant_admin_sets_a_quota_adds_a_model_and_sees_usage_charts(page, live_server, demo):
    staff_login(page, live_server, "sz_admin")
    page.get_by_role("link", name="模型接入").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("模型")

    page.get_by_label("名称").fill("espeak-sz")
    page.get_by_label("能力", exact=True).select_option("synthesize")
    page.get_by_label("引擎").select_option("espeak-ng")
    page.get_by_role("button", name="添加模型").click()
    expect(page.locator("#capability-synthesize")).to_contain_text("espeak-sz")
    shenzhen = Tenant.objects.get(slug="gd-sz")
    assert AiModel.objects.for_tenant(shenzhen).filter(name="espeak-sz").exists()

    page.get_by_role("link", name="配额").first.click()
    page.get_by_label("能力", exact=True).select_option("embed")
    page.get_by_label("单位").select_option("requests")
    page.get_by_label("周期").select_option("day")
    page.get_by_label("限额").fill("7")
    page.get_by_role("button", name="保存配额").click()
    quota = Quota.objects.for_tenant(shenzhen).get(capability="embed")
    expect(page.locator(f'[data-quota-id="{quota.pk}"]')).to_contain_text("7")

    caller = gateway.Caller(tenant=shenzhen)
    gateway.chat(
        caller,
        [ChatMessage("user", "5G套餐多少钱？")],
        passages=[Passage("1", "5G畅享套餐每月128元。", "套餐")],
    )
    page.get_by_role("link", name="用量").first.click()
    expect(page.locator("svg").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("备用模型应答")
    screenshot(page, "ai-usage")
