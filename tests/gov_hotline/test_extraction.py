"""Rule-based field extraction, working-day deadlines, reply completeness, duplicate vectors."""

from datetime import date, datetime

import numpy as np
import pytest
from django.utils import timezone

from gov_hotline import duplicates, extraction
from gov_hotline.completeness import check_reply
from gov_hotline.sla import WorkCalendar

DISTRICTS = ["天河区", "海珠区", "白云区"]


def test_district_address_and_evidence_spans():
    text = "你好，我住在天河区体育西路的华景小区，楼下烧烤店天天吵到凌晨三点"
    district = extraction.extract_district(text, DISTRICTS)
    assert district.value == "天河区" and district.confidence > 0.9
    assert text[district.start : district.end] == "天河区"
    address = extraction.extract_address(text, district)
    assert address.value.startswith("体育西路")
    assert text[address.start : address.end] == address.value


def test_district_without_suffix_gets_lower_confidence():
    field = extraction.extract_district("海珠那边有个井盖没了", DISTRICTS)
    assert field.value == "海珠区"
    assert field.confidence < 0.9


def test_no_district_means_zero_confidence():
    assert extraction.extract_district("路灯坏了", DISTRICTS).confidence == 0.0


def test_contact_phone_is_found_and_masked():
    name, phone = extraction.extract_contact("我姓陈，电话13912345678，麻烦尽快")
    assert phone.value == "13912345678"
    assert extraction.masked_contact(phone.value) == "139****5678"
    assert name.value == "陈"


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("楼道里有很浓的燃气味，可能漏气了", "critical"),
        ("井盖没了很危险，请马上派人来", "urgent"),
        ("想咨询一下居住证怎么办", "normal"),
    ],
)
def test_urgency(text, level):
    assert extraction.extract_urgency(text).value == level


def test_emergency_line_suggestion():
    assert extraction.extract_emergency("对面楼起火了，冒了好多烟").value == "119"
    assert extraction.extract_emergency("路口发生交通事故").value == "122"
    assert extraction.extract_emergency("垃圾没人收").value == ""


def test_summary_is_the_demand_sentence_without_contact_details():
    text = "喂，你好。天河区石牌东路工地半夜施工很吵，希望有关部门管一管，我电话13800001111。"
    summary = extraction.extract_summary(text)
    assert "希望有关部门管一管" in summary.value
    assert "13800001111" not in summary.value
    assert len(summary.value) <= extraction.MAX_SUMMARY


def test_working_days_skip_weekends_holidays_and_count_swapped_workdays():
    tz = timezone.get_current_timezone()
    calendar = WorkCalendar({date(2026, 10, 1), date(2026, 10, 2)}, {date(2026, 10, 10)})
    start = timezone.make_aware(datetime(2026, 9, 30, 10, 0), tz)  # Wednesday
    # Thu 1st and Fri 2nd are holidays, the weekend is off: Mon 5th is the first working day.
    assert calendar.add_working_days(start, 1).date() == date(2026, 10, 5)
    assert calendar.add_working_days(start, 1).hour == 18
    saturday = timezone.make_aware(datetime(2026, 10, 9, 12, 0), tz)
    assert calendar.add_working_days(saturday, 1).date() == date(2026, 10, 10)  # swapped workday
    assert calendar.working_days_between(date(2026, 9, 30), date(2026, 10, 5)) == 1


def test_complete_reply_passes_and_vague_reply_names_what_is_missing():
    demand = "工地夜间打桩施工噪音扰民，要求停止夜间施工"
    good = check_reply(
        demand=demand, reply="经现场核实，该工地无夜间施工许可，已责令停止夜间打桩施工并立案处罚。"
    )
    assert good.ok and good.coverage > 0.3
    vague = check_reply(demand=demand, reply="收到")
    assert not vague.ok
    assert len(vague.problems) == 3  # too short, no result, demand not addressed
    off_topic = check_reply(demand=demand, reply="已将该市民的社保转移手续办理完毕并告知本人。")
    assert not off_topic.ok and off_topic.missing_terms


def test_duplicate_pairs_respect_district_and_window():
    texts = [
        "天河区石牌东路工地半夜打桩施工，噪音太大",
        "石牌东路的工地半夜还在打桩施工，噪音太大了",  # same issue, same district, next day
        "石牌东路的工地半夜还在打桩施工，噪音太大了",  # same text but another district
        "天河区石牌东路工地半夜打桩施工，噪音太大",  # same text, 30 days later
        "海珠区的自来水发黄有异味",
    ]
    districts = np.array([1, 1, 2, 1, 1])
    days = np.array([0.0, 1.0, 1.0, 30.0, 0.5])
    pairs = duplicates.duplicate_pairs(texts, districts, days)
    assert {tuple(p) for p in pairs.tolist()} == {(0, 1)}


def test_similar_to_ranks_and_thresholds():
    matches = duplicates.similar_to(
        "石牌东路工地夜间打桩噪音扰民",
        "石牌东路",
        [("社保卡丢了怎么补办", ""), ("石牌东路工地夜里打桩，噪音扰民", "石牌东路")],
    )
    assert [m.index for m in matches] == [1]


def test_different_known_addresses_are_not_duplicates_and_places_do_not_count_as_similarity():
    texts = ["体育西路的路灯坏了一个多月", "石牌东路的路灯坏了一个多月", "体育西路的井盖松动了"]
    districts = np.array([1, 1, 1])
    days = np.array([0.0, 1.0, 2.0])
    addresses = np.array([0, 1, 0])
    places = [("天河区", "体育西路"), ("天河区", "石牌东路"), ("天河区", "体育西路")]
    assert duplicates.duplicate_pairs(texts, districts, days).tolist() == [[0, 1]]
    with_rules = duplicates.duplicate_pairs(
        texts, districts, days, addresses=addresses, places=places
    )
    assert with_rules.tolist() == []
    assert duplicates.without_places(["天河区体育西路的井盖"], [("天河区", "体育西路")]) == [
        "的井盖"
    ]
