"""The whole address a caller gave (street, road and number, estate, building, room), not its
first few place words: place names with 天/上/下/和/都 in them, a road's side ("大道南"), a
sub-area ("科技园南区"), a room said without 室 ("5栋302") and an exit ("C出口") are kept, while
everyday words ("今天", "楼下", "物业和街道") still end an address (issue 16)."""

import pytest

from gov_hotline import extraction, services
from gov_hotline.drafting import draft_build
from gov_hotline.taxonomy import CITY_DISTRICTS
from suite.ai import gateway
from suite.tenancy.models import TenantKind
from suite.tenancy.services import tenant_create

DISTRICTS = [*CITY_DISTRICTS["深圳"], *CITY_DISTRICTS["广州"]]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("南山区粤海街道科技园南区，楼下一直在施工，希望处理", "粤海街道科技园南区"),
        ("我住在南山区粤海街道科技园南区高新南七道18号深圳湾科技生态园10栋A座1203室，楼下施工太吵",
         "粤海街道科技园南区高新南七道18号深圳湾科技生态园10栋A座1203室"),
        ("龙岗区坂田街道五和大道南128号万科城12栋2单元801房，停水了",
         "坂田街道五和大道南128号万科城12栋2单元801房"),
        ("宝安区西乡街道固戍二路海滨新村5栋302，噪音很大", "西乡街道固戍二路海滨新村5栋302"),
        ("天河区天河路385号太古汇门口有人乱摆卖", "天河路385号太古汇"),
        ("罗湖区东门街道和平路1024号和平大厦，电梯坏了", "东门街道和平路1024号和平大厦"),
        ("南山区蛇口街道海上世界广场B座，电线掉下来了", "蛇口街道海上世界广场B座"),
        ("海珠区江南大道中168号，路灯不亮", "江南大道中168号"),
        ("我在福田区上梅林地铁站C出口，有人摆摊", "上梅林地铁站C出口"),
        ("龙华区民治街道民治大道与沙吓路交叉口，红绿灯坏了", "民治街道民治大道与沙吓路交叉口"),
        ("福田区华强北街道华强北路1002号赛格广场3楼，有商家卖假货",
         "华强北街道华强北路1002号赛格广场3楼"),
    ],
)  # fmt: skip
def test_the_whole_address_is_kept(text, address):
    found = extraction.extract_address(text, extraction.extract_district(text, DISTRICTS))
    assert found.value == address
    assert text[found.start : found.end] == address  # the caller's own words, as evidence


@pytest.mark.parametrize(
    "text",
    [
        "我住在天河区，今天楼下一直在施工",
        "我和邻居都反映过，物业和街道都不管",
        "今天下午路上有个大坑",
        "下雨天路上积水很深",
        "想问一下社保怎么交",
    ],
)
def test_everyday_words_are_not_an_address(text):
    found = extraction.extract_address(text, extraction.extract_district(text, DISTRICTS))
    assert found.value == ""


def test_a_shenzhen_centre_drafts_the_full_address_and_its_district(db):
    province = tenant_create(slug="p-gd", name="广东省分公司", kind=TenantKind.PROVINCE)
    city = tenant_create(slug="c-sz", name="深圳市分公司", kind=TenantKind.CITY, parent=province)
    centre = tenant_create(
        slug="sz-12345", name="12345热线", kind=TenantKind.HOTLINE_CENTER, parent=city
    )
    services.catalogue_install_defaults(tenant=centre)
    text = (
        "你好，我姓王，住在南山区粤海街道科技园南区高新南七道18号10栋1203室，"
        "楼下工地晚上施工太吵了，希望有关部门处理。"
    )
    draft = draft_build(caller=gateway.Caller(tenant=centre), text=text)
    assert draft["district"] == "南山区"
    assert draft["address"] == "粤海街道科技园南区高新南七道18号10栋1203室"
    assert draft["evidence"]["address"] == draft["address"]
