"""Mandarin text normalisation before phonemes: digits, dates, prices and Latin letters written
out the way a Chinese customer-service agent reads them aloud.

The G2P reads every digit run as a quantity ("10086" as 一万零八十六) and passes Latin letters
through untouched, which Kokoro then mispronounces. So, before the G2P sees the text:
- service and phone numbers, codes and years are read digit by digit, 1 as 幺 in numbers people
  dial or type ("10086" -> 幺零零八六); a masked number reads its visible digits and says where
  the hidden ones are ("138****5678" -> 幺三八，尾号五六七八);
- quantities, prices, percentages, decimals, dates and clock times are read as numbers
  ("169元" -> 一百六十九元, "80%" -> 百分之八十, "14:30" -> 十四点三十分), 2 before a measure word
  as 两;
- letters are spelled with their usual Chinese readings ("KTGJMY", "5G", "Wi-Fi"), data sizes as
  agents say them ("10GB" -> 十个G).
"""

from __future__ import annotations

import re

DIGITS = "零一二三四五六七八九"
# Numbers people dial or type: 1 is 幺 so it cannot be mistaken for 7.
DIAL_DIGITS = "零幺二三四五六七八九"
LETTERS = {
    "A": "诶",
    "B": "比",
    "C": "西",
    "D": "迪",
    "E": "伊",
    "F": "艾弗",
    "G": "吉",
    "H": "艾尺",
    "I": "艾",
    "J": "杰",
    "K": "开",
    "L": "艾勒",
    "M": "艾姆",
    "N": "恩",
    "O": "欧",
    "P": "批",
    "Q": "丘",
    "R": "阿尔",
    "S": "艾斯",
    "T": "踢",
    "U": "优",
    "V": "维",
    "W": "达布留",
    "X": "艾克斯",
    "Y": "歪",
    "Z": "贼德",
}
# Words read as words, not spelled.
WORDS = {"wifi": "歪发", "wi-fi": "歪发", "app": "艾普", "ok": "欧开", "email": "伊妹儿"}
# A digit run after one of these is something to dial or type, read digit by digit.
_DIAL_CUES = (
    "拨打|致电|拨|打|热线|号码|电话|手机|短信|发送|发到|回复|编号|单号|工单号|尾号|账号|"
    "密码|验证码|客服|服务号"
)
# A number before one of these is a quantity.
_UNITS = (
    "元|块|角|分钟|分|秒|小时|天|日|周|个|张|次|位|条|台|部|种|项|份|户|人|年|月|号|万|亿|千|"
    "百|兆|倍|折|岁|公里|米|斤|度|%|G|M|T|K"
)
# 2 before these is 两 (两张, 两个小时), never before a date (二月, 二号).
_LIANG_BEFORE = "个|张|次|位|条|台|部|种|项|份|户|人|小时|天|周|年|倍|岁|公里|斤|万|千|百"

_MASKED = re.compile(r"(\d{0,6})[*＊]{3,}(\d{1,6})")
_ISO_DATE = re.compile(r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?!\d)")
_YEAR = re.compile(r"(\d{4})(?=年)")
_CLOCK = re.compile(r"(?<![\d.])([01]?\d|2[0-3])[:：]([0-5]\d)(?!\d)")
_PERCENT = re.compile(r"(\d+(?:\.\d+)?)\s*[%％]")
_PRICE_SIGN = re.compile(r"[¥￥]\s*(\d+(?:\.\d+)?)")
_NETWORK = re.compile(r"(?<![\d.])([2-6])G(?![A-Za-z])")
_DATA_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*(GB|G|TB|T|MB|M)(?:bps)?(?![A-Za-z])", re.I)
_DIAL = re.compile(rf"({_DIAL_CUES})(\s*(?:是|为|:|：)?\s*)(\d{{3,}})")
_LONG_DIGITS = re.compile(rf"(?<![\d.])(\d{{5,}})(?![\d.]|\s*(?:{_UNITS}))")
_DECIMAL = re.compile(r"(\d+)\.(\d+)")
_INTEGER = re.compile(r"\d+")
_WORD = re.compile(r"[A-Za-z]+(?:-[A-Za-z]+)*")


