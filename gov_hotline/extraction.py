"""Rule-based extraction of the fields a classifier does not give: district, address, contact,
urgency, emergency line and the one-line demand. Every field carries a confidence and the span
of the text it came from, so the agent sees why it was filled."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from suite.privacy import mask_phone

from .taxonomy import EMERGENCY_LINES

MAX_SUMMARY = 60


@dataclass
class Field:
    value: str
    confidence: float
    start: int = -1
    end: int = -1

    def as_dict(self, text: str) -> dict:
        data = asdict(self)
        data["evidence"] = text[self.start : self.end] if self.start >= 0 else ""
        return data


_MOBILE = re.compile(r"(?<!\d)(?:\+?86[-\s]?)?1[3-9]\d[-\s]?\d{4}[-\s]?\d{4}(?!\d)")
_LANDLINE = re.compile(r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)")
# Common surnames: a name is only taken where a surname starts it, so "我是附近的居民" or
# "我是业主" never becomes a name.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝"
    "龚邵万钱严覃武戴莫孔向汤常温康施牛樊葛邢齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳"
    "甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂苗谷盛曲翁冉骆蓝游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤穆卓古吉缪简项麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁巫寇"
    "桑郎甄仲虞敖巩佘池麻苑迟邝欧阳"
)
TITLES = "先生|女士|小姐|阿姨|大爷|大妈|老师|师傅"
_S = f"[{SURNAMES}]"
# Words that follow "我是" and are not names although they start with a surname character.
_NOT_NAMES = ("商户", "业主", "房东", "租户", "居民", "家长", "学生", "司机", "老人", "车主")
_NAME_END = r"(?=[，,。.！!？?；;、\s]|$|我|住|在|家|电话|手机|号码|联系|想|要|来|反映|投诉|举报)"
_FULL_NAME = re.compile(
    rf"(?:我叫|我的名字是|名字叫|名字是|联系人是?[：:]?|我是|本人是?)({_S}[\u4e00-\u9fa5]{{1,2}}?)"
    + _NAME_END
)
_NAME_WITH_TITLE = re.compile(rf"(?:我是|我叫|本人|联系人是?[：:]?|我姓|姓)({_S})({TITLES})")
_SURNAME_ONLY = re.compile(rf"(?<!百)姓({_S})")
_SURNAME_TITLE = re.compile(rf"({_S})({TITLES})")

# An address: place words, each a few characters ending in a road/street/estate/building word,
# then house, building, unit and room numbers. Characters that never occur inside a Chinese
# address (pronouns, particles, "在"/"住"/"是") end it, so it cannot start with "我是"/"我住在".
# 天, 上, 下, 和 and 都 do occur in place names (天河路, 上梅林, 下沙村, 和平路, 五和大道, 成都路):
# only the everyday words they make ("今天", "晚上", "楼下", "都是", "和我", "物业和街道")
# end an address.
_ADDR_CHAR_BASE = (
    r"[^\s，。！？、,.!?；;：:“”\"'（）()《》我你他她它们的了吗呢吧啊呀嘛在住是有个这那很也还"
    r"就要把被给让说想问请帮跟及去到从对向已经刚才晚午早凌]"
)
_NARRATIVE = (
    r"(?:[今每昨明当前后几两三半整这那白雨天]天|[晚早马楼路身]上|上[午班来去面]|[楼一]下|"
    r"下[午班来去面雨]|和(?:[我你他她]|街道|社区|物业|城管|居委)|都[是不在有没很会要])"
)
_ADDR_CHAR = (
    rf"(?:(?!{_NARRATIVE})(?<![今每昨明当前后几两三半整这那白雨天]天)(?<![晚早马楼路身]上)"
    rf"(?<![楼一]下){_ADDR_CHAR_BASE})"
)
_PLACE_SUFFIX = (
    r"(?:街道|大道|大街|[一二三四五六七八九十\d]+道|路|街|巷|弄|胡同|镇|乡|村|社区|花园|小区|新村|新城|"
    r"商城|城|汇|公寓|家园|苑|山庄|广场|大厦|大楼|中心|市场|商场|公园|地铁站|车站|站|医院|学校|小学|中学|"
    r"幼儿园|宿舍|大院|酒店|宾馆|超市|派出所|工业区|工业园|科技园|产业园|园区|片区|校区|厂区|园)"
)
_NUMBER = (
    r"(?:[0-9０-９]+|[一二三四五六七八九十百零〇两]+|[A-Za-z])"
    r"(?:号楼|号院|号|栋|幢|座|单元|楼|层|室|房|期|区|巷|弄)"
)
# Words that are a place on their own after another one ("芳村" + "大道", "科技园" + "南区").
_WHOLE_PLACE = (
    r"(?:大道|大街|社区|花园|小区|新村|新城|广场|大厦|大楼|地铁站|公园|市场|[东南西北中]区)"
)
# The side or section of a road ("深南大道中", "五和大道南128号") and a room number said without
# 室 after the building ("5栋302").
_ROAD_SIDE = r"(?<=[路道街])[东南西北中](?:段|侧)?"
_BARE_ROOM = r"(?<=[栋幢座元楼])[0-9０-９]{3,4}(?![0-9０-９])"
_UNIT = (
    rf"(?:{_ADDR_CHAR}{{1,12}}?{_PLACE_SUFFIX}|{_WHOLE_PLACE}|{_NUMBER}|{_ROAD_SIDE}|{_BARE_ROOM}|"
    r"[A-Za-z0-9东西南北]{1,2}出口|[东西南北]门|交叉口|路口)"
)
_ADDRESS = re.compile(rf"{_UNIT}(?:的?{_UNIT})*")
# Where an address usually starts when no district names it.
_ADDRESS_CUE = re.compile(r"(?:住在|家住|位于|地址是|地址在|地点是|地点在|地址[：:]|在)")
_ADDRESS_JUNK = re.compile(r"^(?:我是|我住在|我家在|住在|家住|我在|在|到|去|从|于|的)+")
_DEMAND = re.compile(r"(希望|要求|请|麻烦|能不能|可不可以|怎么办|怎么|建议|想问|想咨询|请问)")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_URGENT_WORDS = ("紧急", "马上", "立刻", "危险", "随时", "尽快", "掉下去", "塌", "被困", "冒火花")
_CRITICAL_WORDS = ("漏气", "燃气味", "起火", "着火", "爆炸", "晕倒", "昏迷", "被困电梯", "大出血")


def extract_name(text: str) -> Field:
    """The caller's name as the agent would write it: a full name ("我是李娜" -> 李娜), a
    surname with the title they used ("我姓王，王先生" -> 王先生), or the surname alone ("姓王")."""
    m = _NAME_WITH_TITLE.search(text)
    if m:
        return Field(m.group(1) + m.group(2), 0.8, m.start(1), m.end(2))
    m = _SURNAME_ONLY.search(text)
    if m:
        titled = _SURNAME_TITLE.search(text, m.end(1))
        if titled and titled.group(1) == m.group(1):
            return Field(titled.group(0), 0.8, *titled.span())
        return Field(m.group(1), 0.75, *m.span(1))
    for m in _FULL_NAME.finditer(text):
        if m.group(1) not in _NOT_NAMES and not any(m.group(1).startswith(w) for w in _NOT_NAMES):
            return Field(m.group(1), 0.75, *m.span(1))
    m = _SURNAME_TITLE.search(text)
    if m:
        return Field(m.group(0), 0.6, *m.span())
    return Field("", 0.0)


def extract_contact(text: str) -> tuple[Field, Field]:
    """(name, phone): the phone value is the raw number; callers store it and show it masked."""
    phone = Field("", 0.0)
    match = _MOBILE.search(text) or _LANDLINE.search(text)
    if match:
        digits = re.sub(r"[^\d]", "", match.group(0))
        phone = Field(digits[-11:] if digits.startswith("86") else digits, 0.95, *match.span())
    return extract_name(text), phone


def extract_district(text: str, districts: list[str]) -> Field:
    best = Field("", 0.0)
    for name in districts:
        short = name[:-1] if len(name) > 2 and name[-1] in "区县市" else name
        for candidate, confidence in ((name, 0.95), (short, 0.75)):
            pos = text.find(candidate)
            if pos >= 0 and (best.start < 0 or pos < best.start or confidence > best.confidence):
                best = Field(name, confidence, pos, pos + len(candidate))
                break
    return best


def extract_address(text: str, district: Field) -> Field:
    """The whole address after the district (or after "住在"/"位于"/"在"), house and room
    numbers included; without such a cue, the first place-like run of the text."""
    anchors = [district.end] if district.start >= 0 else []
    anchors += [m.end() for m in _ADDRESS_CUE.finditer(text)]
    for at in anchors:
        after_district = district.start >= 0 and at == district.end
        m = _ADDRESS.match(text, at + (text[at : at + 1] == "的"))
        if m and len(m.group(0)) >= (2 if after_district else 3):
            return Field(m.group(0), 0.8 if after_district else 0.7, *m.span())
    for m in _ADDRESS.finditer(text):
        value = strip_address_junk(m.group(0))
        if len(value) >= 3:
            return Field(value, 0.5, m.end() - len(value), m.end())
    return Field("", 0.0)


def strip_address_junk(value: str) -> str:
    """An address without a leading "我是"/"我住在"/"在" and surrounding punctuation."""
    return _ADDRESS_JUNK.sub("", value.strip().strip("，。,. "))


# Where a spoken address ends and the story goes on: "芳村大道中那栋老楼", "化龙镇有个小工厂",
# "宝岗大道附近", "府佑路那家烧烤档油烟…" (the language model copies these into its address).
_ADDRESS_TAIL = re.compile(
    r"(?:那|这)(?:栋|个|家|边|里|些|条|片|间)|有(?:个|家|一)|边上|旁边|附近|里面|路口|门口"
    r"|对面|一带|周边|楼道|[，,。；;！!？?\s]"
)


def address_head(value: str) -> str:
    """The address a caller said, without what they went on to say about the place."""
    found = _ADDRESS_TAIL.search(value)
    return value[: found.start()] if found else value


def near_span(text: str, value: str, min_share: float = 0.8) -> tuple[int, int] | None:
    """Where `value` (a model's answer) occurs in `text`: exactly, or near it (around its longest
    common run with the text, at least `min_share` of its characters in the text's order: a
    dropped or changed character is tolerated, an invented place is not). The span is the
    text's, so the caller takes the citizen's own words."""
    from difflib import SequenceMatcher

    value = value.strip()
    if not value:
        return None
    at = text.find(value)
    if at >= 0:
        return at, at + len(value)
    longest = SequenceMatcher(None, text, value, autojunk=False).find_longest_match(
        0, len(text), 0, len(value)
    )
    if longest.size < 2:
        return None
    slack = 3
    lo = max(0, longest.a - longest.b - slack)
    hi = min(len(text), longest.a + len(value) - longest.b + slack)
    blocks = [
        m
        for m in SequenceMatcher(None, text[lo:hi], value, autojunk=False).get_matching_blocks()
        if m.size
    ]
    if sum(m.size for m in blocks) < min_share * len(value):
        return None
    return lo + blocks[0].a, lo + blocks[-1].a + blocks[-1].size


def extract_urgency(text: str) -> Field:
    """The urgency level; its span is the word that raised it (the reason shown to the agent)."""
    for level, words, confidence in (
        ("critical", _CRITICAL_WORDS, 0.85),
        ("urgent", _URGENT_WORDS, 0.7),
    ):
        for word in words:
            pos = text.find(word)
            if pos >= 0:
                return Field(level, confidence, pos, pos + len(word))
    return Field("normal", 0.6)


def extract_emergency(text: str) -> Field:
    for line, words in EMERGENCY_LINES.items():
        for word in words:
            pos = text.find(word)
            if pos >= 0:
                return Field(line, 0.7, pos, pos + len(word))
    return Field("", 0.0)


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    return [(a, b) for a, b in spans if text[a:b].strip()]


def _clause_spans(text: str, start: int, end: int) -> list[tuple[int, int]]:
    spans, s = [], start
    for i in range(start, end):
        if text[i] in "，,":
            spans.append((s, i))
            s = i + 1
    spans.append((s, end))
    return [(a, b) for a, b in spans if text[a:b].strip()]


_FILLER = re.compile(r"^(?:喂，?|你好，?|您好，?|麻烦记录一下，?|我是附近的居民，?)+")


_NAME_CLAUSE = re.compile(r"^(?:我|免贵|本人)?(?:姓|叫|是|联系人)[\u4e00-\u9fa5]{0,4}$")


def extract_summary(text: str) -> Field:
    """One line that states the problem and what the citizen asks for: the clauses before the
    first demand ("希望…", "请…", "请问…") that fit, then the demand's own sentence; without a
    demand, the first clauses. Greetings, names and contact details are left out; personal data
    is masked."""
    from suite.privacy import mask_text

    clauses: list[tuple[int, int, int]] = []  # start, end, sentence index
    for index, (s_start, s_end) in enumerate(_sentences(text)):
        for a, b in _clause_spans(text, s_start, s_end):
            part = _FILLER.sub("", text[a:b].strip())
            if (
                not part
                or _MOBILE.search(part)
                or "电话" in part
                or _NAME_CLAUSE.match(part)
                or part in ("我是附近的居民", "麻烦记录一下")
            ):
                continue
            clauses.append((b - len(part), b, index))
    if not clauses:
        return Field("", 0.0)
    demand = next((i for i, (a, b, _s) in enumerate(clauses) if _DEMAND.search(text[a:b])), None)
    if demand is None:
        problem, asked, confidence = clauses, [], 0.5
    else:
        problem = clauses[:demand]
        asked = [c for c in clauses[demand:] if c[2] == clauses[demand][2]]
        confidence = 0.75
    # Too long: the problem's later clauses go first (its first one names it), then the
    # demand's tail.
    while len("，".join(text[a:b] for a, b, _s in problem + asked)) > MAX_SUMMARY:
        if len(problem) > 1:
            problem.pop()
        elif len(asked) > 1:
            asked.pop()
        else:
            break
    chosen = problem + asked
    value = "，".join(text[a:b] for a, b, _s in chosen)
    value = mask_text(value)[:MAX_SUMMARY]
    return Field(value, confidence, chosen[0][0], chosen[-1][1])


def masked_contact(phone: str) -> str:
    return mask_phone(phone)


MAX_TEXT = 5000
MIN_WORD_CHARS = 4


def clean_text(text: str) -> str:
    """The citizen's text, or a ValidationError a person can act on."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The text is empty: type or transcribe what was said.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {
                "text": _("The text has %(n)d characters; the limit is %(limit)d.")
                % {"n": len(text), "limit": MAX_TEXT}
            }
        )
    words = sum(1 for ch in text if ch.isalpha() or "\u4e00" <= ch <= "\u9fff")
    if words < MIN_WORD_CHARS:
        raise ValidationError(
            {"text": _("The text has no words to work with; describe the request in a sentence.")}
        )
    return text
