"""In a browser: a 12345 call streamed over the native protocol shows up on the agent's live
calls page (transcript, running draft with its fallback label), and once it ends the page links
to the intake to confirm."""

import json

import pytest
from django.utils import translation

from gov_hotline.extraction import extract_urgency
from gov_hotline.models import Urgency
from suite.tenancy.models import Role
from tests.factories import PASSWORD, member

COMPLAINT = "我住在天河区体育西路，工地晚上十一点还在打桩施工，噪音太大了。我的电话13812345678"
NOISE = 550


def draft_urgency(text: str) -> str:
    return extract_urgency(text).value


@pytest.mark.browser
def test_a_streamed_call_shows_live_on_the_agents_page(page, asgi_server, hl_a, key_a, monkeypatch):
    from django.conf import settings as django_settings
    from websockets.sync.client import connect

    from gov_hotline.models import RecordingIntake
    from tests.browser import screenshot, staff_login
    from tests.suite.test_telephony_support import PHRASES, chunks, pcm16, use_tone_engines
    from tests.suite.test_telephony_support import utterance as tone_utterance

    use_tone_engines(monkeypatch, django_settings)
    monkeypatch.setitem(PHRASES, NOISE, COMPLAINT)
    member(hl_a, Role.HOTLINE_AGENT, username="agent_a")
    staff_login(page, asgi_server, "agent_a", PASSWORD)
    page.goto(f"{asgi_server.url}/gov-hotline/calls/live/")
    page.wait_for_selector("#live-calls[data-live]", state="attached")

    uri = asgi_server.ws_url(f"/ws/gov-hotline/calls/stream/?api_key={key_a}")
    with connect(uri) as call:
        call.send(json.dumps({"type": "start", "sample_rate": 16000, "caller": "13812345678"}))
        started = json.loads(call.recv(timeout=10))
        assert started["type"] == "started"
        for part in chunks(tone_utterance(NOISE)):
            call.send(pcm16(part))
        card = page.locator(f'[data-call="{started["call_id"]}"]')
        line = card.locator(".transcript li.final")
        line.first.wait_for(timeout=30000)
        assert "体育西路" in line.first.inner_text()
        assert "13812345678" not in card.inner_text()  # masked on the desk
        district = card.locator('dd[data-field="district"]')
        district.wait_for(timeout=30000)
        assert district.inner_text().startswith("天河区")
        urgency = card.locator('dd[data-field="urgency"]').inner_text()
        with translation.override("zh-hans"):  # the portal's default language
            assert urgency.startswith(str(Urgency(draft_urgency(COMPLAINT)).label))
        # No classifier is trained for this tenant: the draft is the labelled fallback.
        assert card.locator('[data-fallback="1"]').count() == 1
        screenshot(page, "gov_hotline_live_calls")
        call.send(json.dumps({"type": "stop"}))
        while json.loads(call.recv(timeout=20))["type"] != "stopped":
            pass  # the server writes the call's end before the test database goes away

    confirm = card.locator("a[data-confirm]")
    confirm.wait_for(timeout=30000)
    intake = RecordingIntake.objects.get(call_id=started["call_id"])
    assert confirm.get_attribute("href") == f"/gov-hotline/intake/recordings/{intake.pk}/"
    assert page.locator("#unconfirmed a").first.get_attribute("href") == confirm.get_attribute(
        "href"
    )
