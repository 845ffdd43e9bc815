"""The offline base map: ECharts geometry decoding, the shipped district outlines, the
projection and the choice of city."""

import re

import pytest

from suite.geo import basemap
from suite.geo.echarts import decode_geometry, decode_ring, encode_ring


def test_a_known_encoded_ring_decodes_to_its_coordinates():
    # From the Guangzhou file's encoding: "A" is a delta of -1, "E" of -3, "B" of +1
    # (zigzag + 64), in 1/1024 degree from the offset.
    points = decode_ring("AEAB", (116331, 23653))
    assert points == [[116330 / 1024, 23650 / 1024], [116329 / 1024, 23651 / 1024]]
    assert points[0] == [113.603515625, 23.095703125]


def test_encoding_round_trips_and_multipolygons_keep_their_rings():
    ring = [[114.05, 22.54], [114.06, 22.55], [114.04, 22.56], [114.05, 22.54]]
    encoded, offset = encode_ring(ring)
    decoded = [v for point in decode_ring(encoded, offset) for v in point]
    assert decoded == pytest.approx([v for point in ring for v in point], abs=1 / 1024)
    multi = decode_geometry(
        {"type": "MultiPolygon", "coordinates": [[encoded], [encoded]]}, [[offset], [offset]]
    )
    assert len(multi["coordinates"]) == 2 and len(multi["coordinates"][1][0]) == 4
    with pytest.raises(ValueError):
        decode_ring("ABC", (0, 0))


def test_shipped_outlines_put_known_places_in_their_districts():
    cities = basemap.cities()
    assert {"shenzhen", "guangzhou", "chengdu"} <= set(cities)
    assert cities["shenzhen"].district_at(114.0579, 22.5410).name == "福田区"  # 深南大道
    assert cities["shenzhen"].district_at(113.9530, 22.5405).name == "南山区"  # 科技园
    assert cities["guangzhou"].district_at(113.3245, 23.1291).name == "天河区"  # 体育西路
    assert cities["chengdu"].district_at(104.0633, 30.6598).name == "青羊区"  # 天府广场西
    assert cities["shenzhen"].district_at(104.06, 30.66) is None


def _path_bbox(d: str) -> tuple[float, float, float, float]:
    numbers = [float(n) for n in re.findall(r"-?\d+(?:\.\d+)?", d)]
    xs, ys = numbers[0::2], numbers[1::2]
    return min(xs), min(ys), max(xs), max(ys)


@pytest.mark.parametrize(
    ("lon", "lat", "district"),
    [(114.0579, 22.5410, "福田区"), (113.9530, 22.5405, "南山区"), (114.2350, 22.7200, "龙岗区")],
)
def test_a_point_inside_a_district_lands_inside_its_drawn_path(lon, lat, district):
    city = basemap.cities()["shenzhen"]
    marker = basemap.Marker(lon=lon, lat=lat, title="x")
    drawn = basemap.render(map_id="m", title="t", desc="d", markers=[marker], city=city)
    [placed] = drawn.markers
    shape = next(d for d in drawn.districts if d.name == district)
    x0, y0, x1, y1 = _path_bbox(shape.d)
    assert (x0, y0, x1, y1) == shape.bbox
    assert x0 <= placed.x <= x1 and y0 <= placed.y <= y1


def test_labels_stay_inside_the_view_and_every_district_is_named():
    for city in basemap.cities().values():
        drawn = basemap.render(map_id="m", title="t", desc="d", city=city, width=480)
        assert [d.name for d in drawn.districts] == [d.name for d in city.districts]
        for d in drawn.districts:
            half = len(d.name) * d.font_size / 2
            assert half <= d.label_x + 2 and d.label_x + half <= drawn.width + 2
            assert d.font_size <= d.label_y + 2 <= drawn.height
            assert basemap.MIN_FONT <= d.font_size <= basemap.FONT


