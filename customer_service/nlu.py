# ruff: noqa: E501 - the rule tables keep one intent per block
"""Intent, sentiment and slot rules over normalised (Mandarin) text. Pure functions.

No instruction-tuned model exists offline, so these are weighted keyword rules written for a
telecom operator's service lines; every caller labels their results as rule-based. Confidence
is the winning intent's share of the matched weight, damped when little matched.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

INTENT_RULES: dict[str, dict[str, float]] = {
    "human_agent": {
        "转人工": 4, "人工客服": 4, "人工服务": 4, "找人工": 4, "真人": 3, "人工": 3,
        "客服人员": 2.5, "接线员": 3, "你们领导": 2.5, "找领导": 2.5, "和人说": 3,
    },
    "complaint": {
        "投诉": 4, "不满意": 3, "太差": 3, "差劲": 3, "乱扣费": 3.5, "乱收费": 3.5,
        "多扣": 2.5, "骗": 2.5, "态度": 2, "曝光": 3, "315": 3, "工信部": 3.5, "没来": 1.5,
        "没有来": 1.5, "欺骗": 3, "赔偿": 2.5, "退钱": 2, "退费": 2, "举报": 3, "受不了": 1.5,
        "没人管": 2, "差": 1,
    },
    "fault_repair": {
        "报修": 4, "上不了网": 3.5, "上不去网": 3.5, "上不到网": 3.5, "断网": 3, "没网": 3, "没有网": 3, "网络不好": 2.5,
        "网速慢": 2.5, "没有信号": 3, "没信号": 3, "信号差": 2.5, "信号不好": 2.5, "掉线": 2.5,
        "打不通": 2.5, "打不出": 2.5, "听不清": 2, "坏了": 2.5, "故障": 3, "红灯": 2.5,
        "光猫": 1.5, "闪": 1, "修": 2, "师傅": 1.5, "断": 1, "无法上网": 3.5, "用不了": 2,
        "出故障": 3,
    },
    "plan_change": {
        "换套餐": 4, "改套餐": 4, "套餐变更": 4, "变更套餐": 4, "换个": 1.5, "换成": 2,
        "降套餐": 4, "升级套餐": 3.5, "套餐改": 3, "改了": 0.5, "便宜点的套餐": 3, "升档": 3,
        "降档": 3, "套餐": 0.8,
    },
    "package_order": {
        "订购": 3, "办理": 1.5, "开通": 2.5, "加油包": 3.5, "流量包": 3, "订": 1.5,
        "叠加包": 3, "买": 1.5, "办张": 2.5, "新卡": 2.5, "副卡": 2, "宽带安装": 2.5,
        "装宽带": 3, "报装": 3, "取消": 2, "退订": 3.5, "会员": 1,
    },
    "suspension": {
        "停机": 4, "复机": 4, "挂失": 4, "恢复": 2, "报停": 4, "销号": 3.5, "丢了": 2.5,
        "丢失": 2.5, "开机": 1.5, "暂停": 2.5, "保号": 3,
    },
    "consultation": {
        "查询": 2, "多少钱": 2, "资费": 2.5, "怎么收费": 2.5, "收费": 1.5, "余额": 2.5,
        "话费": 1.5, "条件": 1.5, "需要": 0.5, "什么时候": 1, "多久": 1, "怎么": 1, "哪里": 1,
        "是否": 1, "可以": 0.5, "吗": 0.5, "发票": 2.5, "账单": 2, "漫游": 2, "携号转网": 2.5,
        "营业厅": 2, "生效": 1.5, "优惠": 1.5, "了解": 1.5, "问一下": 1.5, "请问": 1.5,
        "流量": 0.8, "宽带": 0.5, "有没有": 1, "长途": 1.5,
    },
    "greeting": {"你好": 2, "您好": 2, "在吗": 2, "喂": 1.5, "早上好": 2, "谢谢": 1},
}  # fmt: skip

# Intents a keyword list cannot separate from plain politeness need a minimum of evidence.
MIN_EVIDENCE = 1.5

NEGATIVE: dict[str, float] = {
    "投诉": 0.3, "不满意": 0.6, "太差": 0.6, "差劲": 0.6, "垃圾": 0.9, "骗子": 0.9,
    "骗": 0.5, "气死": 0.9, "烦": 0.4, "烦心": 0.5, "生气": 0.7, "愤怒": 0.9, "受不了": 0.6,
    "什么破": 0.8, "破": 0.3, "滚": 0.9, "搞什么": 0.6, "凭什么": 0.6, "乱扣": 0.4,
    "坑": 0.5, "无语": 0.5, "失望": 0.6, "曝光": 0.7, "工信部": 0.6, "退钱": 0.4,
    "没人管": 0.6, "几次了": 0.5, "第三次": 0.5, "到底": 0.3, "麻烦": 0.2, "慢": 0.1,
    "差": 0.3, "不行": 0.3, "恼火": 0.5, "闹心": 0.5, "膈应": 0.6, "娘希匹": 0.9,
    "册那": 0.9, "扑街": 0.9, "丢": 0.2, "瓜娃子": 0.8, "推板": 0.5,
}  # fmt: skip
POSITIVE: dict[str, float] = {
    "谢谢": 0.5, "感谢": 0.6, "满意": 0.5, "好的": 0.3, "不错": 0.5, "太好了": 0.7,
    "方便": 0.4, "解决了": 0.6, "辛苦": 0.5, "点赞": 0.7, "舒服": 0.4, "杠杠的": 0.6,
    "好评": 0.7, "唔该": 0.5,
}  # fmt: skip
NEGATORS = ("不", "没", "别", "勿", "唔")
INTENSIFIERS = ("非常", "太", "特别", "很", "极其", "真", "超级", "贼", "交关", "邪气")
ANGER_THRESHOLD = -0.6
# Weight at which the score saturates: one mild complaint word is negative, not angry.
SCALE = 1.5


@dataclass
class IntentResult:
    intent: str
    confidence: float
    scores: dict[str, float] = field(default_factory=dict)


@dataclass
class Sentiment:
    label: str  # negative / neutral / positive
    score: float  # -1 .. 1

    @property
    def angry(self) -> bool:
        return self.score <= ANGER_THRESHOLD


def _weighted_hits(text: str, table: dict[str, float]) -> tuple[float, list[tuple[int, str]]]:
    taken = [False] * len(text)
    total, hits = 0.0, []
    for term in sorted(table, key=len, reverse=True):
        start = text.find(term)
        while start != -1:
            end = start + len(term)
            if not any(taken[start:end]):
                taken[start:end] = [True] * len(term)
                total += table[term]
                hits.append((start, term))
            start = text.find(term, end)
    return total, hits


def classify_intent(text: str) -> IntentResult:
    scores = {intent: _weighted_hits(text, rules)[0] for intent, rules in INTENT_RULES.items()}
    total = sum(scores.values())
    best = max(scores, key=lambda k: scores[k])
    if scores[best] < MIN_EVIDENCE:
        return IntentResult("unknown", 0.0, scores)
    # Share of the evidence, damped for thin evidence (3 points of weight reach full strength).
    confidence = (scores[best] / total) * min(1.0, 0.55 + scores[best] / 6)
    return IntentResult(best, round(confidence, 3), scores)


def analyse_sentiment(text: str) -> Sentiment:
    neg, _neg_hits = _weighted_hits(text, NEGATIVE)
    pos, pos_hits = _weighted_hits(text, POSITIVE)
    # "不满意" is already in NEGATIVE; a negator right before a positive word flips it.
    flipped = sum(
        POSITIVE[term] for start, term in pos_hits if start and text[start - 1] in NEGATORS
    )
    pos -= flipped
    neg += flipped
    boost = 1.0 + 0.3 * sum(text.count(w) for w in INTENSIFIERS)
    boost += 0.15 * min(text.count("！") + text.count("!"), 4)
    score = max(-1.0, min(1.0, (pos - neg) * boost / SCALE))
    label = "negative" if score <= -0.2 else "positive" if score >= 0.2 else "neutral"
    return Sentiment(label, round(score, 3))


# --- slots ---------------------------------------------------------------------------------

_PHONE = re.compile(r"(?<!\d)(1[3-9]\d)[-\s]?(\d{4})[-\s]?(\d{4})(?!\d)")
_ADDRESS = re.compile(
    r"([\u4e00-\u9fff]{2,8}(?:省|市)[\u4e00-\u9fff\d]{0,12}(?:区|县)?"
    r"[\u4e00-\u9fff\d]{1,20}(?:路|街|道|巷|大道|村|小区|花园|大厦)"
    r"[\u4e00-\u9fff\d一二三四五六七八九十百零]{0,12}(?:号|栋|室|楼|单元|期)?"
    r"[\u4e00-\u9fff\d一二三四五六七八九十百零]{0,10}(?:号|室|楼)?)"
)
# "两点", "十一点半", "3点15分", "九点一刻": spoken clock times, in digits or in words.
_CLOCK = r"(?:\d{1,2}|[一二两三四五六七八九十]{1,3})点(?:半|[一三]刻|(?:\d{1,2}|[一二三四五六七八九十]{1,3})分?)?"
_DAY = (
    r"(?:今天|明天|后天|今日|明日|下周[一二三四五六日天]|周[一二三四五六日天]|星期[一二三四五六日天]"
    r"|礼拜[一二三四五六日天]|\d{1,2}月\d{1,2}[日号])"
)
_PART = r"(?:上午|下午|晚上|中午|早上|傍晚|凌晨)"
_TIME = re.compile(rf"({_DAY}{_PART}?(?:{_CLOCK})?(?:到{_CLOCK})?|{_PART}{_CLOCK}(?:到{_CLOCK})?)")
_PLAN = re.compile(r"([\u4e00-\u9fffA-Za-z0-9]{1,8}套餐)")
_PLAN_STOP = ("这个套餐", "那个套餐", "的套餐", "个套餐", "换套餐", "改套餐", "降套餐", "新套餐")

SLOT_NAMES = ("phone", "plan", "address", "time")
_ADDRESS_LEAD = re.compile(r"^.*?(?:地址|住址|住在|家在|位于)(?:是|系|为|在)?[:：]?")
# Questions as subscribers type them: 啥/咋, "几号出", "找谁", and the yes-no forms that end in
# 不/没 ("能打电话不"). "好几天了" and "几乎" are statements.
_QUESTION = re.compile(
    r"怎么|多久|多少|什么|如何|哪|吗|？|\?|能不能|是否|啥|咋|找谁|怎样|有没有|是不是|要不要"
    r"|可不可以|能否|真的假的|会不会|呢|(?<!好)几(?!乎)|(?:不|没|没有|么)[。！!.\s]*$"
)
# Asking for it to be done. Naming the business ("报修以后多久能修好", "办理副卡要多少钱") is not:
# such a question is answered, not turned into an order.
_ACTION = ("我要", "帮我", "我想", "给我", "要办", "开通一下", "订一个", "给办")


def is_question(text: str) -> bool:
    return _QUESTION.search(text) is not None


def wants_action(text: str) -> bool:
    return any(a in text for a in _ACTION)


def extract_slots(text: str, known_plans: list[str] | None = None) -> dict[str, str]:
    slots: dict[str, str] = {}
    if m := _PHONE.search(text):
        slots["phone"] = "".join(m.groups())
    if m := _ADDRESS.search(text):
        slots["address"] = _ADDRESS_LEAD.sub("", m.group(1)) or m.group(1)
    if m := _TIME.search(text):
        slots["time"] = m.group(1)
    for plan in sorted(known_plans or [], key=len, reverse=True):
        if plan and plan in text:
            slots["plan"] = plan
            break
    else:
        m = _PLAN.search(text)
        if m and not any(m.group(1).endswith(s) for s in _PLAN_STOP) and len(m.group(1)) > 3:
            slots["plan"] = m.group(1)
    return slots


YES = (
    "是的", "对的", "对", "确认", "没错", "好的", "好", "可以", "嗯", "行", "是", "要得",
    "嗯呐", "系", "啱", "好个", "中", "没问题", "正确",
)  # fmt: skip
NO = ("不对", "不是", "错了", "不要", "取消", "算了", "唔系", "勿是", "不行", "否", "搞错")


def confirmation(text: str) -> bool | None:
    """True for yes, False for no, None when the reply is neither."""
    cleaned = re.sub(r"[\s，。！？,.!?~～]", "", text)
    if not cleaned:
        return None
    if any(cleaned.startswith(n) or n in cleaned for n in NO):
        return False
    if any(cleaned.startswith(y) for y in YES) and len(cleaned) <= 12:
        return True
    return None
