"""Reading a slot the rules missed from the customer's everyday words, with the language model.

The rules (`customer_service.nlu.extract_slots`) stay the first pass: they are instant and
exact for numbers, formal addresses and plan names said in full. When the dialogue has just
asked for a slot and the rules found nothing in the answer ("10GB的那个", "下礼拜一下班以后",
"就我现在住的幸福小区3栋"), the model reads the answer in the light of the question asked and
the offers the customer can choose from, in a JSON schema.

A model may invent; the dialogue cannot let it put words in the customer's mouth, so a value
is kept only when it is grounded: a plan from the offered list or the customer's own words,
an address or time made of what the customer said. The customer then confirms every slot
before a ticket is filed, which is the last guard.
"""

from __future__ import annotations

import re

from suite.ai import gateway
from suite.ai.types import ChatMessage

# Slots a model can read from everyday words. The phone number is left to the rules: the
# gateway masks numbers before any prompt, and a number is either said or not.
READABLE = ("plan", "address", "time")
MAX_VALUE = 40
READ_TOKENS = 60

_WHAT = {
    "plan": "客户想要的套餐或业务（从“可选”中选最符合的一项照抄；都不符合时照抄客户的原话）",
    "address": "客户说的地址（照抄客户的原话，不补充）",
    "time": "客户方便的时间（照抄客户的原话，如“明天下午两点”）",
}
_SYSTEM = (
    "你是电信运营商在线客服的信息提取模块。客服刚才问客户：{question}\n"
    "请从客户的回答中提取{what}，填在“值”里；客户没有回答这个问题时“找到”填false，“值”填空字符串。"
)
_TOKEN = re.compile(r"[A-Za-z]+|\d+(?:\.\d+)?")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_SCHEMA = {
    "type": "object",
    # "找到" is not trusted (the 1.5B answers false beside the right value) but stays: with the
    # string alone the 1.5B writes only whitespace after "{". Grounding is the check that counts.
    "properties": {
        "找到": {"type": "boolean"},
        "值": {"type": "string", "maxLength": MAX_VALUE},
    },
    "required": ["找到", "值"],
}


def read_slot(
    caller: gateway.Caller,
    *,
    slot: str,
    question: str,
    answer: str,
    offers: list[str],
) -> tuple[str, str] | None:
    """(value, model name) for `slot` from the customer's `answer`, or None when the tenant
    has no language model, the model found nothing, or what it found is not grounded."""
    if slot not in READABLE:
        return None
    system = _SYSTEM.format(question=question, what=_WHAT[slot])
    if slot == "plan" and offers:
        system += "\n可选：" + "；".join(offers)
    reply = gateway.chat_json(
        caller,
        [ChatMessage("system", system), ChatMessage("user", answer)],
        _SCHEMA,
        name="slot",
        max_tokens=READ_TOKENS,
    )
    if reply.data is None:
        return None
    value = str(reply.data.get("值") or "").strip(" 。，,.")
    if slot == "plan":
        value = _tier(value, answer, offers)
    if not value or not grounded(slot, value, answer, offers):
        return None
    return value, reply.model


def grounded(slot: str, value: str, answer: str, offers: list[str]) -> bool:
    """Whether `value` is what the customer said, or (for a plan) the offer they named by
    what sets it apart: "10GB的那个" names "夜间流量包（10GB）", "夜间那个" names "夜间流量包"."""
    if len(value) > MAX_VALUE:
        return False
    compact = re.sub(r"\s", "", answer)
    if re.sub(r"\s", "", value) in compact:
        return True
    if slot != "plan" or value not in offers:
        return False
    said = _tokens(answer)
    if said:
        return said <= _tokens(value)
    bigrams = {compact[i : i + 2] for i in range(len(compact) - 1)}
    return any(
        value[i : i + 2] in bigrams and _CJK.fullmatch(value[i]) for i in range(len(value) - 1)
    )


def _tier(value: str, answer: str, offers: list[str]) -> str:
    """The model named the offer ("流量加油包"), the customer its tier ("10块钱1个G的"): the
    one tier of that offer that has every number the customer said."""
    said = _tokens(answer)
    tiers = [o for o in offers if o.split(" ")[0] == value and said and said <= _tokens(o)]
    return tiers[0] if len(tiers) == 1 else value


def _tokens(text: str) -> set[str]:
    # Spoken "1个G" is written "1GB".
    units = {"G": "GB", "M": "MB", "T": "TB"}
    return {units.get(t.upper(), t.upper()) for t in _TOKEN.findall(text)}
