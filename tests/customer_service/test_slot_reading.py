"""Slots in everyday words: the rules first, then the language model reads the answer to the
question just asked, then the customer's own words after the second ask; nothing the customer
did not say becomes a slot."""

import json

import pytest

from customer_service import nlu, selectors
from customer_service.models import Ticket
from customer_service.services import dialogue, slot_reading

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def talk(conversation, text):
    return dialogue.conversation_message(conversation=conversation, text=text)


@pytest.mark.parametrize(
    ("text", "time"),
    [
        ("明天下午两点", "明天下午两点"),
        ("后天上午十点到十二点都行", "后天上午十点到十二点"),
        ("周六上午九点一刻", "周六上午九点一刻"),
        ("下周一晚上7点半", "下周一晚上7点半"),
        ("明天下午", "明天下午"),
    ],
)
def test_spoken_clock_times_are_kept_whole(text, time):
    assert nlu.extract_slots(text)["time"] == time


def test_offers_list_each_tier_by_price_and_data(tenant_a, kb_a):
    offers = selectors.offer_names(tenant_a)
    assert "流量加油包 10元1GB" in offers
    assert "5G畅享套餐 128元30GB" in offers
    assert not any(o.startswith("国际漫游开通") for o in offers)  # not an offer


@pytest.mark.parametrize(
    ("value", "answer", "ok"),
    [
        ("10GB的那个", "10GB的那个", True),  # the customer's own words
        ("夜间流量包 9元10GB", "10GB的那个", True),  # the offer named by its data
        ("流量加油包 10元1GB", "要20元的", False),  # a different tier
        ("夜间流量包 9元10GB", "夜间那个吧", True),  # named by its words
        ("5G畅享套餐 128元30GB", "随便", False),  # nothing of it was said
        ("科技园路10号", "就我家那里", False),  # an invented address
    ],
)
def test_only_what_the_customer_said_is_grounded(value, answer, ok):
    offers = ["夜间流量包 9元10GB", "流量加油包 10元1GB", "5G畅享套餐 128元30GB"]
    slot = "address" if "路" in value else "plan"
    assert slot_reading.grounded(slot, value, answer, offers) is ok


def test_the_model_reads_the_asked_plan_and_the_ticket_carries_it(tenant_a, kb_a, scripted_model):
    def read(request):
        schema = request.get("response_format", {}).get("json_schema", {})
        if schema.get("name") == "slot":
            return json.dumps({"值": "流量加油包 10元1GB"})
        return json.dumps({"资料能回答": False, "编号": 0, "回答": ""})

    scripted_model.reply = read
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    first = talk(conv, "我要订购流量包")
    assert "plan" in first.bot_turn.text
    second = talk(conv, "1GB那个就行")
    request = next(
        r for r in scripted_model.requests if r["response_format"]["json_schema"]["name"] == "slot"
    )
    system = request["messages"][0]["content"]
    assert "流量加油包 10元1GB" in system  # the offers the customer can choose from
    assert request["messages"][-1]["content"] == "1GB那个就行"
    assert "confirm" in second.bot_turn.text and "流量加油包 10元1GB" in second.bot_turn.text
    conv.refresh_from_db()
    assert conv.state["read_by"] == {"plan": "scripted"}
    done = talk(conv, "对")
    assert Ticket.objects.get(pk=done.ticket_id).type == "business"


def test_an_invented_value_is_refused_and_the_second_answer_is_taken_as_said(
    tenant_a, kb_a, scripted_model
):
    scripted_model.reply = json.dumps({"值": "5G畅享套餐 298元100GB"})
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    talk(conv, "我要订购流量包")
    again = talk(conv, "就平时那种")  # not grounded: asked again
    assert "plan" in again.bot_turn.text and "confirm" not in again.bot_turn.text
    taken = talk(conv, "就平时那种")
    assert "confirm" in taken.bot_turn.text and "就平时那种" in taken.bot_turn.text
    conv.refresh_from_db()
    assert conv.state["read_by"] == {"plan": "verbatim"}


def test_without_a_language_model_the_second_answer_ends_the_loop(tenant_a, kb_a):
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    talk(conv, "我要订购流量包")
    again = talk(conv, "10GB的那个")
    assert "plan" in again.bot_turn.text
    taken = talk(conv, "10GB的那个")
    assert "10GB的那个" in taken.bot_turn.text and "confirm" in taken.bot_turn.text


def test_the_real_model_reads_a_tier_said_in_everyday_words(tenant_a, kb_a, language_model):
    conv = dialogue.conversation_start(tenant=tenant_a, phone="13812345678")
    talk(conv, "我要订购流量包")
    reply = talk(conv, "就要那个10块钱1个G的")
    assert "confirm" in reply.bot_turn.text
    conv.refresh_from_db()
    assert conv.state["read_by"]["plan"] == language_model.served_name
    plan = conv.state["slots"]["plan"]
    assert "1GB" in plan or "10块钱1个G" in plan
