"""Inverse text normalisation for Chinese transcripts: spoken numbers to digits.

Conservative on purpose: a run of numeral characters is rewritten only when it parses as a
well-formed number (strictly decreasing units, digit/unit alternation) or is a digit string of
3+ characters (phone numbers, years, codes). Single numerals and anything starting with a unit
("万一", "千万", "十分") are left alone, so words like 一起, 一下, 统一, 三心二意 survive.
"""

from __future__ import annotations

import re

DIGITS = {"零": 0, "〇": 0, "幺": 1, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5}
DIGITS |= {"六": 6, "七": 7, "八": 8, "九": 9}
SMALL_UNITS = {"十": 10, "百": 100, "千": 1000}
BIG_UNITS = {"万": 10_000, "亿": 100_000_000}
NUMERAL = "零〇幺一二两三四五六七八九十百千万亿"
STRING_DIGITS = "零〇幺一二三四五六七八九"
# After a lone 一, these make a word (一点一滴, 一点一下), not a decimal.
WORD_AFTER_ONE = "起下些样滴致直定般切共同向旦再点会边块遍次天"

_RUN = re.compile(f"[{NUMERAL}]+")
_PERCENT = re.compile(f"百分之([{NUMERAL}]+(?:点[{STRING_DIGITS}]+)?)")
_DECIMAL = re.compile(f"([{NUMERAL}]+)点([{STRING_DIGITS}]+)(?![{WORD_AFTER_ONE}])")


def normalize_numbers(text: str) -> str:
    text = _PERCENT.sub(_percent, text)
    text = _DECIMAL.sub(_decimal, text)
    return _RUN.sub(_run, text)


def _percent(match: re.Match) -> str:
    spoken = match.group(1)
    if spoken == "百":
        return "100%"
    value = _number(spoken)
    return match.group(0) if value is None else f"{value}%"


def _decimal(match: re.Match) -> str:
    whole, fraction = match.group(1), match.group(2)
    integer = _cardinal(whole) if len(whole) > 1 else DIGITS.get(whole)
    if integer is None or whole == "两":
        return match.group(0)
    return f"{integer}.{''.join(str(DIGITS[ch]) for ch in fraction)}"


def _number(spoken: str) -> str | None:
    if "点" in spoken:
        whole, fraction = spoken.split("点", 1)
        integer = _cardinal(whole) if len(whole) > 1 else DIGITS.get(whole)
        if integer is None:
            return None
        return f"{integer}.{''.join(str(DIGITS[ch]) for ch in fraction)}"
    if len(spoken) == 1:
        value = DIGITS.get(spoken)
        return None if value is None else str(value)
    value = _cardinal(spoken)
    return None if value is None else str(value)


def _run(match: re.Match) -> str:
    spoken = match.group(0)
    if all(ch in STRING_DIGITS for ch in spoken):
        if len(spoken) >= 3:
            return "".join(str(DIGITS[ch]) for ch in spoken)
        return spoken
    if len(spoken) < 2:
        return spoken
    value = _cardinal(spoken)
    return spoken if value is None else str(value)


def _cardinal(spoken: str) -> int | None:
    """Parse a well-formed Chinese cardinal ("三百二十五", "两千零六"); None if malformed."""
    if not spoken or (spoken[0] not in DIGITS and spoken[0] != "十"):
        return None
    bigs = [ch for ch in spoken if ch in BIG_UNITS]
    ordered = sorted(bigs, key=lambda ch: BIG_UNITS[ch], reverse=True)  # bigs are its keys
    if bigs != ordered or len(set(bigs)) != len(bigs):
        return None
    return _reassemble(spoken)


def _reassemble(spoken: str) -> int | None:
    total = 0
    current = 0
    for part in re.split("([万亿])", spoken):
        if not part:
            continue
        if part in BIG_UNITS:
            scale = BIG_UNITS[part]
            if current == 0:
                return None
            if scale == 100_000_000:
                total = (total + current) * scale
            else:
                total += current * scale
            current = 0
        else:
            section = _section(part)
            if section is None:
                return None
            current = section
    return total + current


def _section(part: str) -> int | None:
    """A section below 10 000, with strictly decreasing units and digit/unit alternation."""
    value = 0
    digit: int | None = None
    last_unit = 100_000
    zero_seen = False
    for index, ch in enumerate(part):
        if ch in ("零", "〇"):
            if digit is not None or zero_seen:
                return None
            zero_seen = True
            continue
        if ch in DIGITS:
            if digit is not None or ch == "幺":
                return None
            digit = DIGITS[ch]
            if ch == "两" and index + 1 == len(part):
                return None
            continue
        unit = SMALL_UNITS[ch]
        if unit >= last_unit:
            return None
        if digit is None:
            if not (ch == "十" and index == 0):
                return None
            digit = 1
        value += digit * unit
        digit = None
        last_unit = unit
        zero_seen = False
    if digit is not None:
        value += digit
    elif zero_seen:
        return None
    return value
