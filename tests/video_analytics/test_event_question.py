"""A sentence ("昨天晚上大堂有人逗留吗") read as event-search filters: the language model chooses
among this tenant's own names only, its answer is checked and mapped to ids and datetimes, a
keyword-rules fallback answers (labelled) when there is no model or its answer is unusable."""

import json
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.cross_tenant import covers
from video_analytics import services
from video_analytics.search_query import filters_from_question

from .helpers import make_event


def local(*args) -> datetime:
    return timezone.make_aware(datetime(*args))


@pytest.fixture
def now() -> datetime:
    """A Sunday morning: 昨天 is 2026-12-05, 上周三 2026-11-25."""
    return local(2026, 12, 6, 10, 0)


@pytest.fixture
def site(tenant_a, tenant_b):
    lobby = services.camera_create(tenant=tenant_a, name="大堂")
    parking = services.camera_create(tenant=tenant_a, name="停车场")
    desk = services.zone_save(camera=lobby, name="前台", points=[[0, 0], [1, 0], [1, 1]])
    line = services.zone_save(camera=parking, name="出口线", kind="line", points=[[0, 0], [1, 1]])
    theirs = services.camera_create(tenant=tenant_b, name="会议室")
    services.zone_save(camera=theirs, name="机房", points=[[0, 0], [1, 0], [1, 1]])
    return {"lobby": lobby, "parking": parking, "desk": desk, "line": line, "theirs": theirs}


def answer(**fields) -> str:
    values = {
        "camera": "",
        "zone": "",
        "kind": "",
        "severity": "",
        "day": "",
        "weekday": "",
        "date": "",
        "part": "",
    }
    return json.dumps(values | fields, ensure_ascii=False)


def test_the_schema_offers_only_this_tenants_cameras_and_zones(site, tenant_a, scripted_model, now):
    scripted_model.reply = answer(camera="大堂")
    filters_from_question(tenant=tenant_a, question="大堂的事件", now=now)
    request = scripted_model.requests[0]
    schema = request["response_format"]["json_schema"]["schema"]["properties"]
    assert set(schema["camera"]["enum"]) == {"大堂", "停车场", ""}
    assert set(schema["zone"]["enum"]) == {"前台", "出口线", ""}
    assert set(schema["kind"]["enum"]) == {"入侵", "越线", "逗留", "聚集", "镜头遮挡", ""}
    assert set(schema["severity"]["enum"]) == {"提示", "低", "中", "高", "紧急", ""}
    assert "会议室" not in json.dumps(request, ensure_ascii=False)
    assert request["temperature"] == 0.0


def test_the_models_answer_becomes_ids_and_datetimes(site, tenant_a, scripted_model):
    now = local(2026, 12, 6, 10, 0)
    scripted_model.reply = answer(camera="大堂", kind="逗留", day="昨天", part="晚上")
    found = filters_from_question(tenant=tenant_a, question="昨天晚上大堂有人逗留吗", now=now)
    assert (found.how, found.model, found.reason) == ("model", "scripted", "")
    f = found.filters
    assert (f.camera, f.zone, f.kind, f.severity) == (site["lobby"].pk, None, "loitering", "")
    assert (f.since, f.until) == (local(2026, 12, 5, 18, 0), local(2026, 12, 6, 0, 0))

    scripted_model.reply = answer(
        camera="停车场", zone="出口线", kind="越线", day="上周", weekday="周三"
    )
    f = filters_from_question(
        tenant=tenant_a, question="上周三停车场出口线的越线事件", now=now
    ).filters
    assert (f.camera, f.zone, f.kind) == (site["parking"].pk, site["line"].pk, "line_crossing")
    assert (f.since, f.until) == (local(2026, 11, 25), local(2026, 11, 26))

    # a zone alone names its camera; 夜里 runs into the next morning; a severity asked for
    scripted_model.reply = answer(zone="前台", severity="紧急", day="前天", part="夜里")
    f = filters_from_question(tenant=tenant_a, question="前天夜里前台的紧急事件", now=now).filters
    assert (f.camera, f.zone, f.severity) == (site["lobby"].pk, site["desk"].pk, "critical")
    assert (f.since, f.until) == (local(2026, 12, 4, 22, 0), local(2026, 12, 5, 6, 0))


