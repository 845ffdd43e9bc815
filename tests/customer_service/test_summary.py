"""The after-chat summary written by the language model (scripted here: what the product asks
and what it keeps of the answer), and the rules' summary when the model gives nothing usable."""

import pytest

from customer_service.summary import summarize, summarize_lines

pytestmark = pytest.mark.django_db

LINES = ["我家宽带这周断了三次，太影响上班了", "我电话13812345678"]


def test_the_model_rewrites_the_summary_and_raises_the_priority(tenant_a, scripted_model):
    scripted_model.reply = (
        '```json\n{"summary": "宽带一周断网三次，请回电13812345678", "priority": "high"}\n```'
    )
    result = summarize(tenant_a, LINES)
    assert (result["rule_based"], result["model"]) == (False, "scripted")
    assert "宽带一周断网三次" in result["summary"] and "138****5678" in result["summary"]
    assert result["ticket"]["summary"] == result["summary"]
    assert result["ticket"]["priority"] == "high"
    assert result["ticket"]["phone"] == "13812345678"  # the agent confirms the number
    request = scripted_model.requests[-1]
    assert request["response_format"]["json_schema"]["name"] == "summary"
    assert "13812345678" not in request["messages"][-1]["content"]


@pytest.mark.parametrize("reply", ["好的，我来总结一下。", '{"summary": "  ", "priority": "high"}'])
def test_an_unusable_answer_keeps_the_rules_summary(tenant_a, scripted_model, reply):
    scripted_model.reply = reply
    result = summarize(tenant_a, LINES)
    assert result["rule_based"] is True and "model" not in result
    assert result["summary"] == summarize_lines(LINES)["summary"]
    assert "138****5678" in result["summary"] and "13812345678" not in result["summary"]
