"""Dialect identification and normalisation (pure functions) and the labelled set."""

from collections import Counter

import pytest

from customer_service import dialect
from customer_service.dialect_data import labelled_sentences


def test_labelled_set_covers_five_dialects_with_150_sentences():
    rows = labelled_sentences()
    counts = Counter(d for d, _s in rows)
    assert len(rows) >= 150
    assert set(counts) == set(dialect.DIALECTS)
    assert min(counts.values()) >= 30
    assert len({s for _d, s in rows}) == len(rows)  # no duplicates


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我部手机冇信号，点解嘅？", "cantonese"),
        ("我手机莫得信号，咋个回事嘛？", "sichuanese"),
        ("侬帮我查查搿个月话费几钿", "shanghainese"),
        ("这网贼慢，咋整啊？", "northeastern"),
        ("请问国际漫游怎么开通？", "mandarin"),
    ],
)
def test_markers_identify_each_dialect(text, expected):
    result = dialect.identify(text)
    assert result.dialect == expected
    assert 0.2 < result.confidence <= 1.0
    if expected != "mandarin":
        assert result.markers


def test_asr_language_outweighs_missing_markers():
    assert dialect.identify("我想查话费").dialect == "mandarin"
    assert dialect.identify("我想查话费", asr_language="yue").dialect == "cantonese"


def test_tenant_markers_count():
    plain = dialect.identify("呢单嘢搞掂未")
    extra = dialect.identify("搞掂", extra_markers={"cantonese": ["搞掂"]})
    assert plain.dialect == "cantonese"
    assert extra.dialect == "cantonese" and "搞掂" in extra.markers


def test_normalise_longest_match_first_and_no_re_rewrite():
    lexicon = dialect.lexicon_for("cantonese")
    assert dialect.normalize("系唔系冇信号？", lexicon) == "是不是没有信号？"
    # Output of one rule is never fed to another ("唔该" -> "谢谢", not "不该").
    assert dialect.normalize("唔该", lexicon) == "谢谢"
    assert dialect.normalize("好", {}) == "好"


def test_tenant_override_replaces_the_builtin():
    lexicon = dialect.lexicon_for("sichuanese", {"巴适": "很好"})
    assert dialect.normalize("巴适得很", lexicon) == "很好得很"


def test_labelled_set_accuracy_stays_above_the_floor():
    # A regression floor, not a claim of quality: see bench/customer_service_dialect.py.
    rows = labelled_sentences()
    right = sum(dialect.identify(s).dialect == d for d, s in rows)
    assert right / len(rows) >= 0.85