def test_what_the_question_never_mentions_is_dropped(site, tenant_a, scripted_model):
    # measured: the 1.5B fills a zone, a severity and a weekday nobody asked for
    scripted_model.reply = answer(
        camera="大堂", zone="出口线", kind="逗留", severity="高", day="今天", weekday="周一",
        part="上午", date="12月1日",
    )  # fmt: skip
    found = filters_from_question(
        tenant=tenant_a, question="今天上午大堂有人逗留吗", now=local(2026, 12, 6, 10, 0)
    )
    f = found.filters
    assert found.how == "model"
    assert (f.camera, f.zone, f.severity, f.q) == (site["lobby"].pk, None, "", "")
    assert (f.since, f.until) == (local(2026, 12, 6, 6, 0), local(2026, 12, 6, 12, 0))


@pytest.mark.parametrize(
    "reply",
    [
        answer(camera="会议室"),  # another tenant's camera
        answer(camera="大堂", kind="打架"),  # no such type
        answer(camera="大堂", part="午夜后"),
        "这不是 JSON",
        json.dumps(["大堂"]),
        json.dumps({"camera": 7}),
    ],
)
def test_an_unusable_answer_falls_back_to_the_rules(site, tenant_a, scripted_model, reply):
    scripted_model.reply = reply
    found = filters_from_question(
        tenant=tenant_a, question="昨天晚上大堂有人逗留吗", now=local(2026, 12, 6, 10, 0)
    )
    assert (found.how, found.model) == ("rules", "")
    assert "could not be used" in found.reason
    f = found.filters
    assert (f.camera, f.kind) == (site["lobby"].pk, "loitering")
    assert (f.since, f.until) == (local(2026, 12, 5, 18, 0), local(2026, 12, 6, 0, 0))


def test_the_question_is_masked_before_it_reaches_the_model(site, tenant_a, scripted_model):
    scripted_model.reply = answer(camera="大堂")
    filters_from_question(tenant=tenant_a, question="大堂 13912345678 打来的那次", now=None)
    sent = json.dumps(scripted_model.requests[0]["messages"], ensure_ascii=False)
    assert "大堂" in sent and "13912345678" not in sent


@pytest.mark.parametrize(
    ("question", "camera", "kind", "since", "until"),
    [
        ("昨天晚上大堂有人逗留吗", "lobby", "loitering", (2026, 12, 5, 18), (2026, 12, 6)),
        ("上周三停车场的越线事件", "parking", "line_crossing", (2026, 11, 25), (2026, 11, 26)),
        ("昨晚有人闯入吗", None, "intrusion", (2026, 12, 5, 18), (2026, 12, 6)),
        # 晚上 alone, asked in the morning: the evening that has begun is yesterday's
        ("晚上停车场人多吗", "parking", "crowding", (2026, 12, 5, 18), (2026, 12, 6)),
        ("最近7天镜头被遮挡", None, "tampering", (2026, 11, 30), (2026, 12, 7)),
        ("上周的事件", None, "", (2026, 11, 23), (2026, 11, 30)),
        ("12月3日下午", None, "", (2026, 12, 3, 12), (2026, 12, 3, 18)),
        ("大堂", "lobby", "", None, None),
    ],
)
def test_the_rules_without_a_model(site, tenant_a, now, question, camera, kind, since, until):
    found = filters_from_question(tenant=tenant_a, question=question, now=now)
    assert (found.how, found.model) == ("rules", "")
    assert "No language model" in found.reason
    f = found.filters
    assert f.camera == (site[camera].pk if camera else None)
    assert f.kind == kind
    assert f.since == (local(*since) if since else None)
    assert f.until == (local(*until) if until else None)


