"""12345 live calls over the real ASGI application: a call streamed in either protocol reaches
the agent desk of its own tenant (transcript and the running work-order draft, phone numbers
masked), and leaves an intake the agent confirms into an order that keeps the transcript."""

import pytest
from asgiref.sync import sync_to_async

from gov_hotline.drafting import draft_build
from gov_hotline.models import RecordingIntake, WorkOrder
from suite.ai import gateway
from suite.asgi import application
from suite.telephony.models import Call
from suite.tenancy.models import Role
from tests.calls import (
    _calls_end_with_the_test,  # noqa: F401 (autouse)
    desk_connects,
    disconnect,
    final_transcript,
    open_desk,
    send_audio,
    start_stream_call,
    twilio_call,
)
from tests.cross_tenant import covers
from tests.factories import member
from tests.sockets import Communicator
from tests.suite.test_realtime import closed_with
from tests.suite.test_telephony_support import (
    PHRASES,
    receive_until,
    use_tone_engines,
    utterance,
)

from .test_portal import login

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

NOISE = 550  # a tone the test engine hears as the citizen's complaint below
COMPLAINT = "我住在天河区体育西路，工地晚上十一点还在打桩施工，噪音太大了。我的电话13812345678"
DESK = "/ws/gov-hotline/agent/"
STREAM = "/ws/gov-hotline/calls/stream/"


@pytest.fixture(autouse=True)
def _tones(monkeypatch, settings):
    use_tone_engines(monkeypatch, settings)
    monkeypatch.setitem(PHRASES, NOISE, COMPLAINT)


async def desk(tenant, username: str, role=Role.HOTLINE_AGENT) -> Communicator:
    return await open_desk(DESK, tenant, username, role)


def _confirm(agent, other, tenant, intake_id: int) -> tuple[int, WorkOrder, int]:
    """The agent opens the call's intake and saves it; another tenant's agent gets a 404."""
    url = f"/gov-hotline/intake/recordings/{intake_id}/"
    foreign = login(other).get(url).status_code
    client = login(agent)
    page = client.get(url)
    initial = page.context["confirm"].initial
    form = {k: v for k, v in initial.items() if v is not None}
    # No classifier is trained in this test: the agent picks the category.
    form.update(
        step="save",
        intake=str(intake_id),
        direct_answer="",
        request_type="投诉",
        subcategory="生态环境/噪音污染",
    )
    saved = client.post("/gov-hotline/intake/", form)
    assert saved.status_code == 302, saved.content.decode()[:800]
    order = WorkOrder.objects.select_related("subcategory", "district").get(tenant=tenant)
    return page.status_code, order, foreign


