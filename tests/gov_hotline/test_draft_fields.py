"""The work-order draft's own fields: districts from the tenant's own list (derived from its place
in the tenancy tree), the caller's name, the full address, a one-sentence summary and urgency
with a reason, by rules and through the language model's schema (an address the caller did not
say is refused)."""

import json

import pytest
from django.core.exceptions import ValidationError

from gov_hotline import extraction, selectors, services, training
from gov_hotline.drafting import REQUEST_TYPE_GUIDE, draft_build
from gov_hotline.models import District
from suite.ai import gateway
from suite.tenancy.models import TenantKind
from suite.tenancy.services import tenant_create

from .conftest import subset_rows

SZ_CALL = (
    "喂，你好，我姓王，住在南山区粤海街道科技园社区高新南一道10号2栋，"
    "楼下酒吧每天晚上放音乐吵到凌晨两点，希望有关部门来管一管。电话13912345678"
)


@pytest.fixture
def sz_centre(db):
    province = tenant_create(slug="p-gd", name="广东省分公司", kind=TenantKind.PROVINCE)
    city = tenant_create(slug="c-sz", name="深圳市分公司", kind=TenantKind.CITY, parent=province)
    centre = tenant_create(
        slug="sz-12345", name="12345热线", kind=TenantKind.HOTLINE_CENTER, parent=city
    )
    services.catalogue_install_defaults(tenant=centre)
    return centre


@pytest.fixture
def gz_centre(db):
    province = tenant_create(slug="p-gd2", name="广东", kind=TenantKind.PROVINCE)
    centre = tenant_create(
        slug="gz-12345", name="广州市12345热线", kind=TenantKind.HOTLINE_CENTER, parent=province
    )
    services.catalogue_install_defaults(tenant=centre)
    return centre


def _names(tenant) -> set[str]:
    return set(District.objects.for_tenant(tenant).values_list("name", flat=True))


# --- districts per tenant -----------------------------------------------------------------


def test_each_centre_gets_its_own_citys_districts(sz_centre, gz_centre):
    sz, gz = _names(sz_centre), _names(gz_centre)
    assert {"南山区", "福田区", "宝安区"} <= sz and "天河区" not in sz
    assert {"天河区", "海珠区"} <= gz and "南山区" not in gz
    # A provincial centre takes calls from its province's cities.
    province = sz_centre.parent.parent
    assert {"南山区", "天河区"} <= set(services.tenant_default_districts(province))
    # A tenant with no known place starts with none rather than another city's.
    assert (
        services.tenant_default_districts(tenant_create(slug="x", name="x", kind="province")) == ()
    )


def test_a_district_added_by_one_tenant_stays_in_that_tenant(sz_centre, gz_centre):
    services.district_create(tenant=sz_centre, name="深汕特别合作区")
    assert "深汕特别合作区" in _names(sz_centre)
    assert "深汕特别合作区" not in _names(gz_centre)
    with pytest.raises(ValidationError):
        services.district_create(tenant=sz_centre, name="深汕特别合作区")


def test_a_shenzhen_call_gets_a_shenzhen_district_and_finds_its_duplicate(sz_centre, gz_centre):
    caller = gateway.Caller(tenant=sz_centre)
    draft = draft_build(caller=caller, text=SZ_CALL)
    assert draft["district"] == "南山区"
    assert draft["address"] == "粤海街道科技园社区高新南一道10号2栋"
    assert draft["contact"]["name"] == "王"
    assert "酒吧" in draft["summary"] and "管一管" in draft["summary"]
    assert "13912345678" not in draft["summary"]
    # The Guangzhou centre has no 南山区: it never guesses one of its own.
    assert draft_build(caller=gateway.Caller(tenant=gz_centre), text=SZ_CALL)["district"] == ""

    first = services.order_create(
        tenant=sz_centre,
        text="南山区高新南一道10号楼下酒吧每天晚上放音乐吵到凌晨两点，希望有关部门来管一管",
        channel="phone",
        request_type="投诉",
        category="生态环境",
        subcategory="噪音污染",
        district="南山区",
        address="高新南一道10号",
        summary="酒吧噪音扰民",
    )
    found = selectors.draft_duplicates(
        sz_centre, text=SZ_CALL, district=draft["district"], address=draft["address"]
    )
    assert [order.pk for order, _score in found] == [first.pk]
    # The same words in another district are another problem.
    assert not selectors.draft_duplicates(
        sz_centre, text=SZ_CALL, district="福田区", address=draft["address"]
    )


