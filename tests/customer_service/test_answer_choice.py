"""The language model names the passage that answers before it writes the answer.

A scripted OpenAI-compatible server stands in for the model: the path under test is how the
dialogue asks (a JSON schema whose number field admits 0..n) and what it makes of the choice,
not the model's judgement (tests/customer_service/test_llm_answers.py covers the real model)."""

import json
import re

import pytest

from customer_service import knowledge
from customer_service.services import dialogue
from customer_service.services.knowledge import article_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def model(scripted_model):
    return scripted_model


@pytest.fixture
def articles(tenant_a):
    return [
        article_create(tenant=tenant_a, title=title, body=body, category="业务", status="published")
        for title, body in [
            ("流量查询", "发送短信CXLL到10086查询剩余流量。"),
            ("副卡办理", "副卡每月10元，一个主号最多能办4张副卡。"),
        ]
    ]


def ask(tenant, text):
    conversation = dialogue.conversation_start(tenant=tenant)
    return dialogue.conversation_message(conversation=conversation, text=text)


def _passage_number(request: dict, title: str) -> int:
    block = request["messages"][-1]["content"]
    line = next(line for line in block.splitlines() if title in line)
    return int(line[1 : line.index("]")])


def test_the_chosen_passage_is_the_one_cited_and_the_answer_is_the_models(
    tenant_a, articles, model
):
    def choose_the_second_card_article(request: dict) -> str:
        number = _passage_number(request, "副卡办理")
        answer = "副卡每月10元，最多能办4张。[3]"
        return json.dumps({"资料能回答": True, "编号": number, "回答": answer})

    model.reply = choose_the_second_card_article
    reply = ask(tenant_a, "家里人想加一张卡要多少钱")
    schema = model.requests[-1]["response_format"]["json_schema"]["schema"]
    block = model.requests[-1]["messages"][-1]["content"].splitlines()
    count = sum(1 for line in block if re.match(r"\[\d+\] ", line))
    assert schema["properties"]["编号"]["enum"] == list(range(count + 1))
    assert list(schema["properties"]) == ["资料能回答", "编号", "回答"]  # judge, choose, answer
    assert reply.bot_turn.text == "副卡每月10元，最多能办4张。[1]"  # the model's marker replaced
    assert reply.bot_turn.citations == [{"id": articles[1].pk, "title": "副卡办理"}]
    assert reply.bot_turn.model == "scripted" and reply.bot_turn.fallback is False


def test_a_chosen_number_the_answer_does_not_quote_is_corrected_to_the_quoted_passage(
    tenant_a, articles, model
):
    def answer_from_cards_but_choose_data(request: dict) -> str:
        number = _passage_number(request, "流量查询")
        return json.dumps({"资料能回答": True, "编号": number, "回答": "副卡每月10元，最多4张。"})

    model.reply = answer_from_cards_but_choose_data
    reply = ask(tenant_a, "家里人想加一张卡要多少钱")
    assert reply.bot_turn.citations == [{"id": articles[1].pk, "title": "副卡办理"}]
    assert reply.bot_turn.text == "副卡每月10元，最多4张。[1]"


def test_an_answer_asserting_a_code_of_the_question_no_passage_holds_is_a_refusal(
    tenant_a, articles, model
):
    model.reply = json.dumps({"资料能回答": True, "编号": 1, "回答": "宽带能装IPTV，每月10元。[1]"})
    reply = ask(tenant_a, "宽带能装IPTV看电视吗")
    assert reply.customer_turn.answered is False
    assert reply.bot_turn.citations == [] and "IPTV" not in reply.bot_turn.text


def test_a_code_of_the_question_the_passage_holds_is_an_answer(tenant_a, articles, model):
    model.reply = json.dumps({"资料能回答": True, "编号": 1, "回答": "发送CXLL到10086查询。[1]"})
    reply = ask(tenant_a, "发CXLL能查流量吗")
    assert reply.customer_turn.answered is True
    assert reply.bot_turn.citations == [{"id": articles[0].pk, "title": "流量查询"}]


@pytest.mark.parametrize(
    "content",
    [
        json.dumps({"资料能回答": False, "编号": 0, "回答": "抱歉，资料中没有相关信息。"}),
        json.dumps({"资料能回答": False, "编号": 1, "回答": "编造的答案"}),  # judged unanswered
        json.dumps({"资料能回答": True, "编号": 9, "回答": "编造的答案"}),  # no such passage
        json.dumps({"资料能回答": True, "编号": 1, "回答": "[1]"}),  # a bare marker says nothing
        "not json at all",
    ],
)
def test_no_choice_is_a_refusal_never_an_invented_source(tenant_a, articles, model, content):
    model.reply = content
    reply = ask(tenant_a, "在你们这买新手机能分期免息吗")
    assert reply.customer_turn.answered is False
    assert reply.bot_turn.citations == []
    assert "编造" not in reply.bot_turn.text


