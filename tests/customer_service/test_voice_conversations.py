"""Live calls recorded as voice conversations (services/voice.py), and analytics that count
them with the chats: containment, satisfaction, dialects, unanswered questions."""

import pytest
from django.core.exceptions import ValidationError

from customer_service import analytics
from customer_service.assist import assist_utterance
from customer_service.models import Conversation, ConversationStatus, Turn
from customer_service.services import dialogue, voice
from suite.telephony.services import call_end, call_start

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def hear(conversation, text):
    """What the call handler does with a final utterance: assist, then record the turn."""
    result = assist_utterance(tenant=conversation.tenant, text=text)
    return voice.conversation_add_call_turn(
        conversation=conversation,
        text=text,
        normalized_text=result["normalized_text"],
        dialect=result["dialect"],
        dialect_confidence=result["dialect_confidence"],
        intent=result["intent"],
        intent_confidence=result["intent_confidence"],
        sentiment=result["sentiment"]["label"],
        sentiment_score=result["sentiment"]["score"],
        answered=bool(result["knowledge_hits"]),
        audio_seconds=2.5,
    )


def a_call(tenant):
    return call_start(tenant=tenant, product="customer_service", protocol="stream")


def test_a_call_becomes_one_voice_conversation_with_dialect_turns(tenant_a, kb_a):
    call = a_call(tenant_a)
    conv = voice.conversation_for_call(tenant=tenant_a, call_id=str(call.id), phone="13800138000")
    # A resumed call finds the same conversation.
    assert voice.conversation_for_call(tenant=tenant_a, call_id=str(call.id)).pk == conv.pk
    turn = hear(conv, "点样开通国际漫游啊？我唔识")
    assert turn.dialect == "cantonese" and turn.answered is True and turn.seq == 1
    # A later Mandarin-sounding utterance does not undo the dialect heard.
    hear(conv, "好的谢谢")
    voice.conversation_add_call_turn(conversation=conv, role="bot", text="您可以发送短信开通。")
    conv.refresh_from_db()
    assert conv.channel == "voice" and conv.dialect == "cantonese"
    assert list(Turn.objects.filter(conversation=conv).values_list("role", flat=True)) == [
        "customer",
        "customer",
        "bot",
    ]
    voice.conversation_close_call(conversation=conv, satisfaction=5)
    conv.refresh_from_db()
    assert conv.status == ConversationStatus.CLOSED and conv.closed_at is not None
    assert "漫游" in conv.summary and conv.satisfaction == 5 and conv.escalation_reason == ""
    # Closing twice changes nothing; a closed call takes no more turns.
    voice.conversation_close_call(conversation=conv, handed_to_agent=True)
    conv.refresh_from_db()
    assert conv.escalation_reason == ""
    with pytest.raises(ValidationError):
        hear(conv, "还有一个问题")


def test_the_same_call_id_in_another_tenant_is_another_conversation(tenant_a, tenant_b):
    call = a_call(tenant_a)
    ours = voice.conversation_for_call(tenant=tenant_a, call_id=str(call.id))
    theirs = voice.conversation_for_call(tenant=tenant_b, call_id=str(call.id))
    assert ours.pk != theirs.pk and theirs.tenant_id == tenant_b.pk


@pytest.mark.parametrize(
    "kwargs",
    [
        {"text": "  "},
        {"text": "你好", "role": "robot"},
    ],
)
def test_bad_turns_are_refused_and_nothing_is_saved(tenant_a, kwargs):
    conv = voice.conversation_for_call(tenant=tenant_a, call_id="c-1")
    with pytest.raises(ValidationError):
        voice.conversation_add_call_turn(conversation=conv, **kwargs)
    assert not Turn.objects.filter(conversation=conv).exists()


def test_bad_close_arguments_are_refused(tenant_a):
    conv = voice.conversation_for_call(tenant=tenant_a, call_id="c-2")
    with pytest.raises(ValidationError):
        voice.conversation_close_call(conversation=conv, satisfaction=9)
    with pytest.raises(ValidationError):
        voice.conversation_close_call(conversation=conv, escalation_reason="bored")
    conv.refresh_from_db()
    assert conv.status != ConversationStatus.CLOSED
    with pytest.raises(ValidationError):
        voice.conversation_for_call(tenant=tenant_a, call_id=" ")
    chat = dialogue.conversation_start(tenant=tenant_a)
    with pytest.raises(ValidationError):
        voice.conversation_add_call_turn(conversation=chat, text="你好")


