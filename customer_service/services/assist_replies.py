"""Suggested replies for a human agent, written by the language model from the conversation and
the knowledge hits (agent assist's second pass; the templates of `customer_service.assist` are
the instant first pass and the labelled fallback).

A small model may invent a price or a data allowance, and an agent reading a suggestion aloud
would promise it. So a reply is kept only when every number in it appears in the knowledge
passages or the conversation the model was shown; it cites the articles it drew on.

Reads and one model call, no writes: callers run it outside any transaction (the gateway
refuses otherwise) and, on a live call, off the event loop.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.ai.labelling import LABEL_TEXT
from suite.ai.types import ChatMessage, Passage
from suite.privacy import mask_text
from suite.tenancy.models import Tenant

from ..models import ArticleStatus, KbArticle, TurnRole

logger = logging.getLogger(__name__)

MAX_REPLIES = 3
MAX_REPLY_CHARS = 120
# Three short replies in JSON; the 1.5B writes about 1.3 tokens per Chinese character.
REPLY_TOKENS = 240
# How many turns of the conversation the model reads, and how much of each.
CONTEXT_TURNS = 6
TURN_CHARS = 300
PASSAGES = 3

SYSTEM = (
    "你是电信运营商人工客服的坐席助手。请根据对话和资料，替坐席拟写1到3条接下来可以对客户说的话，"
    "每条一两句，口语、礼貌、直接回应客户最后说的话。"
    "只使用资料和对话里的信息：价格、流量、时长、号码等数字必须照抄资料或对话，不能编造。"
    "在“资料”里填写这条回复用到的资料编号，没有用到资料时填空列表。"
)
SPEAKERS: dict[str, str] = {
    TurnRole.CUSTOMER: "客户",
    TurnRole.AGENT: "坐席",
    TurnRole.BOT: "机器人客服",
}

# Arabic numbers, and Chinese numerals that count something ("三十元", "两个月"): "一下" or
# "一起" are words, not numbers, so a bare Chinese numeral is not read as one.
_ARABIC = re.compile(r"\d+(?:\.\d+)?")
_CN_DIGITS = "零〇一二两三四五六七八九"
_CN_NUMBER = re.compile(
    rf"([{_CN_DIGITS}十百千万]+)\s*(?=元|块|角|毛|[GMT]B?|兆|个月|月|天|日|小时|分钟|秒|年|次|个|张|条|台|倍|折|%|％)"
)

_ITEM = re.compile(r"\{[^{}\[\]]*(?:\[[^\[\]]*\][^{}\[\]]*)?\}")


@dataclass
class SuggestedReply:
    text: str
    citations: list[int] = field(default_factory=list)
    generated: bool = False
    model: str = ""

    def as_dict(self) -> dict:
        return {
            "text": self.text,
            "citations": self.citations,
            "generated": self.generated,
            "model": self.model,
            "label": reply_label(generated=self.generated, model=self.model),
        }


def reply_label(*, generated: bool, model: str = "") -> str:
    """What the desk shows beside a suggestion: who wrote it."""
    if generated:
        return f"{LABEL_TEXT} · {model}" if model else LABEL_TEXT
    return str(_("Template suggestion"))


def template_replies(suggestions: list[str], hits: list[dict]) -> list[dict]:
    """The rule/template suggestions in the labelled per-suggestion shape; a suggestion that is
    a knowledge snippet cites its article."""
    snippets = {h["snippet"]: h["id"] for h in hits}
    return [
        SuggestedReply(text=text, citations=[snippets[text]] if text in snippets else []).as_dict()
        for text in suggestions
    ]


@dataclass
class Generated:
    replies: list[SuggestedReply]
    model: str
    # Replies the model wrote that failed the grounding check.
    dropped: int = 0

    def as_dict(self) -> dict:
        return {
            "replies": [r.as_dict() for r in self.replies],
            "generated": True,
            "model": self.model,
            "label": reply_label(generated=True, model=self.model),
            "dropped": self.dropped,
        }


def conversation_lines(turns) -> list[tuple[str, str]]:
    """(role, text) of a conversation's turns, as the model will read them (system turns and
    empty ones left out)."""
    return [
        (t.role, t.normalized_text or t.text)
        for t in turns
        if t.role in SPEAKERS and (t.normalized_text or t.text).strip()
    ]


def replies_generate(
    *,
    tenant: Tenant,
    turns: list[tuple[str, str]],
    hit_ids: list[int],
    user=None,
) -> Generated | None:
    """Up to three grounded replies the agent could say next, or None when the tenant has no
    language model, the model is unavailable (its embedded fallback answered), refused, or
    wrote nothing usable. `turns` are (role, text), oldest first, ending with the customer's
    latest; `hit_ids` the knowledge articles found for it (read again here, within `tenant`
    only, so an id from elsewhere is simply not there)."""
    turns = [(role, text) for role, text in turns if role in SPEAKERS and text.strip()]
    if not turns or not gateway.language_model_configured(tenant):
        return None
    articles = (
        KbArticle.objects.for_tenant(tenant)
        .filter(status=ArticleStatus.PUBLISHED)
        .in_bulk(list(dict.fromkeys(hit_ids)))
    )
    ordered = [articles[i] for i in dict.fromkeys(hit_ids) if i in articles][:PASSAGES]
    passages = [
        Passage(id=str(a.pk), text=f"{a.title}：{a.body}", source=f"KB-{a.pk} {a.title}")
        for a in ordered
    ]
    # Masked here as well as by the gateway: the grounding check compares against what the
    # model was shown.
    dialogue = "\n".join(
        f"{SPEAKERS[role]}：{mask_text(text.strip())[:TURN_CHARS]}"
        for role, text in turns[-CONTEXT_TURNS:]
    )
    try:
        served = gateway.chat(
            gateway.Caller(tenant=tenant, user=user),
            [
                ChatMessage("system", SYSTEM),
                ChatMessage("user", "对话：\n" + dialogue + "\n\n请拟写坐席接下来可以说的话。"),
            ],
            passages=passages or None,
            max_tokens=REPLY_TOKENS,
            temperature=0.2,
            response_format=_schema(len(passages)),
        )
    except AiError as exc:
        logger.warning("suggested replies: the model failed: %s", exc)
        return None
    if not served.info.generative:
        return None
    written = _parse(served.value.text, len(passages))
    sources = dialogue + "\n" + "\n".join(mask_text(p.text) for p in passages)
    kept = [
        SuggestedReply(
            text=text,
            citations=[ordered[n - 1].pk for n in cited],
            generated=True,
            model=served.info.model,
        )
        for text, cited in written
        if grounded(text, sources)
    ]
    if not kept:
        return None
    return Generated(replies=kept, model=served.info.model, dropped=len(written) - len(kept))


def grounded(reply: str, sources: str) -> bool:
    """Whether every number in `reply` also appears in `sources` (passages and conversation)."""
    return numbers(reply) <= numbers(sources)


def numbers(text: str) -> set[str]:
    found = {_canonical(n) for n in _ARABIC.findall(text)}
    found |= {str(v) for m in _CN_NUMBER.findall(text) if (v := _chinese_number(m)) is not None}
    return found


def _canonical(number: str) -> str:
    # "30.0" and "30" are the same price; "030" is a code and stays as written.
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number


def _chinese_number(text: str) -> int | None:
    """三十 -> 30, 两千五百 -> 2500, 一二八 (digit by digit) -> 128; None when unreadable."""
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"〇": 0, "两": 2}
    units = {"十": 10, "百": 100, "千": 1000}
    if all(c in digits for c in text):
        return int("".join(str(digits[c]) for c in text))
    total = section = current = 0
    for char in text:
        if char in digits:
            current = digits[char]
        elif char in units:
            section += (current or 1) * units[char]
            current = 0
        elif char == "万":
            total += (section + current) * 10000
            section = current = 0
        else:
            return None
    return total + section + current


def _schema(count: int) -> dict:
    item: dict = {
        "type": "object",
        # No maxLength: llama.cpp turns it into a grammar of nested optional characters that
        # slows every token; replies are cut to MAX_REPLY_CHARS when read.
        "properties": {"回复": {"type": "string"}},
        "required": ["回复"],
    }
    if count:
        item["properties"]["资料"] = {
            "type": "array",
            "items": {"type": "integer", "enum": list(range(1, count + 1))},
            "maxItems": count,
        }
        item["required"].append("资料")
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "suggested_replies",
            "schema": {
                "type": "object",
                "properties": {
                    "建议": {
                        "type": "array",
                        "items": item,
                        "minItems": 1,
                        "maxItems": MAX_REPLIES,
                    }
                },
                "required": ["建议"],
            },
        },
    }


def _complete_items(text: str) -> list[dict]:
    """The whole replies of an answer cut off by the token limit (the last one is lost)."""
    items = []
    for chunk in _ITEM.findall(text):
        try:
            items.append(json.loads(chunk))
        except ValueError:
            continue
    return items


def _parse(text: str, count: int) -> list[tuple[str, list[int]]]:
    """(reply, cited passage numbers) from the model's JSON; malformed entries are skipped."""
    try:
        data = json.loads(text)
        items = data["建议"] if isinstance(data, dict) else []
    except (ValueError, KeyError, TypeError):
        items = _complete_items(text)
    out: list[tuple[str, list[int]]] = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        reply = str(item.get("回复") or "").strip()[:MAX_REPLY_CHARS]
        raw = item.get("资料")
        cited = (
            [n for n in raw if isinstance(n, int) and 1 <= n <= count]
            if isinstance(raw, list)
            else []
        )
        if reply and reply not in (r for r, _c in out):
            out.append((reply, list(dict.fromkeys(cited))))
    return out[:MAX_REPLIES]
