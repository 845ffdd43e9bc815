"""Mandarin text as a customer-service agent reads it aloud, before phonemes."""

import pytest

from suite.ai.speech_text import cardinal, normalize


@pytest.mark.parametrize(
    ("value", "spoken"),
    [
        (0, "零"),
        (10, "十"),
        (15, "十五"),
        (110, "一百一十"),
        (1005, "一千零五"),
        (10000, "一万"),
        (100010, "十万零一十"),
        (2_0000_0000, "二亿"),
    ],
)
def test_cardinal_numbers(value, spoken):
    assert cardinal(value) == spoken


@pytest.mark.parametrize(
    ("text", "spoken"),
    [
        # Numbers people dial or type: digit by digit, 1 as 幺.
        ("发送短信CXLL到10086查询", "发送短信西艾克斯艾勒艾勒到幺零零八六查询"),
        ("请拨打12345热线", "请拨打幺二三四五热线"),
        ("验证码是308", "验证码是三零八"),
        # A masked number says what is visible and that the rest is hidden.
        ("您的手机138****5678", "您的手机幺三八，尾号五六七八"),
        # Quantities and prices.
        ("副卡每月10元，最多能办4张", "副卡每月十元，最多能办四张"),
        ("5G套餐每月169元", "五吉套餐每月一百六十九元"),
        ("¥30", "三十元"),
        ("话费打8.5折", "话费打八点五折"),
        ("优惠80%", "优惠百分之八十"),
        ("一共2张卡，有效期2个月", "一共两张卡，有效期两个月"),
        ("2月", "二月"),
        ("30GB流量", "三十个吉流量"),
        ("100M宽带", "一百兆宽带"),
        # Dates and times.
        ("2026年12月5日", "二零二六年十二月五日"),
        ("2026-12-05到期", "二零二六年十二月五日到期"),
        ("营业时间08:05至21:00", "营业时间八点零五分至二十一点整"),
        # Letters and words.
        ("回复KTGJMY开通", "回复开踢吉杰艾姆歪开通"),
        ("连上Wi-Fi", "连上歪发"),
        ("您好，请问有什么可以帮您？", "您好，请问有什么可以帮您？"),
    ],
)
def test_normalize_reads_like_an_agent(text, spoken):
    assert normalize(text) == spoken