def test_analytics_cover_voice_conversations_and_count_each_call_once(tenant_a, tenant_b, kb_a):
    chat = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(conversation=chat, text="转人工")  # escalated chat
    # A contained Sichuanese call rated 4, and a Cantonese call an agent took over.
    contained = a_call(tenant_a)
    conv = voice.conversation_for_call(tenant=tenant_a, call_id=str(contained.id))
    hear(conv, "国际漫游咋个开通嘛，啥子价钱")
    hear(conv, "火星上的天气怎么样")
    voice.conversation_close_call(conversation=conv, satisfaction=4)
    call_end(call=contained)
    taken = a_call(tenant_a)
    conv2 = voice.conversation_for_call(tenant=tenant_a, call_id=str(taken.id))
    hear(conv2, "我屋企宽带冇网，点算啊")
    voice.conversation_close_call(conversation=conv2, handed_to_agent=True)
    # A call with no conversation (recorded by telephony only) and another tenant's call.
    a_call(tenant_a)
    other = a_call(tenant_b)
    voice.conversation_close_call(
        conversation=voice.conversation_for_call(tenant=tenant_b, call_id=str(other.id)),
        satisfaction=1,
    )

    data = analytics.figures(tenant_a, days=7)
    assert data["conversations"] == 3
    assert data["by_channel"] == {"chat": 1, "voice": 2, "call": 1}
    assert data["calls"] == 3
    assert data["containment"] == round(1 / 3, 3)
    assert data["dialects"].get("sichuanese") == 1 and data["dialects"].get("cantonese") == 1
    assert data["handoff_reasons"] == {"explicit_request": 2}
    assert data["satisfaction"] == {"average": 4, "responses": 1, "distribution": {"4": 1}}
    assert "火星上的天气怎么样" in {q["question"] for q in data["top_unanswered"]}
    assert Conversation.objects.for_tenant(tenant_b).count() == 1


@pytest.mark.parametrize(
    ("speak_replies", "reason", "contained"),
    [(True, "", 1.0), (False, "agent_assisted", 0.0)],
)
def test_a_call_in_assist_mode_counts_as_answered_by_an_agent(
    tenant_a, kb_a, speak_replies, reason, contained
):
    """Without spoken replies the bot only suggests and an agent talks: not contained."""
    from customer_service.calls import CustomerServiceCallHandler
    from suite.ai.gateway import Caller

    call = call_start(
        tenant=tenant_a,
        product="customer_service",
        protocol="stream",
        speak_replies=speak_replies,
    )
    handler = CustomerServiceCallHandler(call=call, caller=Caller(tenant=tenant_a))
    handler.on_start(resumed=False)
    hear(handler.conversation, "国际漫游怎么开通")
    handler.on_end(dropped=False)
    conv = Conversation.objects.get(pk=handler.conversation.pk)
    assert conv.status == ConversationStatus.CLOSED
    assert conv.escalation_reason == reason
    data = analytics.figures(tenant_a, days=7)
    assert data["containment"] == contained
    assert data["handoff_reasons"] == ({reason: 1} if reason else {})


def test_assist_mode_is_not_a_reason_to_queue_a_chat(tenant_a):
    chat = dialogue.conversation_start(tenant=tenant_a)
    with pytest.raises(ValidationError):
        dialogue.conversation_escalate(conversation=chat, reason="agent_assisted")
    chat.refresh_from_db()
    assert chat.status != ConversationStatus.QUEUED and chat.escalation_reason == ""


def test_a_call_whose_start_never_completed_still_ends(tenant_a):
    """The database refused on_start (seen under load): on_end must still run to the end."""
    from customer_service.calls import CustomerServiceCallHandler
    from suite.ai.gateway import Caller

    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
    handler = CustomerServiceCallHandler(call=call, caller=Caller(tenant=tenant_a))
    handler.on_end(dropped=True)  # raised AttributeError: no attribute 'conversation'
    assert not Conversation.objects.filter(tenant=tenant_a).exists()
