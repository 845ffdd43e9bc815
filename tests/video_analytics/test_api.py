"""REST API: thin views over the services; another tenant's objects are 404 like missing ones."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.cross_tenant import covers
from video_analytics import services
from video_analytics.models import Analysis, Camera, EventStatus, Rule, Zone

from .helpers import make_event
from .synthetic import moving_block_frames, write_clip

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(api_client_a):
    return api_client_a


@covers("api:va-camera-list", "api:va-camera-detail")
def test_cameras_crud_and_isolation(api, tenant_a, camera_a, camera_b):
    listing = api.get(reverse("api:va-camera-list")).json()
    names = (
        [c["name"] for c in listing["results"]]
        if "results" in listing
        else [c["name"] for c in listing]
    )
    assert names == [camera_a.name]
    detail = reverse("api:va-camera-detail", args=[camera_a.pk])
    assert api.patch(detail, {"sample_fps": 2, "tags": ["夜间"]}, format="json").status_code == 200
    camera_a.refresh_from_db()
    assert camera_a.sample_fps == 2 and camera_a.tags == ["夜间"]
    bad = api.patch(detail, {"sample_fps": 99}, format="json")
    assert bad.status_code == 400 and "sample rate" in bad.json()["error"]["message"]
    duplicate = api.post(reverse("api:va-camera-list"), {"name": camera_a.name}, format="json")
    assert duplicate.status_code == 400 and "already exists" in duplicate.json()["error"]["message"]
    other = reverse("api:va-camera-detail", args=[camera_b.pk])
    assert api.get(other).status_code == 404
    assert api.patch(other, {"name": "x"}, format="json").status_code == 404
    assert api.delete(other).status_code == 404
    assert Camera.objects.filter(pk=camera_b.pk).exists()
    assert api.delete(detail).status_code == 204
    assert not Camera.objects.filter(pk=camera_a.pk).exists()


@covers("api:va-camera-clips", "api:va-analysis-list", "api:va-analysis-detail")
def test_clip_upload_and_analyses(api, camera_a, camera_b, tmp_path, tenant_b, commit):
    services.camera_update(camera=camera_a, stages=["motion"])
    data = write_clip(tmp_path / "c.mp4", moving_block_frames(20)).read_bytes()
    with commit():
        response = api.post(
            reverse("api:va-camera-clips", args=[camera_a.pk]),
            {"file": SimpleUploadedFile("c.mp4", data)},
            format="multipart",
        )
    assert response.status_code == 202, response.content
    analysis_id = response.json()["id"]
    detail = api.get(reverse("api:va-analysis-detail", args=[analysis_id])).json()
    assert detail["status"] == "done" and detail["frames_analysed"] == 10
    bad = api.post(
        reverse("api:va-camera-clips", args=[camera_a.pk]),
        {"file": SimpleUploadedFile("c.mp4", b"garbage" * 10)},
        format="multipart",
    )
    assert bad.status_code == 400 and bad.json()["error"]["fields"]["file"]
    assert (
        api.post(
            reverse("api:va-camera-clips", args=[camera_b.pk]),
            {"file": SimpleUploadedFile("c.mp4", data)},
            format="multipart",
        ).status_code
        == 404
    )
    theirs = Analysis.objects.create(tenant=tenant_b, camera=camera_b)
    assert api.get(reverse("api:va-analysis-detail", args=[theirs.pk])).status_code == 404
    ids = [a["id"] for a in api.get(reverse("api:va-analysis-list")).json()["results"]]
    assert ids == [analysis_id]


@covers("api:va-zone-list", "api:va-zone-detail")
def test_zones_validated_and_scoped(api, camera_a, camera_b):
    url = reverse("api:va-zone-list")
    ok = api.post(
        url,
        {"camera": camera_a.pk, "name": "门口", "kind": "line", "points": [[0.1, 0.5], [0.9, 0.5]]},
        format="json",
    )
    assert ok.status_code == 201, ok.content
    outside = api.post(
        url,
        {"camera": camera_a.pk, "name": "外", "kind": "area", "points": [[0, 0], [1.2, 0], [0, 1]]},
        format="json",
    )
    assert outside.status_code == 400 and "outside the frame" in outside.json()["error"]["message"]
    crossing = api.post(
        url,
        {
            "camera": camera_a.pk,
            "name": "蝴蝶",
            "kind": "area",
            "points": [[0, 0], [1, 1], [1, 0], [0, 1]],
        },
        format="json",
    )
    assert crossing.status_code == 400 and "cross" in crossing.json()["error"]["message"]
    foreign = api.post(
        url,
        {"camera": camera_b.pk, "name": "x", "kind": "area", "points": [[0, 0], [1, 0], [0, 1]]},
        format="json",
    )
    assert foreign.status_code == 400 and not Zone.objects.filter(camera=camera_b).exists()
    zone_b = services.zone_save(camera=camera_b, name="B", points=[[0, 0], [1, 0], [0, 1]])
    assert api.get(reverse("api:va-zone-detail", args=[zone_b.pk])).status_code == 404
    assert api.delete(reverse("api:va-zone-detail", args=[zone_b.pk])).status_code == 404
    assert [z["name"] for z in api.get(url).json()["results"]] == ["门口"]


@covers("api:va-rule-list", "api:va-rule-detail")
def test_rules_validated_and_scoped(api, camera_a, camera_b):
    line = services.zone_save(camera=camera_a, name="线", kind="line", points=[[0.5, 0], [0.5, 1]])
    url = reverse("api:va-rule-list")
    ok = api.post(
        url,
        {
            "camera": camera_a.pk,
            "zone": line.pk,
            "name": "越线",
            "kind": "line_crossing",
            "severity": "high",
            "params": {"direction": "forward", "target": "any"},
            "schedule": {"days": [0, 1, 2, 3, 4], "start": "08:00", "end": "18:00"},
        },
        format="json",
    )
    assert ok.status_code == 201, ok.content
    rule = Rule.objects.get(pk=ok.json()["id"])
    assert rule.params["direction"] == "forward" and rule.schedule["start"] == "08:00"
    for params, schedule, message in [
        ({"direction": "sideways"}, {}, "direction"),
        ({"dwell_s": -3}, {}, "dwell_s"),
        ({}, {"start": "25:99", "end": "06:00"}, "22:00"),
    ]:
        bad = api.post(
            url,
            {
                "camera": camera_a.pk,
                "zone": line.pk,
                "name": "x",
                "kind": "line_crossing",
                "params": params,
                "schedule": schedule,
            },
            format="json",
        )
        assert bad.status_code == 400 and message in bad.json()["error"]["message"]
    rule_b = services.rule_save(camera=camera_b, name="B", kind="tampering")
    assert api.get(reverse("api:va-rule-detail", args=[rule_b.pk])).status_code == 404
    assert (
        api.patch(
            reverse("api:va-rule-detail", args=[rule_b.pk]), {"name": "y"}, format="json"
        ).status_code
        == 404
    )
    patched = api.patch(
        reverse("api:va-rule-detail", args=[rule.pk]), {"severity": "low"}, format="json"
    )
    assert patched.status_code == 200 and Rule.objects.get(pk=rule.pk).severity == "low"


@covers(
    "api:va-event-list", "api:va-event-detail", "api:va-event-acknowledge", "api:va-event-resolve"
)
def test_event_search_and_workflow(api, camera_a, camera_b):
    plate = make_event(camera_a, description="东门入口: 车辆闯入", ocr_text="粤B·D12345")
    make_event(camera_a, description="东门入口: 越线", kind="line_crossing", severity="low")
    theirs = make_event(camera_b, description="成都: 车辆闯入", ocr_text="粤B·D12345")
    url = reverse("api:va-event-list")
    found = api.get(url, {"q": "D12345"}).json()["results"]
    assert [e["id"] for e in found] == [plate.pk]
    assert found[0]["snapshot_url"].endswith(f"/events/{plate.pk}/snapshot/")
    assert [e["kind"] for e in api.get(url, {"kind": "line_crossing"}).json()["results"]] == [
        "line_crossing"
    ]
    assert api.get(url, {"camera": camera_b.pk}).json()["results"] == []
    assert api.get(url, {"since": "2030-01-01T00:00:00Z"}).json()["results"] == []
    assert api.get(url, {"since": "yesterday"}).status_code == 400
    ack = api.post(
        reverse("api:va-event-acknowledge", args=[plate.pk]), {"note": "已派人"}, format="json"
    )
    assert ack.status_code == 200 and ack.json()["status"] == EventStatus.ACKNOWLEDGED
    again = api.post(reverse("api:va-event-acknowledge", args=[plate.pk]), format="json")
    assert again.status_code == 400
    done = api.post(reverse("api:va-event-resolve", args=[plate.pk]), format="json")
    assert done.json()["status"] == EventStatus.RESOLVED
    for name in ("api:va-event-detail", "api:va-event-acknowledge", "api:va-event-resolve"):
        call = api.get if name.endswith("detail") else api.post
        assert call(reverse(name, args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == EventStatus.NEW


@covers(
    "api:va-webhook-list", "api:va-webhook-detail", "api:va-delivery-list", "api:va-delivery-detail"
)
def test_webhooks_show_the_secret_once(api, tenant_b, camera_b):
    created = api.post(
        reverse("api:va-webhook-list"),
        {"name": "值班", "url": "https://ops.example.com/hook", "min_severity": "high"},
        format="json",
    )
    assert created.status_code == 201 and created.json()["secret"].startswith("whsec_")
    listing = api.get(reverse("api:va-webhook-list")).content.decode()
    assert "whsec_" not in listing and "ops.example.com" in listing
    endpoint_b, _secret = services.webhook_endpoint_create(
        tenant=tenant_b, name="b", url="https://b.example.com"
    )
    assert api.get(reverse("api:va-webhook-detail", args=[endpoint_b.pk])).status_code == 404
    assert api.delete(reverse("api:va-webhook-detail", args=[endpoint_b.pk])).status_code == 404
    event_b = make_event(camera_b)
    delivery_b = event_b.deliveries.first()
    assert delivery_b is not None
    assert api.get(reverse("api:va-delivery-detail", args=[delivery_b.pk])).status_code == 404
    assert api.get(reverse("api:va-delivery-list")).json()["results"] == []


@covers("api:va-stats")
def test_stats_per_camera_and_zone(api, camera_a, camera_b):
    from django.utils import timezone

    zone = services.zone_save(camera=camera_a, name="大门", points=[[0, 0], [1, 0], [0, 1]])
    make_event(camera_a, zone=zone, at=timezone.now())
    make_event(camera_a, at=timezone.now())
    make_event(camera_b, at=timezone.now())
    stats = api.get(reverse("api:va-stats"), {"days": 7}).json()
    today = timezone.localdate().isoformat()
    assert stats["events_by_camera"] == {camera_a.name: {today: 2}}
    assert stats["events_by_zone"] == {"大门": {today: 1}}
    assert stats["storage"]["events"] == 2 and stats["storage"]["total_bytes"] > 0


def test_openapi_schema_builds_without_warnings(tmp_path):
    """`spectacular --fail-on-warn` raises on any warning, e.g. two enum sets named "kind"."""
    import yaml
    from django.core.management import call_command

    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    components = yaml.safe_load(out.read_text())["components"]["schemas"]
    rule = components["VideoAnalyticsRule"]["properties"]
    zone = components["VideoAnalyticsZone"]["properties"]
    assert rule["kind"]["$ref"].endswith("/VideoAnalyticsRuleKindEnum")
    assert zone["kind"]["$ref"].endswith("/VideoAnalyticsZoneKindEnum")
    webhook = components["VideoAnalyticsWebhook"]["properties"]
    assert webhook["min_severity"]["$ref"].endswith("/VideoAnalyticsSeverityEnum")
    assert components["VideoAnalyticsSeverityEnum"]["enum"][-1] == "critical"


@covers("api:va-webhook-rotate-secret")
def test_webhooks_are_updated_and_rotated_through_the_api(api, tenant_a, tenant_b):
    mine, first = services.webhook_endpoint_create(
        tenant=tenant_a, name="a", url="https://a.example.com"
    )
    theirs, _ = services.webhook_endpoint_create(
        tenant=tenant_b, name="b", url="https://b.example.com"
    )
    detail = reverse("api:va-webhook-detail", args=[mine.pk])
    patched = api.patch(detail, {"min_severity": "critical"}, format="json")
    assert patched.status_code == 200 and patched.json()["min_severity"] == "critical"
    mine.refresh_from_db()
    assert mine.url == "https://a.example.com" and mine.min_severity == "critical"
    bad = api.patch(detail, {"url": "http://10.0.0.8/hook"}, format="json")
    assert bad.status_code == 400 and "internal" in bad.content.decode()

    rotated = api.post(reverse("api:va-webhook-rotate-secret", args=[mine.pk]))
    assert rotated.status_code == 200
    assert rotated.json()["secret"].startswith("whsec_") and rotated.json()["secret"] != first
    other = reverse("api:va-webhook-rotate-secret", args=[theirs.pk])
    before = theirs.secret_encrypted
    assert api.post(other).status_code == 404
    other_detail = reverse("api:va-webhook-detail", args=[theirs.pk])
    assert api.patch(other_detail, {"min_severity": "info"}, format="json").status_code == 404
    theirs.refresh_from_db()
    assert theirs.secret_encrypted == before and theirs.min_severity != "info"