def test_the_city_comes_from_markers_then_district_names_then_the_tenant():
    futian = basemap.Marker(lon=114.0579, lat=22.5410, title="福田")
    assert basemap.pick_city(markers=[futian], places=["成都市分公司"]).name == "深圳"
    assert basemap.pick_city(district_names=["天河区", "越秀区"], places=["深圳"]).name == "广州"
    assert basemap.pick_city(places=["成都市分公司", "四川省分公司"]).name == "成都"
    assert basemap.pick_city(places=["广东省12345热线"], district_names=["某某区"]) is None


def test_markers_no_outline_covers_get_a_plain_box_labelled_as_such():
    far = [basemap.Marker(lon=87.6, lat=43.8, title="a"), basemap.Marker(87.7, 43.9, "b")]
    city = basemap.pick_city(markers=far)
    drawn = basemap.render(map_id="m", title="t", desc="d", markers=far, city=city)
    assert city is None and drawn.extent_only and drawn.districts == []
    xs = [m.x for m in drawn.markers]
    assert all(0 < x < drawn.width for x in xs) and xs[0] < xs[1]  # east is right


def test_a_choropleth_shades_districts_by_value():
    city = basemap.cities()["guangzhou"]
    drawn = basemap.render(
        map_id="m", title="t", desc="d", city=city, values={"天河区": 6, "黄埔区": 1}
    )
    fills = {d.name: d.fill for d in drawn.districts}
    assert fills["天河区"] == basemap.SHADES[-1]
    assert fills["越秀区"] == basemap.SHADES[0]
    assert fills["黄埔区"] not in (basemap.SHADES[0], basemap.SHADES[-1])


def test_a_markers_click_area_covers_its_circle_picture_and_label():
    city = basemap.cities()["shenzhen"]
    marker = basemap.Marker(lon=114.0579, lat=22.541, title="t", label="福田营业厅", image="/x")
    [drawn] = basemap.render(map_id="m", title="t", desc="d", markers=[marker], city=city).markers
    x, y, w, h = drawn.hit
    assert x <= drawn.x - marker.radius and drawn.x + marker.radius <= x + w
    assert x <= drawn.image_x and drawn.image_x + 48 <= x + w + 0.1
    assert y <= drawn.y - marker.radius and drawn.image_y + 36 <= y + h + 0.1
    label_end = drawn.label_x + len(marker.label) * basemap.MARKER_FONT
    assert x <= drawn.label_x <= x + w and (label_end <= x + w + 0.1 or drawn.anchor == "end")


def test_a_provincial_centre_with_orders_in_two_cities_gets_both_on_one_map():
    names = ["天河区", "越秀区", "海珠区", "南山区", "福田区"]
    both = basemap.pick_city(district_names=names, places=["广东省12345热线"])
    assert both.name == "广州、深圳"  # the city holding more first
    districts = {d.name for d in both.districts}
    assert {"天河区", "南山区"} <= districts
    drawn = basemap.render(
        map_id="m", title="t", desc="d", city=both, values={"天河区": 3, "南山区": 2}
    )
    shaded = {d.name for d in drawn.districts if d.fill != basemap.SHADES[0]}
    assert shaded == {"天河区", "南山区"}
    guangzhou, shenzhen = basemap.cities()["guangzhou"], basemap.cities()["shenzhen"]
    assert len(drawn.districts) == len(guangzhou.districts) + len(shenzhen.districts)

    # Markers the same way; one stray marker in a third city does not pull it in.
    spots = [basemap.Marker(lon=113.33, lat=23.13, title="天河")] * 3
    spots += [basemap.Marker(lon=113.93, lat=22.53, title="南山")] * 2
    spots += [basemap.Marker(lon=104.08, lat=30.66, title="锦江")]
    assert basemap.pick_city(markers=spots).name == "广州、深圳"
    # By district names: a quarter from Shenzhen draws it too, one name in six does not.
    assert basemap.pick_city(district_names=[*names[:3], "南山区"]).name == "广州、深圳"
    guangzhou_five = ["天河区", "越秀区", "海珠区", "白云区", "黄埔区"]
    assert basemap.pick_city(district_names=[*guangzhou_five, "南山区"]).name == "广州"
