"""Agent assist's suggested replies written by the language model from the conversation and the
knowledge hits: labelled with the model, citing the articles, every number grounded; the
templates stay as the labelled fallback (model down, no model, nothing usable)."""

import json
import socket

import pytest
from django.urls import reverse

from customer_service.services import assist_replies, dialogue
from customer_service.services.knowledge import article_create
from suite.ai.config_cache import invalidate
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db

GROUNDED = "流量加油包10元1GB，当月有效，发送短信JYB到10086就能订购。"
INVENTED = "您也可以订购20元5GB的加油包。"  # no such offer in the knowledge base
NO_NUMBER = "请问还有什么可以帮您？"


def model_writes(*replies: tuple[str, list[int]]):
    """The scripted model's answer to a suggested-replies request (other requests: nothing)."""

    def reply(request: dict) -> str:
        schema = (request.get("response_format") or {}).get("json_schema", {})
        if schema.get("name") != "suggested_replies":
            return "抱歉，资料中没有相关信息。"
        return json.dumps(
            {"建议": [{"回复": t, "资料": c} for t, c in replies]}, ensure_ascii=False
        )

    return reply


def prompt_of(scripted) -> str:
    request = next(
        r
        for r in scripted.requests
        if (r.get("response_format") or {}).get("json_schema", {}).get("name")
        == "suggested_replies"
    )
    return "\n".join(m["content"] for m in request["messages"])


def test_model_replies_are_labelled_cite_articles_and_drop_invented_numbers(
    tenant_a, kb_a, scripted_model
):
    scripted_model.reply = model_writes((GROUNDED, [1]), (INVENTED, [1]), (NO_NUMBER, []))
    addon = kb_a[1]  # 流量加油包订购
    result = assist_replies.replies_generate(
        tenant=tenant_a,
        turns=[
            ("customer", "我的流量用完了，我的号码是13812345678"),
            ("agent", "您好，我帮您看看"),
            ("customer", "有没有便宜的流量包？"),
        ],
        hit_ids=[addon.pk],
    )
    assert result is not None and result.model == "scripted" and result.dropped == 1
    assert [r.as_dict() for r in result.replies] == [
        {
            "text": GROUNDED,
            "citations": [addon.pk],
            "generated": True,
            "model": "scripted",
            "label": "AI生成 · scripted",
        },
        {
            "text": NO_NUMBER,
            "citations": [],
            "generated": True,
            "model": "scripted",
            "label": "AI生成 · scripted",
        },
    ]
    prompt = prompt_of(scripted_model)
    # The model read the article and both sides of the conversation, with the number masked.
    assert "10元1GB" in prompt and "坐席：您好，我帮您看看" in prompt
    assert "13812345678" not in prompt and "138****5678" in prompt


def test_replies_cut_off_by_the_token_limit_keep_the_whole_ones(tenant_a, kb_a, scripted_model):
    whole = json.dumps({"回复": NO_NUMBER, "资料": []}, ensure_ascii=False)
    scripted_model.reply = '{"建议": [' + whole + ', {"回复": "您可以发送短信JYB到'
    result = assist_replies.replies_generate(
        tenant=tenant_a, turns=[("customer", "流量用完了")], hit_ids=[kb_a[1].pk]
    )
    assert result is not None and [r.text for r in result.replies] == [NO_NUMBER]


@pytest.mark.parametrize(
    ("reply", "sources", "ok"),
    [
        ("每月128元，含30GB流量", "5G畅享套餐每月128元，包含30GB国内通用流量", True),
        ("每月一百二十八元", "每月128元", True),  # Chinese numerals read as numbers
        ("每月30.0元", "每月30元", True),
        ("每月一百元", "每月128元", False),
        ("超出后每GB3元", "超出流量按每GB5元计费", False),
        ("您稍等一下，我一起帮您查", "", True),  # 一下/一起 are words, not numbers
        ("请拨打10086", "客户：我要挂失", False),
    ],
)
def test_a_reply_is_grounded_only_when_every_number_is_in_the_sources(reply, sources, ok):
    assert assist_replies.grounded(reply, sources) is ok


def test_only_the_callers_tenant_articles_reach_the_model(tenant_a, tenant_b, kb_a, scripted_model):
    theirs = article_create(
        tenant=tenant_b, title="成都流量包", body="成都专享流量包每月77元。", status="published"
    )
    scripted_model.reply = model_writes(("成都专享流量包每月77元。", [1]), (NO_NUMBER, []))
    result = assist_replies.replies_generate(
        tenant=tenant_a, turns=[("customer", "有什么流量包？")], hit_ids=[theirs.pk]
    )
    assert "77元" not in prompt_of(scripted_model)
    # Without that article the model's 77 is an invented number.
    assert result is not None and [r.text for r in result.replies] == [NO_NUMBER]


@pytest.fixture
def agent(client, tenant_a):
    user = member(tenant_a, Role.CS_AGENT, username="agent_a")
    client.force_login(user)
    return user


