"""The questions the assistant could not answer, grouped by meaning for the supervisor's report.

"怎么查剩余流量" and "我的流量还有多少怎么看" are one gap in the knowledge base, not two: the
report groups them by the embedding model's similarity and counts them together. What a
microphone heard as noise (a filler word, Whisper's subtitle credits on silence) is not a
question and is left out. Phone and ID numbers are masked before anything is shown.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
from django.core.cache import cache

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from .models import Turn, TurnRole

logger = logging.getLogger(__name__)

# multilingual-e5-small on the demo questions: rewordings of one question score 0.96-0.99;
# different questions, even about the same article, score below 0.93 (99.9th percentile of
# 4,912 pairs in bench/data/kb_questions.json).
SAME_QUESTION = 0.94
MOST_DISTINCT = 200  # the most frequent texts are grouped; a long tail adds cost, not insight
VARIANTS_SHOWN = 4
CACHE_S = 600

_FILLER = re.compile(r"那个|这个|就是|然后|[嗯啊哦噢呃额喂哎唉嘿哈呀吧嘛诶欸呵嗨]|[\s\W_]")
# What Whisper writes for silence or music: the credits of the subtitle files it learnt from.
_ASR_CREDITS = (
    "请不吝点赞", "点赞 订阅", "订阅 转发", "字幕由", "字幕by", "谢谢观看", "明镜与点点",
    "字幕志愿者", "感谢观看", "谢谢收看", "感谢收看", "中文字幕", "独播剧场", "Amara.org",
)  # fmt: skip
# Whole utterances that are talk around a question, not one: greetings, acknowledgements,
# "can you hear me". Only an utterance made of nothing else is noise ("可以办宽带吗" is not).
_FILLER_PHRASES = (
    "你好", "您好", "喂", "在吗", "在不在", "有人吗", "人呢", "听得到吗", "听得见吗", "能听到吗",
    "听到了吗", "听不清", "听不到", "听不见", "信号不好", "好的", "好", "行", "对", "对的",
    "是", "是的", "嗯", "哦", "啊", "可以", "没事", "没有", "没了", "不用了", "不用", "知道了",
    "明白", "明白了", "谢谢", "谢谢你", "多谢", "再见", "拜拜", "等一下", "稍等", "稍等一下",
    "等等", "那个", "这个", "就是", "然后", "什么", "啥", "ok", "okay", "hello", "hi", "yes",
    "no", "喂你好", "您好您好", "请问", "请问一下", "问一下", "我想问", "我想问一下", "咨询一下",
    "我想咨询一下", "转人工", "人工", "人工服务", "人工客服",
)  # fmt: skip
_FILLER_ONLY = re.compile(
    "(?:" + "|".join(sorted(map(re.escape, _FILLER_PHRASES), key=len, reverse=True)) + ")+",
    re.IGNORECASE,
)
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"[a-z]{3,}|\d{3,}", re.IGNORECASE)
_MIN_CHARS = 2  # "宽带", "话费": a terse question is still one


@dataclass
class Group:
    question: str
    count: int = 0
    variants: list[str] = field(default_factory=list)
    vector: np.ndarray | None = None


def is_noise(text: str) -> bool:
    """What speech recognition heard that is not a question: Whisper's subtitle credits, an
    utterance of filler and greetings only ("喂喂", "嗯好的", "你好在吗"), a fragment with fewer
    than _MIN_CHARS meaningful Chinese characters once the filler is out ("啊对", "好"), one
    sound repeated ("啦啦啦啦"). A question in Latin letters or digits needs a real word
    ("WiFi连不上" and "5G套餐" count by their Chinese; "wifi" alone by its word)."""
    if any(credit.lower() in text.lower() for credit in _ASR_CREDITS):
        return True
    bare = re.sub(r"[\s\W_]", "", text)
    if not bare or _FILLER_ONLY.fullmatch(bare):
        return True
    core = _FILLER.sub("", text)
    if len(set(core.lower())) < _MIN_CHARS:
        return True
    return len(_HAN.findall(core)) < _MIN_CHARS and not _WORD.search(core)


def top_unanswered(tenant: Tenant, *, since: datetime, limit: int) -> dict:
    """{"grouped_by": "meaning" | "text", "groups": [{"question", "count", "variants",
    "conversation"}]}: "conversation" is the id of the latest conversation the group's wording
    was asked in, for the supervisor to open.

    Grouping by meaning needs the embedding model; when it is unavailable the report says it
    counted identical texts only, rather than passing that off as the same thing."""
    turns = Turn.objects.for_tenant(tenant).filter(
        role=TurnRole.CUSTOMER, answered=False, created_at__gte=since
    )
    latest = turns.order_by("-pk").values_list("pk", flat=True).first()
    # v2: groups carry "conversation"; entries cached before it was added are not reused.
    key = f"cs-unanswered:v2:{tenant.pk}:{since.date()}:{latest}:{limit}"
    if (cached := cache.get(key)) is not None:
        return cached
    counts: Counter[str] = Counter()
    asked_in: dict[str, int] = {}  # each wording -> the latest conversation it was asked in
    for text, conversation_id in turns.order_by("pk").values_list(
        "normalized_text", "conversation_id"
    ):
        if text and not is_noise(text):
            question = mask_text(text.strip())
            counts[question] += 1
            asked_in[question] = conversation_id
    ranked = counts.most_common(MOST_DISTINCT)
    grouped_by = "meaning"
    try:
        groups = _by_meaning(tenant, ranked)
    except AiError as exc:
        logger.warning("unanswered questions: grouped by text only (%s)", exc)
        grouped_by = "text"
        groups = [Group(question=q, count=n) for q, n in ranked]
    result = {
        "grouped_by": grouped_by,
        "groups": [
            {
                "question": g.question,
                "count": g.count,
                "variants": g.variants[:VARIANTS_SHOWN],
                "conversation": asked_in.get(g.question),
            }
            for g in sorted(groups, key=lambda g: -g.count)[:limit]
        ],
    }
    cache.set(key, result, CACHE_S)
    return result


def _by_meaning(tenant: Tenant, ranked: list[tuple[str, int]]) -> list[Group]:
    if not ranked:
        return []
    served = gateway.embed(gateway.Caller(tenant=tenant), [q for q, _n in ranked], kind="query")
    groups: list[Group] = []
    # Most frequent first, so each group is named by its most common wording.
    for (question, n), vector in zip(ranked, served.value.vectors, strict=True):
        best = max(groups, key=lambda g: float(g.vector @ vector), default=None)
        if best is not None and float(best.vector @ vector) >= SAME_QUESTION:
            best.count += n
            best.variants.append(question)
        else:
            groups.append(Group(question=question, count=n, vector=vector))
    return groups
