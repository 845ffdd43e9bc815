"""The hotspot map: districts shaded by the last day's orders, markers where orders carry
coordinates; another tenant's orders never count."""

import pytest
from django.test import Client

from gov_hotline.models import WorkOrder
from suite.geo import basemap

from .conftest import new_order


def login(user, lang="en") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=lang)
    client.cookies["django_language"] = lang
    client.force_login(user)
    return client


@pytest.fixture
def orders(hl_a, hl_b):
    for i in range(3):
        new_order(hl_a, text=f"天河区体育西路工地夜间施工噪音扰民第{i}次反映")
    new_order(hl_a, text="黄埔区开创大道路灯不亮", district="黄埔区", address="开创大道")
    for i in range(4):
        new_order(hl_b, text=f"越秀区北京路占道经营第{i}次", district="越秀区", address="北京路")
    return hl_a


def test_districts_are_shaded_by_the_tenants_own_orders(orders, dispatcher_a):
    page = login(dispatcher_a).get("/gov-hotline/hotspots/")
    drawn = page.context["hotspot_map"]
    assert drawn.city.name == "广州"  # from the districts the orders name, not the tenant
    fills = {d.name: d.fill for d in drawn.districts}
    assert fills["天河区"] == basemap.SHADES[-1]
    assert fills["越秀区"] == basemap.SHADES[0]  # the other tenant's four orders don't count
    assert basemap.SHADES[0] != fills["黄埔区"] != basemap.SHADES[-1]
    html = page.content.decode()
    assert "<title>天河区: 3 orders</title>" in html and ">黄埔区</text>" in html
    assert drawn.ranked == [("天河区", 3), ("黄埔区", 1)]  # the same numbers as a table
    table = html[html.index('id="gh-district-counts"') :]
    assert table.index("<td>天河区</td><td>3</td>") < table.index("<td>黄埔区</td><td>1</td>")


def test_orders_with_coordinates_become_markers_sized_by_count(orders, dispatcher_a):
    spot = dict(latitude=23.1291, longitude=113.3245)
    WorkOrder.objects.for_tenant(orders).filter(district__name="天河区").update(**spot)
    lone = WorkOrder.objects.for_tenant(orders).get(district__name="黄埔区")
    WorkOrder.objects.filter(pk=lone.pk).update(latitude=23.17, longitude=113.45)
    page = login(dispatcher_a).get("/gov-hotline/hotspots/")
    markers = {round(m.marker.radius, 1): m.marker for m in page.context["hotspot_map"].markers}
    big, small = markers[max(markers)], markers[min(markers)]
    assert big.title == "3 orders here in the last 24 hours"
    assert small.url == f"/gov-hotline/orders/{lone.pk}/"
    assert f'href="/gov-hotline/orders/{lone.pk}/"' in page.content.decode()


def test_the_map_reads_in_chinese(orders, dispatcher_a):
    html = login(dispatcher_a, "zh-hans").get("/gov-hotline/hotspots/").content.decode()
    assert "近 24 小时各区工单分布" in html and "广州区县边界" in html
    assert "<title>天河区：3 件工单</title>" in html
    assert "Orders by district" not in html and "District outlines" not in html


def test_the_demo_center_shows_its_noise_cluster_on_the_guangzhou_map(db):
    from gov_hotline import demo, hotspots
    from suite.tenancy.demo import seed_demo as seed_suite
    from suite.tenancy.models import Tenant

    seed_suite()
    demo.seed_demo()
    drawn = hotspots.hotspot_map(Tenant.objects.get(slug=demo.TENANT))
    assert drawn.city.name == "广州"
    [spot] = [m.marker for m in drawn.markers]  # the six noise orders at one site
    assert spot.radius == pytest.approx(5 + 3 * 6**0.5)
    assert drawn.city.district_at(spot.lon, spot.lat).name == "天河区"
    assert dict(drawn.ranked)["天河区"] >= 6
