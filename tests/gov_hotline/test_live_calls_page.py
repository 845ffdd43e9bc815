"""The 12345 live-calls page and the state it re-reads: tenancy, roles, masking, and the ended
calls whose intake is still to be confirmed."""

import pytest

from gov_hotline.intake import call_intake_save
from gov_hotline.models import WorkOrder
from gov_hotline.services import order_create
from suite.telephony.services import call_end, call_start, call_utterance_add
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db

PAGE = "/gov-hotline/calls/live/"
STATE = "/gov-hotline/calls/live/state/"
SAID = "天河区体育西路工地晚上还在施工，我的电话13812345678"


def _ended_call(tenant, text: str = SAID):
    call = call_start(
        tenant=tenant, product="gov_hotline", protocol="stream", caller_number="13812345678"
    )
    call_utterance_add(call=call, index=0, text=text, start_s=0, end_s=1)
    call_end(call=call)
    draft = {"district": "天河区", "summary": text, "fallback": True, "confidence": {}}
    intake = call_intake_save(
        call=call, text=text, transcript=[{"start": 0, "end": 1, "text": text}], draft=draft
    )
    return call, intake


@covers("gov_hotline:live_calls", "gov_hotline:live_calls_state")
def test_live_calls_show_the_tenants_calls_only_and_404_another_tenants(client, hl_a, hl_b):
    mine, intake = _ended_call(hl_a)
    live = call_start(tenant=hl_a, product="gov_hotline", protocol="stream")
    theirs, their_intake = _ended_call(hl_b, "越秀区路灯坏了")
    other_product = call_start(tenant=hl_a, product="customer_service", protocol="stream")
    client.force_login(member(hl_a, Role.HOTLINE_AGENT, username="agent_a"))

    page = client.get(PAGE)
    assert page.status_code == 200
    ids = [c["id"] for c in page.context["state"]["calls"]]
    assert set(ids) == {str(mine.id), str(live.id)}
    html = page.content.decode()
    assert str(theirs.id) not in html and their_intake.text not in html
    assert str(other_product.id) not in html
    assert "13812345678" not in html  # caller and transcript masked

    state = client.get(STATE).json()
    ended = next(c for c in state["calls"] if c["id"] == str(mine.id))
    assert ended["utterances"][0]["text"].startswith("天河区体育西路")
    assert ended["intake"]["url"] == f"/gov-hotline/intake/recordings/{intake.pk}/"
    assert ended["draft"]["district"] == "天河区" and ended["draft"]["fallback"] is True
    assert state["unconfirmed"] == [str(mine.id)]
    assert next(c for c in state["calls"] if c["id"] == str(live.id))["intake"] is None
    assert "13812345678" not in str(state)

    one = client.get(f"{STATE}?call={mine.id}").json()
    assert [c["id"] for c in one["calls"]] == [str(mine.id)]
    assert client.get(f"{STATE}?call={theirs.id}").status_code == 404
    assert client.get(f"{STATE}?call={other_product.id}").status_code == 404
    assert client.get(f"{STATE}?call=nope").status_code == 404


def test_an_intake_confirmed_with_edited_words_leaves_the_list_to_confirm(client, hl_a):
    mine, intake = _ended_call(hl_a)
    client.force_login(member(hl_a, Role.HOTLINE_AGENT, username="agent_a"))
    assert client.get(STATE).json()["unconfirmed"] == [str(mine.id)]
    # An order with the very same words, not confirmed from this intake, changes nothing.
    order_create(
        tenant=hl_a,
        text=SAID,
        channel="phone",
        request_type="投诉",
        category="生态环境",
        subcategory="噪音污染",
        district="天河区",
        summary="工地夜间施工",
    )
    assert client.get(STATE).json()["unconfirmed"] == [str(mine.id)]

    form = {
        "step": "save",
        "intake": str(intake.pk),
        "text": "天河区体育西路工地夜间施工扰民",  # the agent tidies the citizen's words
        "draft": "{}",
        "request_type": "投诉",
        "subcategory": "生态环境/噪音污染",
        "district": "天河区",
        "address": "体育西路",
        "summary": "工地夜间施工扰民",
        "urgency": "normal",
    }
    assert client.post("/gov-hotline/intake/", form).status_code == 302
    confirmed = WorkOrder.objects.for_tenant(hl_a).get(text="天河区体育西路工地夜间施工扰民")
    intake.refresh_from_db()
    assert intake.order == confirmed
    state = client.get(STATE).json()
    assert state["unconfirmed"] == []
    assert state["calls"][0]["intake"]["confirmed"] is True


@pytest.mark.parametrize("role", [Role.DEPARTMENT_HANDLER, Role.HOTLINE_DISPATCHER])
def test_live_calls_are_for_agents_and_admins(client, hl_a, role):
    client.force_login(member(hl_a, role, username="someone"))
    assert client.get(PAGE).status_code in (403, 404)
    assert client.get(STATE).status_code in (403, 404)


@pytest.mark.parametrize("role", [Role.HOTLINE_AGENT, Role.TENANT_ADMIN])
def test_agents_find_the_live_calls_from_the_overview(client, hl_a, role):
    client.force_login(member(hl_a, role, username="someone"))
    assert PAGE in client.get("/gov-hotline/").content.decode()
    assert client.get(PAGE).status_code == 200
