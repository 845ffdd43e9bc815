"""assist_utterance: what the agent desktop shows for one caller utterance."""

import pytest

from customer_service.assist import assist_utterance
from customer_service.services.lexicon import lexicon_entry_create

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def test_cantonese_fault_utterance(tenant_a, kb_a):
    result = assist_utterance(
        tenant=tenant_a, text="屋企嘅宽带琴日开始上唔到网，光猫闪红灯", language="zh"
    )
    assert result["dialect"] == "cantonese"
    assert "家里" in result["normalized_text"] and "唔" not in result["normalized_text"]
    assert result["intent"] == "fault_repair"
    assert result["knowledge_hits"][0]["title"] == "宽带无法上网自助排查"
    assert set(result["knowledge_hits"][0]) == {"id", "title", "snippet"}
    assert result["suggestions"] and result["fallback"] is True


def test_asr_language_decides_when_text_has_no_markers(tenant_a):
    plain = assist_utterance(tenant=tenant_a, text="我想查一下话费余额")
    hinted = assist_utterance(tenant=tenant_a, text="我想查一下话费余额", language="yue")
    assert plain["dialect"] == "mandarin"
    assert hinted["dialect"] == "cantonese"


def test_angry_customer_gets_an_apology_first(tenant_a, kb_a):
    result = assist_utterance(
        tenant=tenant_a, text="你们太差劲了！乱扣费，我要投诉，气死我了！", history=["我的话费"]
    )
    assert result["sentiment"]["label"] == "negative"
    assert result["intent"] == "complaint"
    assert "sorry" in result["suggestions"][0]


def test_tenant_lexicon_term_is_normalised(tenant_a):
    lexicon_entry_create(
        tenant=tenant_a, dialect="sichuanese", term="巴巴适适", mandarin="舒舒服服"
    )
    result = assist_utterance(tenant=tenant_a, text="莫得信号，想要巴巴适适地打电话")
    assert result["dialect"] == "sichuanese"
    assert "舒舒服服" in result["normalized_text"]


def test_empty_text_is_an_empty_result(tenant_a):
    result = assist_utterance(tenant=tenant_a, text="   ")
    assert result["suggestions"] == [] and result["knowledge_hits"] == []