def dial_digits(digits: str) -> str:
    return "".join(DIAL_DIGITS[int(d)] for d in digits)


def plain_digits(digits: str) -> str:
    return "".join(DIGITS[int(d)] for d in digits)


def _group(value: int) -> str:
    out, zero = "", False
    for size, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = value // size % 10
        if digit:
            out += ("零" if zero and out else "") + DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def cardinal(value: int) -> str:
    """A whole number read as a quantity: 10 -> 十, 1005 -> 一千零五, 100010 -> 十万零一十."""
    if value == 0:
        return "零"
    groups = []
    while value:
        groups.append(value % 10000)
        value //= 10000
    out, pending_zero = "", False
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            pending_zero = bool(out)
            continue
        if out and (pending_zero or group < 1000):
            out += "零"
        out += _group(group) + ("", "万", "亿", "万亿")[index]
        pending_zero = False
    return out[1:] if out.startswith("一十") else out


def number(text: str) -> str:
    """A quantity with an optional decimal part: "8.5" -> 八点五."""
    whole, _, fraction = text.partition(".")
    spoken = cardinal(int(whole))
    return spoken + ("点" + plain_digits(fraction) if fraction else "")


def spell(word: str) -> str:
    known = WORDS.get(word.lower())
    if known:
        return known
    if len(word) >= 5 and word.islower():
        return word  # an English word: the G2P's own English path reads it
    return "".join(LETTERS.get(ch.upper(), ch) for ch in word if ch.isalpha())


def _masked(match: re.Match) -> str:
    head, tail = match.group(1), match.group(2)
    return (dial_digits(head) + "，" if head else "") + "尾号" + dial_digits(tail)


def _data_size(match: re.Match) -> str:
    amount, unit = match.group(1), match.group(2).upper()
    if unit in ("MB", "M"):
        return number(amount) + "兆"
    return number(amount) + "个" + LETTERS[unit[0]]


def _clock(match: re.Match) -> str:
    hour, minute = cardinal(int(match.group(1))), match.group(2)
    if minute == "00":
        return hour + "点整"
    return hour + "点" + ("零" if minute[0] == "0" else "") + cardinal(int(minute)) + "分"


def _integer(match: re.Match) -> str:
    digits = match.group(0)
    following = match.string[match.end() :]
    if digits == "2" and re.match(rf"(?:{_LIANG_BEFORE})", following):
        return "两"
    if len(digits) > 1 and digits.startswith("0"):
        return plain_digits(digits)  # 08 in a code or a time read as digits
    return cardinal(int(digits))


def normalize(text: str) -> str:
    text = _MASKED.sub(_masked, text)
    text = _ISO_DATE.sub(
        lambda m: (
            f"{plain_digits(m.group(1))}年{cardinal(int(m.group(2)))}月"
            f"{cardinal(int(m.group(3)))}日"
        ),
        text,
    )
    text = _YEAR.sub(lambda m: plain_digits(m.group(1)), text)
    text = _CLOCK.sub(_clock, text)
    text = _PERCENT.sub(lambda m: "百分之" + number(m.group(1)), text)
    text = _PRICE_SIGN.sub(lambda m: number(m.group(1)) + "元", text)
    text = _NETWORK.sub(lambda m: DIGITS[int(m.group(1))] + LETTERS["G"], text)
    text = _DATA_SIZE.sub(_data_size, text)
    text = _DIAL.sub(lambda m: m.group(1) + m.group(2) + dial_digits(m.group(3)), text)
    text = _LONG_DIGITS.sub(lambda m: dial_digits(m.group(1)), text)
    text = _DECIMAL.sub(lambda m: number(m.group(0)), text)
    text = _INTEGER.sub(_integer, text)
    return _WORD.sub(lambda m: spell(m.group(0)), text)


# Pinyin has no Han punctuation; engines that read pinyin pause on ASCII punctuation.
_PINYIN_PUNCT = str.maketrans("，。！？；：、（）“”", ',.!?;:,()""')


def to_pinyin(text: str) -> str:
    """TONE3 pinyin syllables ("nin2 hao3 ,") for engines that take romanised Mandarin."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(text, style=Style.TONE3, neutral_tone_with_five=True)
    return " ".join(syllables).translate(_PINYIN_PUNCT)