# --- rules --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("您好，免贵姓王，路灯坏了", "王"),
        ("我姓王，王先生，电话13800001111", "王先生"),
        ("你好，我是李娜，住在福田区", "李娜"),
        ("我叫张建国，家里停水了", "张建国"),
        ("联系人王女士", "王女士"),
        ("我是附近的居民，路灯坏了", ""),
        ("我是业主，物业不管事", ""),
        ("我是王先生，我家在罗湖区", "王先生"),
    ],
)
def test_caller_name(text, name):
    assert extraction.extract_name(text).value == name


@pytest.mark.parametrize(
    ("text", "districts", "address"),
    [
        (SZ_CALL, ["南山区"], "粤海街道科技园社区高新南一道10号2栋"),
        ("我是李娜，我住在宝安区西乡街道固戍一路88号3栋502室，电梯坏了", ["宝安区"],
         "西乡街道固戍一路88号3栋502室"),
        ("我住在天河区体育西路的华景小区，楼下烧烤店很吵", ["天河区"], "体育西路的华景小区"),
        ("我的车在荔湾区芳村大道被堵住了", ["荔湾区"], "芳村大道"),
        ("我住在体育西路100号，垃圾没人收", [], "体育西路100号"),
    ],
)  # fmt: skip
def test_full_address_never_starts_with_the_caller(text, districts, address):
    found = extraction.extract_address(text, extraction.extract_district(text, districts))
    assert found.value == address
    assert text[found.start : found.end] == address


def test_summary_states_problem_and_demand_in_one_line():
    text = "你好，我住在天河区体育西路。楼下烧烤店天天吵到凌晨两点。希望有关部门处理。我姓王"
    summary = extraction.extract_summary(text).value
    assert "烧烤店" in summary and summary.endswith("希望有关部门处理")
    assert "我姓王" not in summary and "你好" not in summary


def test_urgency_comes_with_its_reason(sz_centre):
    caller = gateway.Caller(tenant=sz_centre)
    draft = draft_build(caller=caller, text="福田区华强北路的井盖没了很危险，请马上派人来")
    assert draft["urgency"] == "urgent"
    assert draft["evidence"]["urgency"] in ("危险", "马上")
    assert draft["evidence"]["urgency"] in draft["urgency_reason"]
    calm = draft_build(caller=caller, text="想咨询一下福田区居住证怎么办")
    assert calm["urgency"] == "normal" and calm["urgency_reason"]


def test_near_span_tolerates_a_dropped_character_not_an_invented_place():
    text = "住在南山区粤海街道科技园社区高新南一道10号"
    assert extraction.near_span(text, "粤海街道科技园社区高新南一道10号") is not None
    start, end = extraction.near_span(text, "粤海街道科技园社区高新南道10号")
    assert text[start:end].startswith("粤海街道科技园社区高新南")
    assert extraction.near_span(text, "深南大道3001号") is None


# --- through the model's schema -----------------------------------------------------------


@pytest.fixture
def sz_trained(sz_centre):
    training.examples_import_labelled(tenant=sz_centre, rows=subset_rows())
    training.classifier_train(tenant=sz_centre, caller=gateway.Caller(tenant=sz_centre))
    return sz_centre


