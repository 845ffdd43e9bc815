"""A short follow-up is searched with what the subscriber said before it, so the model reads
the articles about what the conversation is about (customer_service.services.dialogue)."""

import json

import pytest

from customer_service.services import dialogue
from customer_service.services.knowledge import article_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def articles(tenant_a):
    for title, body in [
        ("国际漫游开通", "出国前发送短信KTGJMY到10086开通国际漫游，开通后立即生效。"),
        ("国际漫游资费", "国际漫游在日本、韩国等亚洲地区每天25元不限量，欧美地区每天35元。"),
        ("宽带报装", "新装宽带每月100元起，请携带身份证到营业厅办理，一般48小时内安装。"),
        ("流量加油包", "流量加油包10元1GB，当月有效，发送短信JYB10到10086订购。"),
    ]:
        article_create(tenant=tenant_a, title=title, body=body, status="published")


def _first_passage(request: dict) -> str:
    lines = request["messages"][-1]["content"].splitlines()
    return next(line for line in lines if line.startswith("[1]"))


def _follow_up(tenant, model, before: str, after: str) -> str:
    conversation = dialogue.conversation_start(tenant=tenant)
    dialogue.conversation_message(conversation=conversation, text=before)
    dialogue.conversation_message(conversation=conversation, text=after)
    return _first_passage(model.requests[-1])


def test_a_follow_up_is_searched_with_the_question_before_it(tenant_a, articles, scripted_model):
    scripted_model.reply = json.dumps({"资料能回答": False, "编号": 0, "回答": ""})
    # The same follow-up, after two different questions: each reads its own topic first.
    assert "国际漫游" in _follow_up(
        tenant_a, scripted_model, "我下周去日本，漫游怎么开通", "那要多少钱"
    )
    assert "宽带报装" in _follow_up(tenant_a, scripted_model, "家里想装个宽带", "那要多少钱")
