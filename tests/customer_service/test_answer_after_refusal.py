"""What the subscriber gets when the language model says the passages hold no answer: the
refusal, with the offer of a human agent.

The model here is a scripted OpenAI-compatible server that always refuses: the path under test
is the dialogue's handling of a refusal, not the model's judgement (tests/customer_service/
test_llm_answers.py covers the real model)."""

import pytest

from customer_service.services import dialogue
from customer_service.services.knowledge import article_create
from suite.ai.citations import NO_ANSWER
from suite.ai.models import UsageRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def refusing_model(scripted_model):
    scripted_model.reply = f"抱歉，{NO_ANSWER}。"
    return scripted_model


@pytest.fixture
def roaming(tenant_a):
    return article_create(
        tenant=tenant_a, title="国际漫游开通", category="漫游", status="published",
        body="出国前发送短信KTGJMY到10086开通国际漫游，日本每天25元不限量。",
    )  # fmt: skip


def ask(tenant, text):
    conversation = dialogue.conversation_start(tenant=tenant)
    return dialogue.conversation_message(conversation=conversation, text=text)


def test_a_refusal_stands_even_over_an_article_sharing_the_questions_words(
    tenant_a, roaming, refusing_model
):
    # No lexical extract after the model's "no": measured, it answered wrong more often than
    # right (bench/kb_answers.py).
    reply = ask(tenant_a, "出国前怎么开通国际漫游？")
    assert reply.customer_turn.answered is False
    assert reply.bot_turn.citations == [] and "KTGJMY" not in reply.bot_turn.text
    assert "转人工" in reply.bot_turn.text or "human agent" in reply.bot_turn.text
    used = UsageRecord.objects.filter(tenant=tenant_a, capability="chat")
    assert [u.model for u in used] == ["scripted"]


def test_a_refusal_with_nothing_relevant_stands(tenant_a, roaming, refusing_model):
    reply = ask(tenant_a, "在你们这买新手机能分期免息吗")
    assert reply.customer_turn.answered is False
    assert reply.bot_turn.citations == []
    assert "KTGJMY" not in reply.bot_turn.text