def _answer(request: dict, **fields) -> str:
    schema = request["response_format"]["json_schema"]["schema"]["properties"]
    answer = {
        "request_type": "投诉",
        "subcategory": schema["subcategory"]["enum"][0],
        "district": "南山区",
        "address": "",
        "contact_name": "",
        "summary": "酒吧噪音扰民，要求处理",
        "urgency": "normal",
        "urgency_reason": "夜间噪音影响休息",
    }
    answer.update(fields)
    return json.dumps(answer, ensure_ascii=False)


def test_schema_holds_the_tenants_own_districts_and_catalogue(sz_trained, scripted_model):
    scripted_model.reply = _answer
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=SZ_CALL)
    request = scripted_model.requests[-1]
    schema = request["response_format"]["json_schema"]["schema"]
    props = schema["properties"]
    assert set(props["district"]["enum"]) == _names(sz_trained) | {""}
    assert "天河区" not in props["district"]["enum"]
    assert props["subcategory"]["enum"] == [c["subcategory"] for c in draft["candidates"]]
    # The type is decided first, with a definition of each in the prompt.
    assert next(iter(props)) == "request_type"
    assert REQUEST_TYPE_GUIDE in request["messages"][0]["content"]
    assert "139****5678" in request["messages"][1]["content"]
    assert draft["sources"]["chat"] == "scripted" and not draft["fallback"]
    assert draft["urgency_reason"] == "夜间噪音影响休息"


def test_an_invented_address_or_name_is_refused(sz_trained, scripted_model):
    scripted_model.reply = lambda r: _answer(r, address="深南大道3001号", contact_name="张伟")
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=SZ_CALL)
    assert draft["address"] == "粤海街道科技园社区高新南一道10号2栋"  # the rules' address
    assert draft["contact"]["name"] == "王"


def test_the_models_address_is_taken_in_the_callers_words(sz_trained, scripted_model):
    text = "我是李娜，我在南山区蛇口街道海上世界广场B座门口，发现路边的电线掉下来了"
    scripted_model.reply = lambda r: _answer(
        r,
        address="我在南山区蛇口街道海上世界广场B座",
        contact_name="李娜",
        summary="电线掉落在路边。请尽快处理。",
    )
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=text)
    assert draft["address"] == "蛇口街道海上世界广场B座"
    assert draft["contact"]["name"] == "李娜"
    assert draft["summary"] == "电线掉落在路边"  # one sentence


def test_a_title_the_caller_did_not_say_is_refused(sz_trained, scripted_model):
    scripted_model.reply = lambda r: _answer(r, contact_name="王女士")
    text = "我是王先生，南山区科技园的路灯坏了"
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=text)
    assert draft["contact"]["name"] == "王先生"
    scripted_model.reply = lambda r: _answer(r, contact_name="王女士")
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=SZ_CALL)
    assert draft["contact"]["name"] == "王女士"  # "我姓王": a title added to the surname


def test_the_bundled_model_drafts_a_shenzhen_call(sz_trained, language_model):
    draft = draft_build(caller=gateway.Caller(tenant=sz_trained), text=SZ_CALL)
    assert draft["sources"]["chat"] == language_model.served_name and not draft["fallback"]
    assert draft["district"] == "南山区"
    assert draft["contact"]["name"].startswith("王")
    assert any(word in draft["summary"] for word in ("酒吧", "音乐", "噪音", "吵"))
    assert draft["address"] and draft["address"] in SZ_CALL
    assert not draft["address"].startswith(("我", "住在"))
    assert draft["urgency_reason"]


@pytest.mark.parametrize(
    ("said", "address"),
    [
        ("芳村大道中那栋老楼", "芳村大道中"),
        ("化龙镇有个小工厂", "化龙镇"),
        ("府佑路那家烧烤档油烟直接往我们楼上排，窗都不敢开", "府佑路"),
        ("宝岗大道附近", "宝岗大道"),
        ("市桥街道东环路富豪山庄", "市桥街道东环路富豪山庄"),
    ],
)
def test_the_address_ends_where_the_story_about_the_place_begins(said, address):
    assert extraction.address_head(said) == address
