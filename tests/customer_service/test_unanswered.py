"""The supervisor's unanswered questions: rewordings counted as one, noise left out, numbers
masked; grouped by text only (and saying so) when the embedding model is unavailable."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.utils import timezone

from customer_service import unanswered
from customer_service.models import Turn, TurnRole
from customer_service.services import dialogue
from suite.ai.config_cache import invalidate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The report is cached by its latest turn's id, which a rolled-back test hands out again.
    cache.clear()


ASKED = [
    "怎么查我还剩多少流量",
    "怎么查我还剩多少流量",
    "我的流量还有多少怎么看",
    "剩余流量在哪查",
    "火星上的天气怎么样",
    "嗯嗯啊",
    "喂喂",
    "好的好的",
    "你好在吗",
    "啊",
    "请不吝点赞 订阅 转发 打赏支持明镜与点点栏目",
    "我的号码13812345678为啥查不了",
]


def _unanswered(tenant, texts):
    conversation = dialogue.conversation_start(tenant=tenant)
    for seq, text in enumerate(texts, start=100):
        Turn.objects.create(
            tenant=tenant, conversation=conversation, seq=seq, role=TurnRole.CUSTOMER,
            text=text, normalized_text=text, answered=False,
        )  # fmt: skip


def _report(tenant):
    return unanswered.top_unanswered(tenant, since=timezone.now() - timedelta(days=1), limit=10)


def test_rewordings_are_one_question_and_noise_is_left_out(tenant_a, tenant_b):
    _unanswered(tenant_a, ASKED)
    _unanswered(tenant_b, ["怎么查我还剩多少流量"] * 5)
    report = _report(tenant_a)
    assert report["grouped_by"] == "meaning"
    groups = {g["question"]: g for g in report["groups"]}
    data = groups["怎么查我还剩多少流量"]
    assert data["count"] == 4  # the other tenant's five are not counted here
    assert set(data["variants"]) == {"我的流量还有多少怎么看", "剩余流量在哪查"}
    assert groups["火星上的天气怎么样"]["count"] == 1
    assert "我的号码138****5678为啥查不了" in groups
    shown = " ".join(q for g in report["groups"] for q in [g["question"], *g["variants"]])
    assert "嗯嗯啊" not in shown and "点赞" not in shown and "13812345678" not in shown
    assert not {"喂喂", "好的好的", "你好在吗", "啊"} & set(shown.split())
    assert len(report["groups"]) == 3  # 流量, 火星, the masked number


def test_without_the_embedding_model_identical_texts_are_counted_and_it_says_so(tenant_a, settings):
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "embed": [{"name": "e5-missing", "engine": "e5", "path": "/nonexistent/e5"}],
    }
    invalidate()
    _unanswered(tenant_a, ASKED)
    report = _report(tenant_a)
    assert report["grouped_by"] == "text"
    counts = {g["question"]: g["count"] for g in report["groups"]}
    assert counts["怎么查我还剩多少流量"] == 2 and counts["剩余流量在哪查"] == 1


def test_the_report_is_renewed_when_a_new_question_goes_unanswered(tenant_a):
    _unanswered(tenant_a, ["火星上的天气怎么样"])
    assert [g["count"] for g in _report(tenant_a)["groups"]] == [1]
    _unanswered(tenant_a, ["火星天气如何"])
    assert [g["count"] for g in _report(tenant_a)["groups"]] == [2]


@pytest.mark.parametrize(
    ("text", "noise"),
    [("嗯", True), ("喂喂，那个", True), ("谢谢观看", True), ("宽带", False),
     ("怎么取消视频会员订阅", False),
     # Issue 16: what the reviewer saw listed as questions.
     ("喂喂", True), ("好", True), ("嗯嗯好的", True), ("你好，在吗？", True), ("喂你好", True),
     ("对对对", True), ("是是是是是", True), ("听得到吗", True), ("谢谢，再见", True),
     ("啦啦啦啦", True), ("啊 对", True), ("OK", True), ("宽", True), ("字幕志愿者 李宗盛", True),
     ("您好，我想问一下", True), ("转人工", True),
     ("可以办宽带吗", False), ("你好我的宽带断了", False), ("话费", False), ("5G套餐多少钱", False),
     ("wifi", False), ("对了流量怎么查", False), ("好的那怎么开通国际漫游", False)],
)  # fmt: skip
def test_noise(text, noise):
    assert unanswered.is_noise(text) is noise