def test_the_rules_match_part_of_a_longer_camera_name(tenant_a):
    hall = services.camera_create(tenant=tenant_a, name="福田营业厅大堂")
    services.camera_create(tenant=tenant_a, name="南山科技园东门")
    counter = services.zone_save(camera=hall, name="柜台内侧", points=[[0, 0], [1, 0], [1, 1]])
    f = filters_from_question(tenant=tenant_a, question="大堂柜台今天的高级别事件").filters
    assert (f.camera, f.zone, f.severity) == (hall.pk, counter.pk, "high")
    assert (
        filters_from_question(tenant=tenant_a, question="东门 “粤B12345”").filters.q == "粤B12345"
    )


def test_an_empty_or_long_question_is_refused(tenant_a):
    from suite.errors import InvalidInput

    for question in ("", "   ", "问" * 201):
        with pytest.raises(InvalidInput) as refused:
            filters_from_question(tenant=tenant_a, question=question)
        assert refused.value.param == "question"


@covers("api:va-event-interpret")
def test_the_api_interprets_then_the_list_takes_the_filters(
    site, tenant_a, tenant_b, api_client_a, scripted_model
):
    from rest_framework.test import APIClient

    from tests.factories import member

    yesterday = timezone.localdate() - timedelta(days=1)
    evening = timezone.make_aware(datetime.combine(yesterday, datetime.min.time())) + timedelta(
        hours=20
    )
    hit = make_event(site["lobby"], description="大堂: 逗留", kind="loitering", at=evening)
    make_event(site["parking"], description="停车场: 逗留", kind="loitering", at=evening)
    make_event(
        site["lobby"],
        description="大堂: 早上逗留",
        kind="loitering",
        at=evening - timedelta(hours=12),
    )
    theirs = make_event(site["theirs"], description="会议室: 逗留", kind="loitering", at=evening)

    scripted_model.reply = answer(camera="大堂", kind="逗留", day="昨天", part="晚上")
    url = reverse("api:va-event-interpret")
    body = api_client_a.post(url, {"question": " 昨天晚上大堂有人逗留吗 "}, format="json").json()
    assert (body["how"], body["model"], body["question"]) == (
        "model",
        "scripted",
        "昨天晚上大堂有人逗留吗",
    )
    assert body["filters"]["camera"] == site["lobby"].pk
    assert body["filters"]["camera_name"] == "大堂" and body["filters"]["kind"] == "loitering"
    assert [row["field"] for row in body["understood"]] == ["camera", "kind", "time"]
    listed = api_client_a.get(f"{reverse('api:va-event-list')}?{body['query']}").json()
    assert [e["id"] for e in listed["results"]] == [hit.pk]

    for bad, message in (("", "Type a question"), ("问" * 201, "201 characters")):
        refused = api_client_a.post(url, {"question": bad}, format="json")
        assert refused.status_code == 400 and message in refused.json()["error"]["message"]
    assert api_client_a.post(url, {}, format="json").status_code == 400

    # the other tenant's camera is neither offered nor found, and their query finds only theirs
    scripted_model.requests.clear()
    scripted_model.reply = answer()
    mine = api_client_a.post(url, {"question": "会议室昨天的事件"}, format="json").json()
    assert mine["filters"]["camera"] is None
    assert "会议室" not in json.dumps(
        scripted_model.requests[0]["response_format"], ensure_ascii=False
    )
    api_b = APIClient()
    api_b.force_login(member(tenant_b, "tenant_admin", username="admin_b_va"))
    scripted_model.reply = answer(camera="会议室", kind="逗留")
    theirs_body = api_b.post(url, {"question": "会议室有人逗留吗"}, format="json").json()
    assert theirs_body["filters"]["camera"] == site["theirs"].pk
    assert [
        e["id"]
        for e in api_b.get(f"{reverse('api:va-event-list')}?{theirs_body['query']}").json()[
            "results"
        ]
    ] == [theirs.pk]
    # A's interpreted camera id means nothing in B's list
    assert (
        api_b.get(reverse("api:va-event-list"), {"camera": site["lobby"].pk}).json()["results"]
        == []
    )


