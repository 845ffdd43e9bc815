"""Confirmations float as toasts in a real browser: over the page, not pushing it down, never in
the way of the next click, closed by their button or (a success) after 8 s."""

import pytest
from playwright.sync_api import expect

from tests.browser import screenshot, staff_login

pytestmark = pytest.mark.browser


def _revoke_a_new_key(page, live_server):
    staff_login(page, live_server, "sz_admin")
    page.goto(f"{live_server.url}/admin/api-keys/")
    page.fill("input[name=name]", "对接测试")
    page.check("input[name=scopes][value=maas]")
    page.click("form.stack button[type=submit]")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("tr[data-key-prefix] button", has_text="吊销").first.click()


def test_a_confirmation_is_a_toast_over_the_page_that_goes_by_itself(page, live_server, demo):
    page.clock.install()
    _revoke_a_new_key(page, live_server)
    toast = page.locator("ul.messages.toasts .msg-success")
    expect(toast).to_contain_text("已吊销")
    assert page.locator("ul.messages").evaluate("el => getComputedStyle(el).position") == "fixed"
    expect(toast.locator(".toast-close")).to_have_attribute("aria-label", "关闭")
    screenshot(page, "toast-success")

    page.clock.run_for(7000)
    expect(toast).to_be_visible()
    page.clock.run_for(1500)
    expect(page.locator("ul.messages")).to_have_count(0)


def test_a_toast_closes_on_its_button_and_lets_clicks_through(page, live_server, demo):
    _revoke_a_new_key(page, live_server)
    toast = page.locator("ul.messages.toasts .msg-success")
    expect(toast).to_be_visible()
    box = toast.bounding_box()
    # Whatever lies under the toast (not its close button) gets the click, not the toast.
    under = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('.toasts') === null",
        [box["x"] + 10, box["y"] + box["height"] / 2],
    )
    assert under
    toast.locator(".toast-close").click()
    expect(page.locator("ul.messages")).to_have_count(0)