@covers("ws-gov-hotline-calls-stream", "ws-gov-hotline-agent", "gov_hotline:intake_recording")
async def test_a_streamed_call_drafts_an_order_on_its_tenants_desk_only(hl_a, hl_b, key_a):
    desk_a = await desk(hl_a, "agent_a")
    desk_b = await desk(hl_b, "agent_b")
    ws, started = await start_stream_call(STREAM, key_a, caller="13812345678")

    await send_audio(ws, utterance(NOISE))
    events = await receive_until(desk_a, lambda m: m["type"] == "call.draft")
    call_started = next(e for e in events if e["type"] == "call.started")
    assert call_started["call"]["id"] == started["call_id"]
    assert call_started["call"]["caller"] != "13812345678"  # masked on the desk
    final = next(e for e in events if final_transcript(e))
    assert "体育西路" in final["text"] and "13812345678" not in final["text"]
    draft = events[-1]["draft"]
    expected = await sync_to_async(draft_build)(caller=gateway.Caller(tenant=hl_a), text=COMPLAINT)
    assert draft["district"] == expected["district"] == "天河区"
    assert draft["urgency"] == expected["urgency"]
    assert draft["confidence"] == expected["confidence"] and draft["confidence"]["district"] > 0
    assert draft["fallback"] is True  # no classifier trained: labelled, category left empty
    assert "13812345678" not in str(draft)
    assert all(e["call_id"] == started["call_id"] for e in events)
    assert await desk_b.receive_nothing(timeout=0.5)

    await ws.send_json_to({"type": "stop"})
    ended = (await receive_until(desk_a, lambda m: m["type"] == "call.ended"))[-1]
    assert ended["intake"]["ready"] is True
    assert await desk_b.receive_nothing(timeout=0.5)
    intake = await sync_to_async(RecordingIntake.objects.get)(call_id=started["call_id"])
    assert intake.tenant_id == hl_a.pk and intake.text == COMPLAINT
    assert [s["text"] for s in intake.transcript] == [COMPLAINT]
    assert ended["intake"]["url"] == f"/gov-hotline/intake/recordings/{intake.pk}/"

    agent = await sync_to_async(member)(hl_a, Role.HOTLINE_AGENT, username="agent_a2")
    other = await sync_to_async(member)(hl_b, Role.HOTLINE_AGENT, username="agent_b2")
    status, order, foreign = await sync_to_async(_confirm)(agent, other, hl_a, intake.pk)
    assert (status, foreign) == (200, 404)
    assert order.text == COMPLAINT and order.channel == "phone"
    assert [s["text"] for s in order.transcript] == [COMPLAINT]  # kept with the order
    assert (order.subcategory.name, order.district.name) == ("噪音污染", "天河区")
    await disconnect(ws, desk_a, desk_b)


@covers("ws-gov-hotline-calls-twilio")
async def test_a_twilio_call_reaches_only_its_tenants_desk(hl_a, hl_b, key_b):
    desk_a = await desk(hl_a, "agent_a", role=Role.TENANT_ADMIN)
    desk_b = await desk(hl_b, "agent_b")
    ws, seq = await twilio_call(
        "/ws/gov-hotline/calls/twilio/", key_b, utterance(NOISE), caller="13900001111"
    )
    events = await receive_until(desk_b, lambda m: m["type"] == "call.draft")
    assert events[-1]["draft"]["district"] == "天河区"
    assert await desk_a.receive_nothing(timeout=0.5)
    await ws.send_json_to({"event": "stop", "sequenceNumber": str(seq)})
    await receive_until(desk_b, lambda m: m["type"] == "call.ended")
    call = await sync_to_async(Call.objects.get)()
    assert (call.tenant_id, call.protocol, call.product) == (hl_b.pk, "twilio", "gov_hotline")
    intake = await sync_to_async(RecordingIntake.objects.get)(call=call)
    assert intake.tenant_id == hl_b.pk and intake.draft["district"] == "天河区"
    await disconnect(ws, desk_a, desk_b)


@covers("ws-gov-hotline-calls-stream")
async def test_another_tenants_key_cannot_resume_the_call(hl_a, key_a, key_b):
    ws, started = await start_stream_call(STREAM, key_a)
    await ws.disconnect()
    thief = Communicator(application, f"{STREAM}?api_key={key_b}")
    assert (await thief.connect())[0]
    await thief.send_json_to({"type": "resume", "call_id": started["call_id"], "last_seq": 0})
    error = await thief.receive_json_from(timeout=5)
    assert error["code"] == "unknown_call"
    closed = await thief.receive_output(timeout=5)
    assert (closed["type"], closed["code"]) == ("websocket.close", 4404)
    call = await sync_to_async(Call.objects.get)(pk=started["call_id"])
    assert call.tenant_id == hl_a.pk


@covers("ws-gov-hotline-agent")
async def test_the_desk_needs_a_hotline_role_or_a_hotline_key(hl_a, hotline_key_a, key_a):
    user = await sync_to_async(member)(hl_a, Role.RINGTONE_REVIEWER, username="rr")
    assert not await desk_connects(DESK, user)
    # A key without the hotline scope is refused; one with it joins the tenant's desk.
    assert await closed_with(f"{DESK}?api_key={key_a}") == 4403
    ws = Communicator(application, f"{DESK}?api_key={hotline_key_a}")
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "hello"
    await ws.disconnect()
