import pytest

from suite.ai.itn import normalize_numbers


@pytest.mark.parametrize(
    ("spoken", "written"),
    [
        ("我的号码是幺三八一二三四五六七八", "我的号码是13812345678"),
        ("一三八一二三四五六七八", "13812345678"),
        ("三百二十五", "325"),
        ("两千零六", "2006"),
        ("二零二六年", "2026年"),
        ("二〇二六年三月", "2026年三月"),
        ("百分之五十", "50%"),
        ("百分之三点五", "3.5%"),
        ("百分之百", "100%"),
        ("三点五", "3.5"),
        ("一点五倍", "1.5倍"),
        ("一千零一夜", "1001夜"),
        ("一万零五百元", "10500元"),
        ("三亿五千万", "350000000"),
        ("十一", "11"),
        ("套餐每月五十八元，流量二十G", "套餐每月58元，流量20G"),
    ],
)
def test_numbers(spoken, written):
    assert normalize_numbers(spoken) == written


@pytest.mark.parametrize(
    "text",
    [
        "我们一起去",
        "等一下",
        "三心二意",
        "一些问题",
        "万一出错",
        "统一管理",
        "十分感谢",
        "一点一滴",
        "快一点一起走",
        "他一五一十地说了",
        "千万别忘了",
        "九九八十一",
        "一模一样",
        "十全十美",
        "两个人",
        "三点钟见",
        "第一",
        "千千万万",
    ],
)
def test_words_with_numerals_untouched(text):
    assert normalize_numbers(text) == text
