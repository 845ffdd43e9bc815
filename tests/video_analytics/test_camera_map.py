"""The camera map: the tenant's cameras on its city's district outlines."""

from django.urls import reverse

from video_analytics import services


def test_the_map_shows_the_city_districts_and_only_the_own_tenants_cameras(
    analyst, tenant_a, tenant_b, camera_a
):
    services.camera_create(tenant=tenant_a, name="科技园东门", latitude=22.5405, longitude=113.953)
    other = services.camera_create(
        tenant=tenant_b, name="天府广场西", latitude=30.6598, longitude=104.0633
    )
    page = analyst.get(reverse("video_analytics:home"))
    html = page.content.decode()
    drawn = page.context["camera_map"]
    assert drawn.city.name == "深圳"
    assert 'data-district="福田区"' in html and 'data-district="南山区"' in html
    assert ">福田区</text>" in html  # a visible label, not only a tooltip
    assert sorted(m.marker.label for m in drawn.markers) == ["东门入口", "科技园东门"]
    assert reverse("video_analytics:camera_detail", args=[camera_a.pk]) in html
    assert f"<title>{camera_a.name} · " in html
    assert other.name not in html and "青羊区" not in html
    assert analyst.get(reverse("video_analytics:camera_detail", args=[other.pk])).status_code == 404


def test_marker_colours_follow_the_status_and_the_legend_names_those_shown(analyst, camera_a):
    from video_analytics.models import Camera, CameraStatus
    from video_analytics.selectors import STATUS_COLOURS

    Camera.objects.filter(pk=camera_a.pk).update(status=CameraStatus.OFFLINE)
    drawn = analyst.get(reverse("video_analytics:home")).context["camera_map"]
    [marker] = drawn.markers
    assert marker.marker.color == STATUS_COLOURS[CameraStatus.OFFLINE]
    assert [(c, str(label)) for c, label in drawn.legend] == [
        (STATUS_COLOURS[CameraStatus.OFFLINE], "Offline")
    ]


def test_cameras_outside_every_shipped_city_get_a_plain_extent_box(analyst, tenant_a):
    services.camera_create(tenant=tenant_a, name="乌鲁木齐站", latitude=43.8, longitude=87.6)
    services.camera_create(tenant=tenant_a, name="乌鲁木齐北", latitude=43.9, longitude=87.6)
    page = analyst.get(reverse("video_analytics:home"))
    assert page.context["camera_map"].extent_only
    html = page.content.decode()
    assert "data-district" not in html and "plain box fitted to the markers" in html


def test_with_no_camera_located_the_tenants_city_is_drawn_empty(client, tenant_b):
    from suite.tenancy.models import Role
    from tests.factories import member

    services.camera_create(tenant=tenant_b, name="成都 B 摄像头")  # no coordinates
    client.force_login(member(tenant_b, Role.VIDEO_ANALYST, username="analyst_b"))
    client.cookies["django_language"] = "en"
    page = client.get(reverse("video_analytics:home"))
    drawn = page.context["camera_map"]
    assert drawn.city.name == "成都" and drawn.markers == []
    html = page.content.decode()
    assert ">青羊区</text>" in html and "No camera has coordinates yet." in html