def test_the_events_page_shows_what_was_understood_then_its_results(site, analyst):
    yesterday = timezone.localdate() - timedelta(days=1)
    evening = timezone.make_aware(datetime.combine(yesterday, datetime.min.time())) + timedelta(
        hours=20
    )
    make_event(site["lobby"], description="大堂: 有人逗留", kind="loitering", at=evening)
    make_event(site["parking"], description="停车场: 有人逗留", kind="loitering", at=evening)
    make_event(site["theirs"], description="会议室: 有人逗留", kind="loitering", at=evening)
    page = analyst.get(reverse("video_analytics:events"), {"question": "昨天晚上大堂有人逗留吗"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Keyword rules (fallback)" in html and "No language model" in html
    assert "Camera:</span> 大堂" in html and "Type:</span> Loitering" in html
    assert f'name="since" value="{yesterday:%Y-%m-%d}T18:00"' in html
    assert f'<option value="{site["lobby"].pk}" selected>' in html
    assert "大堂: 有人逗留" in html and "停车场: 有人逗留" not in html and "会议室" not in html

    refused = analyst.get(reverse("video_analytics:events"), {"question": " "})
    assert refused.status_code == 400 and "Type a question" in refused.content.decode()

    # the form, edited, runs with hours; page links carry the filters, not the question
    edited = analyst.get(
        reverse("video_analytics:events"),
        {
            "camera": site["parking"].pk,
            "since": f"{yesterday:%Y-%m-%d}T19:00",
            "until": f"{yesterday:%Y-%m-%d}T21:00",
        },
    ).content.decode()
    assert "停车场: 有人逗留" in edited and "大堂: 有人逗留" not in edited


def test_the_events_page_labels_the_models_reading(site, analyst, scripted_model):
    scripted_model.reply = answer(camera="停车场", kind="越线")
    html = analyst.get(
        reverse("video_analytics:events"), {"question": "停车场的越线事件"}
    ).content.decode()
    assert "AI生成 · scripted" in html and "Keyword rules" not in html
    assert "Camera:</span> 停车场" in html and "Type:</span> Line crossing" in html


def test_the_bundled_model_reads_a_question_about_yesterday_evening(site, tenant_a, language_model):
    """The real Qwen2.5-1.5B through the gateway: it names the camera, the type and 昨天+晚上."""
    now = local(2026, 12, 6, 10, 0)
    found = filters_from_question(tenant=tenant_a, question="昨天晚上大堂有人逗留吗", now=now)
    assert (found.how, found.model) == ("model", language_model.served_name)
    f = found.filters
    assert (f.camera, f.kind) == (site["lobby"].pk, "loitering")
    assert f.since <= local(2026, 12, 5, 20, 0) < f.until <= local(2026, 12, 6, 6, 0)
    assert f.since >= local(2026, 12, 5)


def test_a_time_word_the_rules_know_wins_over_the_models_reading(
    site, tenant_a, scripted_model, now
):
    # measured: the 1.5B answered 昨天 with no part of the day for 昨天晚上, and 入侵 for 人多
    scripted_model.reply = answer(camera="大堂", kind="入侵", day="昨天")
    found = filters_from_question(tenant=tenant_a, question="前天晚上大堂人多吗", now=now)
    f = found.filters
    assert (found.how, f.camera, f.kind) == ("model", site["lobby"].pk, "crowding")
    assert (f.since, f.until) == (local(2026, 12, 4, 18, 0), local(2026, 12, 5, 0, 0))