def handed_off(tenant, agent=None):
    """A chat handed to an agent (accepted when `agent` is given), the customer's question last."""
    conv = dialogue.conversation_start(tenant=tenant, phone="13812345678")
    dialogue.conversation_message(conversation=conv, text="转人工")
    if agent is not None:
        dialogue.conversation_accept(conversation=conv, agent=agent)
        dialogue.conversation_message(conversation=conv, text="流量用完了，怎么订购流量加油包？")
    return conv


@covers("customer_service:conversation_suggest")
def test_the_agent_asks_for_model_replies_in_a_chat(
    client, agent, tenant_a, tenant_b, kb_a, scripted_model
):
    scripted_model.reply = model_writes((GROUNDED, [1]), (INVENTED, [1]))
    mine, theirs = handed_off(tenant_a, agent), handed_off(tenant_b)
    page = client.get(reverse("customer_service:conversation", args=[mine.pk])).content.decode()
    # Before the button: the templates only, each labelled as such, and the button.
    assert "模板建议" in page and "AI生成 · scripted" not in page and "AI建议回复" in page

    url = reverse("customer_service:conversation_suggest", args=[mine.pk])
    fragment = client.post(url, headers={"HX-Request": "true"}).content.decode()
    assert 'id="assist-replies"' in fragment
    assert "AI生成 · scripted" in fragment and GROUNDED in fragment
    assert INVENTED not in fragment and "模板建议" in fragment  # templates stay after it
    assert f'data-text="{GROUNDED}"' in fragment  # one click puts it in the reply box
    addon = next(a for a in kb_a if a.title == "流量加油包订购")
    assert f'href="{reverse("customer_service:article", args=[addon.pk])}"' in fragment
    assert "13812345678" not in prompt_of(scripted_model)

    their_url = reverse("customer_service:conversation_suggest", args=[theirs.pk])
    assert client.post(their_url).status_code == 404


def _unused_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_model_down_leaves_the_labelled_templates(client, agent, tenant_a, kb_a, settings):
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [
            {
                "name": "down",
                "engine": "openai-compatible",
                "options": {
                    "base_url": f"http://127.0.0.1:{_unused_port()}/v1",
                    "model": "down",
                    "timeout": 2,
                },
            },
            {"name": "extractive-answerer", "engine": "extractive"},
        ],
    }
    invalidate()
    conv = handed_off(tenant_a)
    url = reverse("customer_service:conversation_suggest", args=[conv.pk])
    response = client.post(url, headers={"HX-Request": "true"})
    fragment = response.content.decode()
    assert response.status_code == 200
    assert "AI生成" not in fragment and 'data-generated="1"' not in fragment
    assert "模板建议" in fragment and 'id="assist-no-model"' in fragment
    invalidate()


def test_the_api_labels_each_suggestion(api_a, tenant_a, kb_a, scripted_model):
    scripted_model.reply = model_writes((GROUNDED, [1]), (INVENTED, [1]))
    url = reverse("api:cs-assist")
    plain = api_a.post(url, {"text": "流量用完了怎么办"}, format="json").json()
    assert plain["replies"] and all(
        r["generated"] is False and r["label"] == "模板建议" for r in plain["replies"]
    )
    assert not scripted_model.requests  # the model is asked only when the caller wants it
    asked = api_a.post(url, {"text": "流量用完了怎么办", "generate": True}, format="json").json()
    assert asked["generated"] is True and asked["model"] == "scripted"
    first = asked["replies"][0]
    assert (first["text"], first["label"], first["generated"]) == (
        GROUNDED,
        "AI生成 · scripted",
        True,
    )
    assert first["citations"] and set(first["citations"]) <= {
        h["id"] for h in asked["knowledge_hits"]
    }
    assert [r for r in asked["replies"] if not r["generated"]] == plain["replies"]
    assert INVENTED not in {r["text"] for r in asked["replies"]}


def test_the_bundled_model_writes_grounded_replies_citing_the_article(
    tenant_a, kb_a, language_model
):
    addon = next(a for a in kb_a if a.title == "流量加油包订购")
    result = assist_replies.replies_generate(
        tenant=tenant_a,
        turns=[
            ("customer", "我这个月流量用完了"),
            ("agent", "您好，请问您是想再买一些流量吗？"),
            ("customer", "对，有没有便宜点的流量包，怎么办理？"),
        ],
        hit_ids=[addon.pk],
    )
    assert result is not None and result.model == language_model.served_name
    sources = addon.title + addon.body + "我这个月流量用完了"
    for reply in result.replies:
        assert reply.generated
        assert reply.as_dict()["label"] == f"AI生成 · {language_model.served_name}"
        assert assist_replies.grounded(reply.text, sources)
        assert set(reply.citations) <= {addon.pk}
    # The add-on article answers the question: at least one reply draws on it.
    assert any(addon.pk in r.citations or "10元" in r.text for r in result.replies)
