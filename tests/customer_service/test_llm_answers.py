"""Knowledge-base answers written by the real bundled language model (Qwen2.5 on llama.cpp,
started by tests.llm through the product's loader and server), over the demo knowledge base."""

import json
import re
from pathlib import Path

import pytest
from django.conf import settings

from customer_service.models import Turn
from customer_service.services import dialogue
from customer_service.services.knowledge import article_create
from suite.ai.models import UsageRecord

# In Chinese, as subscribers ask: the model answers in the language of the conversation.
pytestmark = pytest.mark.django_db

DEMO_KB = Path(settings.BASE_DIR) / "customer_service/data/kb_articles.json"


@pytest.fixture
def demo_kb(tenant_a):
    articles = json.loads(DEMO_KB.read_text(encoding="utf-8"))
    return {
        a["title"]: article_create(
            tenant=tenant_a, title=a["title"], body=a["body"], category=a["category"],
            status="published",
        )
        for a in articles
    }  # fmt: skip


def ask(tenant, text):
    conversation = dialogue.conversation_start(tenant=tenant)
    return dialogue.conversation_message(conversation=conversation, text=text)


def test_a_paraphrased_question_gets_the_model_answer_with_its_citation(
    tenant_a, demo_kb, language_model
):
    # Shares almost no words with the article ("剩余流量可以发送短信CXLL到10086查询…"): the
    # lexical gate alone refused it before a model read the passages.
    reply = ask(tenant_a, "怎么查我还剩多少流量？")
    turn = reply.bot_turn
    assert "CXLL" in turn.text
    assert {"id": demo_kb["剩余流量查询"].pk, "title": "剩余流量查询"} in turn.citations
    # Citation markers number the sources shown under the answer, not the prompt's passages.
    shown = {f"[{n}]" for n in range(1, len(turn.citations) + 1)}
    assert set(re.findall(r"\[\d+\]", turn.text)) <= shown
    assert turn.fallback is False  # a language model answered: no fallback label
    assert reply.customer_turn.answered is True
    usage = UsageRecord.objects.filter(tenant=tenant_a, capability="chat").latest("pk")
    assert usage.model == language_model.served_name and usage.fallback is False


def test_the_model_says_it_does_not_know_and_offers_a_person(tenant_a, demo_kb, language_model):
    reply = ask(tenant_a, "在你们这买新手机能分期免息吗")  # no article says anything about it
    assert reply.customer_turn.answered is False
    assert "转人工" in reply.bot_turn.text  # the "not found" reply offers a person
    assert reply.bot_turn.citations == []


def test_a_model_server_that_is_down_gives_the_labelled_extract(
    tenant_a, demo_kb, settings, llm_server
):
    from suite.ai.config_cache import invalidate
    from tests.llm import chat_entry

    down = chat_entry(llm_server, base_url="http://127.0.0.1:9/v1")
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [down, {"name": "extractive-answerer", "engine": "extractive"}],
    }
    invalidate()
    reply = ask(tenant_a, "出国前怎么开通国际漫游？")
    assert reply.bot_turn.fallback is True
    assert "[1]" in reply.bot_turn.text and "漫游" in reply.bot_turn.text
    usage = UsageRecord.objects.filter(tenant=tenant_a, capability="chat").latest("pk")
    assert usage.model == "extractive-answerer" and usage.fallback is True


def test_another_tenants_articles_never_reach_the_prompt(
    tenant_a, tenant_b, demo_kb, language_model
):
    reply = ask(tenant_b, "怎么查我还剩多少流量？")
    assert "CXLL" not in reply.bot_turn.text
    assert reply.bot_turn.citations == []
    assert reply.customer_turn.answered is False
    assert not Turn.objects.filter(conversation__tenant=tenant_b, citations__len__gt=0).exists()


def test_the_after_chat_summary_is_written_by_the_model(tenant_a, demo_kb, language_model):
    conversation = dialogue.conversation_start(tenant=tenant_a)
    dialogue.conversation_message(
        conversation=conversation,
        text="我家宽带这周断了三次，每次都要半天才恢复，太影响上班了，我电话13812345678",
    )
    closed = dialogue.conversation_close(conversation=conversation)
    assert closed.state["summary_model"] == language_model.served_name
    assert "宽带" in closed.summary
    assert "13812345678" not in closed.summary  # masked before the prompt and after
    assert closed.state["prefill"]["summary"] == closed.summary
    assert closed.state["prefill"]["phone"] == "13812345678"  # the agent confirms the number
