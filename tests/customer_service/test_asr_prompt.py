"""The customer-service recognition prompt: the tenant's plans and knowledge-base terms, cached
per tenant, renewed when an article changes, and handed to every transcription the product runs
(voice chat clips and live calls)."""

import numpy as np
import pytest
from django.core.cache import cache

from customer_service import selectors
from customer_service.calls import CustomerServiceCallHandler
from customer_service.models import Conversation, KbArticle
from customer_service.services.knowledge import article_create, article_update
from customer_service.speech import transcribe_clip
from suite.ai import gateway
from suite.ai.asr_prompt import PROMPT_TOKENS, count_tokens, prompt_terms
from suite.telephony.services import call_start
from suite.telephony.session import _open_transcription
from tests.ai.prompt_recorder import HEARD, speech_wav, use_prompt_recorder

OTHER_PLAN = "蜀道通套餐"


@pytest.fixture(autouse=True)
def _no_cached_prompts():
    # Tenant pks repeat across tests on SQLite, and the same catalogue gives the same key.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def kb_b(tenant_b):
    return article_create(
        tenant=tenant_b,
        title=f"{OTHER_PLAN}资费说明",
        body="蜀道通套餐每月68元。",
        category="蜀道专区",
        tags=["蜀道通"],
        status="published",
    )


def test_the_prompt_holds_the_tenant_s_plans_and_key_terms_core_first(tenant_a, kb_a):
    terms = prompt_terms(selectors.asr_prompt(tenant_a))
    assert terms[: len(selectors.ASR_CORE_TERMS)] == list(selectors.ASR_CORE_TERMS)
    for term in ("5g畅享套餐", "流量加油包", "套餐资费", "故障自助"):
        assert term in terms
    # Plans come before categories and titles.
    assert terms.index("5g畅享套餐") < terms.index("故障自助")


def test_another_tenant_s_terms_never_appear(tenant_a, kb_a, tenant_b, kb_b):
    mine, theirs = selectors.asr_prompt(tenant_a), selectors.asr_prompt(tenant_b)
    assert OTHER_PLAN not in mine and "蜀道" not in mine
    assert OTHER_PLAN in theirs and "5G畅享套餐" not in theirs and "流量加油包" not in theirs


def test_a_draft_article_is_not_in_the_prompt(tenant_a, kb_a):
    article_create(tenant=tenant_a, title="秘密测试套餐", body="尚未发布。", status="draft")
    assert "秘密测试套餐" not in selectors.asr_prompt(tenant_a)


def test_the_prompt_is_cached_and_renewed_when_articles_change(tenant_a, kb_a, monkeypatch):
    built = []
    real = selectors.asr_terms
    monkeypatch.setattr(selectors, "asr_terms", lambda t: built.append(t) or real(t))
    first = selectors.asr_prompt(tenant_a)
    assert selectors.asr_prompt(tenant_a) == first and len(built) == 1  # cached

    new = article_create(
        tenant=tenant_a, title="校园青春套餐", body="学生专享。", status="published"
    )
    assert "校园青春套餐" in selectors.asr_prompt(tenant_a) and len(built) == 2

    article_update(article=new, title="青春无限套餐")
    renamed = selectors.asr_prompt(tenant_a)
    assert "青春无限套餐" in renamed and "校园青春套餐" not in renamed

    article_update(article=kb_a[0], status="archived")  # the 5G plan is withdrawn
    assert "5G畅享套餐" not in selectors.asr_prompt(tenant_a)

    KbArticle.objects.for_tenant(tenant_a).filter(pk=new.pk).delete()
    assert "青春无限套餐" not in selectors.asr_prompt(tenant_a)


def test_a_large_knowledge_base_is_cut_to_whisper_s_prompt_budget(tenant_a):
    for index in range(120):
        article_create(
            tenant=tenant_a,
            title=f"第{index}号畅联套餐",
            body="每月资费说明。",
            tags=[f"标签{index}", "热门"],
            status="published",
        )
    prompt = selectors.asr_prompt(tenant_a)
    assert count_tokens(prompt) <= PROMPT_TOKENS
    terms = prompt_terms(prompt)
    assert terms[: len(selectors.ASR_CORE_TERMS)] == list(selectors.ASR_CORE_TERMS)
    assert 10 < len(terms) < 120


def test_a_voice_chat_clip_is_transcribed_with_the_tenant_s_prompt(
    tenant_a, kb_a, tenant_b, kb_b, monkeypatch, settings
):
    prompts = use_prompt_recorder(monkeypatch, settings)
    conversation = Conversation.objects.create(tenant=tenant_a, channel="voice")
    heard = transcribe_clip(conversation, speech_wav(), "clip.wav")
    assert heard["text"] == HEARD
    assert prompts == [selectors.asr_prompt(tenant_a)]
    assert "5G畅享套餐" in prompts[0] and OTHER_PLAN not in prompts[0]


def test_a_live_call_is_transcribed_with_the_tenant_s_prompt(
    tenant_a, kb_a, tenant_b, kb_b, monkeypatch, settings
):
    prompts = use_prompt_recorder(monkeypatch, settings)
    call = call_start(tenant=tenant_a, product="customer_service", protocol="stream")
    caller = gateway.Caller(tenant=tenant_a)
    handler = CustomerServiceCallHandler(call=call, caller=caller)
    assert handler.asr_prompt() == selectors.asr_prompt(tenant_a)
    stream = _open_transcription(handler, caller, language="zh")
    t = np.arange(16000) / 16000
    speech = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    stream.feed(np.concatenate([np.zeros(3200, np.float32), speech, np.zeros(16000, np.float32)]))
    stream.close()
    assert prompts and set(prompts) == {selectors.asr_prompt(tenant_a)}
    assert OTHER_PLAN not in prompts[0]