def test_worked_examples_come_before_the_conversation_in_the_schemas_shape(
    tenant_a, articles, model
):
    model.reply = json.dumps({"资料能回答": True, "编号": 1, "回答": "发送CXLL到10086查询。"})
    ask(tenant_a, "怎么查我还剩多少流量")
    request = model.requests[-1]
    messages = request["messages"]
    properties = list(request["response_format"]["json_schema"]["schema"]["properties"])
    examples = messages[1:-1]
    assert [m["role"] for m in examples] == ["user", "assistant"] * len(dialogue.CHOICE_EXAMPLES)
    assert messages[-1]["content"].endswith("怎么查我还剩多少流量")
    refusals = 0
    for asked, answered in zip(examples[::2], examples[1::2], strict=True):
        listed = re.findall(r"^\[(\d+)\] ", asked["content"], flags=re.MULTILINE)
        data = json.loads(answered["content"])
        assert list(data) == properties  # the same keys, in the order the schema asks them
        assert data["编号"] == 0 or str(data["编号"]) in listed
        refusals += data["资料能回答"] is False
        # Made up: no example may teach an answer the knowledge base could be asked for.
        assert "CXLL" not in asked["content"] and "副卡" not in asked["content"]
    assert 0 < refusals < len(dialogue.CHOICE_EXAMPLES)  # both judgements are shown


@pytest.mark.parametrize(
    "answer",
    [
        "看家摄像头含云端录像回看，在看家页面开通。",  # copied from a worked example
        "云盘会员每月15元。",  # a price no passage holds
    ],
)
def test_an_answer_not_drawn_from_the_passages_is_a_refusal(tenant_a, articles, model, answer):
    model.reply = json.dumps({"资料能回答": True, "编号": 1, "回答": answer})
    reply = ask(tenant_a, "你们那个云盘会员多少钱一个月")
    assert reply.customer_turn.answered is False
    assert answer not in (reply.bot_turn.text if reply.bot_turn else "")


@pytest.fixture
def invoice_article(tenant_a, articles):
    return article_create(
        tenant=tenant_a,
        title="电子发票",
        body="电子发票开具可在App“我的-发票管理”中开具。",
        category="业务",
        status="published",
    )


def _answer_from(title: str, answer: str):
    def reply(request: dict) -> str:
        number = _passage_number(request, title)
        return json.dumps({"资料能回答": True, "编号": number, "回答": answer})

    return reply


def test_an_answer_far_in_meaning_from_the_question_is_a_refusal(
    tenant_a, articles, invoice_article, model
):
    """The bundled e5 measures it through the index's own embedder: a data-balance question
    answered with the invoice article's line is refused, the CXLL line is shown."""
    model.reply = _answer_from("电子发票", "电子发票开具可在App“我的-发票管理”中开具。[1]")
    wrong = ask(tenant_a, "怎么查我还剩多少流量？")
    assert wrong.customer_turn.answered is False
    assert "发票" not in wrong.bot_turn.text and wrong.bot_turn.citations == []

    model.reply = _answer_from("流量查询", "发送短信CXLL到10086查询剩余流量。[1]")
    right = ask(tenant_a, "怎么查我还剩多少流量？")
    assert right.customer_turn.answered is True
    assert right.bot_turn.citations == [{"id": articles[0].pk, "title": "流量查询"}]


def test_the_relevance_check_can_be_turned_off_and_stands_aside_without_vectors(
    tenant_a, articles, invoice_article, model, settings
):
    model.reply = _answer_from("电子发票", "电子发票开具可在App“我的-发票管理”中开具。[1]")
    settings.CUSTOMER_SERVICE_ANSWER_MIN_RELEVANCE = 0
    assert ask(tenant_a, "怎么查我还剩多少流量？").customer_turn.answered is True
    settings.CUSTOMER_SERVICE_ANSWER_MIN_RELEVANCE = 0.87
    # Without vectors there is nothing to measure with: the model's choice stands.
    assert knowledge.answer_relevance(tenant_a, "怎么查流量", "发送CXLL") is not None
    settings.CUSTOMER_SERVICE_KB_VECTORS = False
    assert knowledge.answer_relevance(tenant_a, "怎么查流量", "发送CXLL") is None
