"""Rule-based extraction of the fields a classifier does not give: district, address, contact,
urgency, emergency line and the one-line demand. Every field carries a confidence and the span
of the text it came from, so the agent sees why it was filled."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

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
_NAME = re.compile(
    r"(?:我姓|我叫|联系人)([\u4e00-\u9fa5]{1,3}?)(?:先生|女士|小姐|，|,|。|\s|电话|$)"
)
_SURNAME_TITLE = re.compile(r"([\u4e00-\u9fa5])(先生|女士|小姐|阿姨|大爷)")
# A place: up to 14 characters ending in a road/street/estate word, optionally a number.
_ADDRESS = re.compile(
    r"[\u4e00-\u9fa5A-Za-z0-9]{1,14}?"
    r"(?:大道|路|街|巷|镇|村|花园|小区|新城|广场|大厦|市场|公园|中心|站|医院|学校)"
    r"(?:[东西南北中]路)?(?:\d+号)?"
    r"(?:[\u4e00-\u9fa5]{0,6}?(?:花园|小区|新城|大厦|广场))?"
)
_DEMAND = re.compile(r"(希望|要求|请|麻烦|能不能|可不可以|怎么办|怎么|建议|想问|想咨询|请问)")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")
_URGENT_WORDS = ("紧急", "马上", "立刻", "危险", "随时", "尽快", "掉下去", "塌", "被困", "冒火花")
_CRITICAL_WORDS = ("漏气", "燃气味", "起火", "着火", "爆炸", "晕倒", "昏迷", "被困电梯", "大出血")


def extract_contact(text: str) -> tuple[Field, Field]:
    """(name, phone): the phone value is the raw number; callers store it and show it masked."""
    phone = Field("", 0.0)
    match = _MOBILE.search(text) or _LANDLINE.search(text)
    if match:
        digits = re.sub(r"[^\d]", "", match.group(0))
        phone = Field(digits[-11:] if digits.startswith("86") else digits, 0.95, *match.span())
    name = Field("", 0.0)
    m = _NAME.search(text)
    if m and m.group(1):
        name = Field(m.group(1), 0.8, m.start(1), m.end(1))
    else:
        m = _SURNAME_TITLE.search(text)
        if m:
            name = Field(m.group(0), 0.6, *m.span())
    return name, phone


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
    start = district.end if district.start >= 0 else 0
    for source_start in (start, 0):
        m = _ADDRESS.search(text, source_start)
        if m:
            value = m.group(0).lstrip("在到去从于")
            if len(value) >= 3:
                conf = 0.8 if district.start >= 0 and m.start() == district.end else 0.6
                return Field(value, conf, m.end() - len(value), m.end())
    return Field("", 0.0)


def extract_urgency(text: str) -> Field:
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


def extract_summary(text: str) -> Field:
    """The citizen's demand in one line: the sentence that asks for something, else the first
    sentence; personal data masked; long sentences cut at a clause boundary."""
    from suite.privacy import mask_text

    sentences = _sentences(text)
    if not sentences:
        return Field("", 0.0)
    chosen, confidence = sentences[0], 0.5
    for span in sentences:
        if _DEMAND.search(text[span[0] : span[1]]):
            chosen, confidence = span, 0.75
            break
    start, end = chosen
    clauses = _clause_spans(text, start, end)
    # Drop clauses that only carry contact details.
    clauses = [
        c for c in clauses if not (_MOBILE.search(text[c[0] : c[1]]) or "电话" in text[c[0] : c[1]])
    ]
    if not clauses:
        return Field("", 0.0)
    start = clauses[0][0]
    end = clauses[-1][1]
    while end - start > MAX_SUMMARY and len(clauses) > 1:
        clauses.pop(-1 if _DEMAND.search(text[clauses[0][0] : clauses[0][1]]) else 0)
        start, end = clauses[0][0], clauses[-1][1]
    value = _FILLER.sub("", text[start:end].strip())
    value = mask_text(value)[:MAX_SUMMARY]
    return Field(value, confidence, start, end)


def masked_contact(phone: str) -> str:
    return mask_phone(phone)
