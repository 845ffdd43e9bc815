"""The live-call page of the agent workspace: tenancy and roles over HTTP, and a browser test
that a call streamed over the native protocol shows up live (transcript, dialect, suggestions)."""

import pytest
from django.utils import translation
from django.utils.translation import gettext

from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db


@covers("customer_service:live_call")
def test_the_live_call_page_shows_the_tenants_calls_and_404s_another_tenants(
    client, tenant_a, tenant_b
):
    from suite.telephony.services import call_start, call_utterance_add

    agent = member(tenant_a, Role.CS_AGENT, username="agent_a")
    mine = call_start(
        tenant=tenant_a, product="customer_service", protocol="stream", caller_number="13812345678"
    )
    call_utterance_add(call=mine, index=0, text="我的号码是13812345678", start_s=0, end_s=1)
    theirs = call_start(tenant=tenant_b, product="customer_service", protocol="stream")
    client.force_login(agent)

    page = client.get("/customer-service/calls/live/")
    assert page.status_code == 200
    assert page.context["state"]["calls"][0]["id"] == str(mine.id)
    state = client.get(f"/customer-service/calls/live/?call={mine.id}&format=json").json()
    assert state["call"]["id"] == str(mine.id)
    assert "13812345678" not in str(state)  # masked in the list and in the transcript
    assert state["utterances"][0]["text"].startswith("我的号码是")
    assert client.get(f"/customer-service/calls/live/?call={theirs.id}").status_code == 404
    assert client.get("/customer-service/calls/live/?call=nope").status_code == 404
    assert str(theirs.id) not in page.content.decode()


def test_the_live_call_page_is_for_customer_service_roles(client, tenant_a):
    client.force_login(member(tenant_a, Role.VIDEO_ANALYST, username="va"))
    assert client.get("/customer-service/calls/live/").status_code == 404


@pytest.mark.browser
def test_a_streamed_call_shows_live_on_the_page(page, asgi_server, tenant_a, key_a, monkeypatch):
    import json

    from django.conf import settings as django_settings
    from websockets.sync.client import connect

    from tests.browser import screenshot, staff_login
    from tests.factories import PASSWORD
    from tests.suite.test_telephony_support import PHRASES, chunks, pcm16, use_tone_engines
    from tests.suite.test_telephony_support import utterance as tone_utterance

    use_tone_engines(monkeypatch, django_settings)
    member(tenant_a, Role.CS_AGENT, username="agent_a")
    staff_login(page, asgi_server, "agent_a", PASSWORD)
    page.goto(f"{asgi_server.url}/customer-service/calls/live/")
    page.wait_for_selector("#live-call[data-live]")

    uri = asgi_server.ws_url(f"/ws/callcenter/stream/?api_key={key_a}")
    with connect(uri) as call:
        call.send(json.dumps({"type": "start", "sample_rate": 16000, "caller": "13812345678"}))
        assert json.loads(call.recv(timeout=10))["type"] == "started"
        for part in chunks(tone_utterance(660)):
            call.send(pcm16(part))
        while json.loads(call.recv(timeout=20))["type"] != "assist":
            pass
        transcript = page.locator("#transcript li.final .text")
        transcript.first.wait_for()
        assert transcript.first.inner_text() == PHRASES[660]
        with translation.override("zh-hans"):  # the portal's default language
            assert page.locator("#call-dialect").inner_text() == gettext("Cantonese")
        assert "138" in page.locator("#call-caller").inner_text()
        assert "13812345678" not in page.locator("#call-caller").inner_text()
        suggestion = page.locator("#suggestions li").first
        text = suggestion.locator(".reply-text").inner_text().strip()
        assert text
        assert suggestion.locator(".badge").inner_text() == "模板建议"  # no model: templates
        suggestion.locator("button").click()
        assert page.locator("#reply-box").input_value() == text
        assert "used" in (suggestion.get_attribute("class") or "")
        screenshot(page, "customer_service_live_call")
        call.send(json.dumps({"type": "stop"}))
        while json.loads(call.recv(timeout=20))["type"] != "stopped":
            pass  # the server writes the call's end before the test database goes away


@pytest.mark.browser
def test_the_models_replies_replace_the_templates_on_the_page(
    page, asgi_server, tenant_a, key_a, kb_a, scripted_model, monkeypatch
):
    import json

    from django.conf import settings as django_settings
    from websockets.sync.client import connect

    from tests.browser import screenshot, staff_login
    from tests.factories import PASSWORD
    from tests.suite.test_telephony_support import chunks, pcm16, use_tone_engines
    from tests.suite.test_telephony_support import utterance as tone_utterance

    restart = "请先重启光猫和路由器，看看光猫的LOS灯是不是红色。"
    scripted_model.reply = json.dumps(
        {"建议": [{"回复": restart, "资料": [1]}, {"回复": "您好，我马上帮您查询。", "资料": []}]},
        ensure_ascii=False,
    )
    use_tone_engines(monkeypatch, django_settings)
    member(tenant_a, Role.CS_AGENT, username="agent_a")
    staff_login(page, asgi_server, "agent_a", PASSWORD)
    page.goto(f"{asgi_server.url}/customer-service/calls/live/")
    page.wait_for_selector("#live-call[data-live]")

    uri = asgi_server.ws_url(f"/ws/callcenter/stream/?api_key={key_a}")
    with connect(uri) as call:
        call.send(json.dumps({"type": "start", "sample_rate": 16000, "caller": "13812345678"}))
        assert json.loads(call.recv(timeout=10))["type"] == "started"
        for part in chunks(tone_utterance(660)):
            call.send(pcm16(part))
        while json.loads(call.recv(timeout=20))["type"] != "assist_replies":
            pass
        generated = page.locator('#suggestions li[data-generated="1"]')
        generated.first.wait_for()
        assert generated.count() == 2
        assert generated.first.locator(".reply-text").inner_text() == restart
        assert generated.first.locator(".badge").inner_text() == "AI生成 · scripted"
        broadband = next(a.pk for a in kb_a if a.title == "宽带无法上网自助排查")
        assert f"KB-{broadband}" in generated.first.inner_text()
        # The templates stay below, labelled; the "rules only" note and the spinner are gone.
        templates = page.locator('#suggestions li[data-generated="0"] .badge')
        assert templates.count() >= 1 and templates.first.inner_text() == "模板建议"
        assert page.locator("#assist-fallback").is_hidden()
        assert page.locator("#assist-generating").is_hidden()
        generated.first.locator("button").click()
        assert page.locator("#reply-box").input_value() == restart
        screenshot(page, "customer_service_live_call_model_replies")
        call.send(json.dumps({"type": "stop"}))
        while json.loads(call.recv(timeout=20))["type"] != "stopped":
            pass
