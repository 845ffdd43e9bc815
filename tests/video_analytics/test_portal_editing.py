"""Editing zones and rules, and managing webhooks (disable, delete, delivery log) in the portal."""

import json

import pytest
from django.urls import reverse

from tests.cross_tenant import covers
from video_analytics import services
from video_analytics.models import DeliveryStatus, Rule, WebhookDelivery, WebhookEndpoint, Zone

from .helpers import make_event

pytestmark = pytest.mark.django_db

AREA = [[0.1, 0.1], [0.9, 0.1], [0.5, 0.8]]


@pytest.fixture
def admin(client, admin_a):
    from django.conf import settings

    client.force_login(admin_a)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def test_a_saved_zone_is_edited_in_place_and_another_tenants_is_404(analyst, camera_a, camera_b):
    zone = services.zone_save(camera=camera_a, name="大厅", points=AREA)
    url = reverse("video_analytics:zone_save", args=[camera_a.pk])
    moved = [[0.2, 0.2], [0.8, 0.2], [0.8, 0.9], [0.2, 0.9]]
    response = analyst.post(
        url,
        json.dumps({"id": zone.pk, "name": "大厅东侧", "kind": "area", "points": moved}),
        content_type="application/json",
    )
    assert response.status_code == 200 and response.json()["id"] == zone.pk
    zone.refresh_from_db()
    assert (zone.name, zone.points) == ("大厅东侧", moved)
    assert Zone.objects.filter(camera=camera_a).count() == 1

    # a bad edit keeps the saved zone as it was
    bad = analyst.post(
        url,
        json.dumps({"id": zone.pk, "name": "大厅东侧", "points": [[0, 0], [2, 0], [0, 1]]}),
        content_type="application/json",
    )
    assert bad.status_code == 400
    zone.refresh_from_db()
    assert zone.points == moved

    # another tenant's zone id through this tenant's camera is a 404, and it is unchanged
    theirs = services.zone_save(camera=camera_b, name="B 区", points=AREA)
    response = analyst.post(
        url,
        json.dumps({"id": theirs.pk, "name": "偷改", "points": moved}),
        content_type="application/json",
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "B 区" and theirs.points == AREA


@covers("video_analytics:rule_edit")
def test_a_rule_is_edited_and_another_tenants_is_404(analyst, camera_a, camera_b):
    zone = services.zone_save(camera=camera_a, name="大厅", points=AREA)
    rule = services.rule_save(
        camera=camera_a,
        zone=zone,
        name="闯入",
        kind="intrusion",
        severity="low",
        params={"target": "person", "cooldown_s": 120},
        schedule={"days": [0, 1], "start": "22:00", "end": "06:00"},
    )
    url = reverse("video_analytics:rule_edit", args=[camera_a.pk, rule.pk])
    form = analyst.get(url)
    assert form.status_code == 200
    page = form.content.decode()
    # the form is filled from the saved rule
    assert 'value="闯入"' in page and 'value="22:00"' in page

    response = analyst.post(
        url,
        {
            "name": "夜间滞留",
            "kind": "loitering",
            "zone": zone.pk,
            "severity": "high",
            "target": "any",
            "dwell_s": "45",
            "days": ["5", "6"],
        },
    )
    assert response.status_code == 302
    rule.refresh_from_db()
    assert (rule.name, rule.kind, rule.severity) == ("夜间滞留", "loitering", "high")
    # what the form edits is replaced; the API-only cooldown is kept; unticked means disabled
    assert rule.params == {"target": "any", "dwell_s": 45, "cooldown_s": 120}
    assert rule.schedule == {"days": [5, 6]} and rule.enabled is False

    bad = analyst.post(
        url, {"name": "越线", "kind": "line_crossing", "zone": zone.pk, "severity": "low",
              "target": "any", "enabled": "on"},
    )  # fmt: skip
    assert bad.status_code == 400 and "needs a line" in bad.content.decode()
    rule.refresh_from_db()
    assert rule.kind == "loitering"

    rule_b = services.rule_save(camera=camera_b, name="B", kind="tampering")
    for camera in (camera_a, camera_b):
        other = reverse("video_analytics:rule_edit", args=[camera.pk, rule_b.pk])
        assert analyst.get(other).status_code == 404
        post = {"name": "x", "kind": "tampering", "severity": "low", "target": "any"}
        assert analyst.post(other, post).status_code == 404
    assert Rule.objects.get(pk=rule_b.pk).name == "B"


def test_a_new_rule_from_the_camera_page_is_enabled(analyst, camera_a):
    response = analyst.post(
        reverse("video_analytics:rule_create", args=[camera_a.pk]),
        {"name": "遮挡", "kind": "tampering", "severity": "medium", "target": "any"},
    )
    assert response.status_code == 302
    assert Rule.objects.get(name="遮挡").enabled is True


@pytest.fixture
def endpoints(tenant_a, tenant_b):
    mine, _ = services.webhook_endpoint_create(
        tenant=tenant_a, name="值班系统", url="https://hooks.example.com/a"
    )
    theirs, _ = services.webhook_endpoint_create(
        tenant=tenant_b, name="成都值班", url="https://hooks.example.com/b"
    )
    return mine, theirs


@covers("video_analytics:webhook_toggle")
def test_webhooks_are_disabled_and_enabled_by_admins_of_the_tenant(
    admin, endpoints, camera_a, tenant_a
):
    mine, theirs = endpoints
    url = reverse("video_analytics:webhook_toggle", args=[mine.pk])
    assert admin.post(url).status_code == 302
    mine.refresh_from_db()
    assert mine.enabled is False
    assert ">Enable</button>" in admin.get(reverse("video_analytics:settings")).content.decode()
    # a disabled endpoint gets no delivery for a new event
    make_event(camera_a)
    assert not WebhookDelivery.objects.filter(endpoint=mine).exists()
    assert admin.post(url).status_code == 302
    mine.refresh_from_db()
    assert mine.enabled is True

    assert (
        admin.post(reverse("video_analytics:webhook_toggle", args=[theirs.pk])).status_code == 404
    )
    theirs.refresh_from_db()
    assert theirs.enabled is True
    # GET does not toggle
    assert admin.get(url).status_code == 405
    # analysts do not manage webhooks
    from django.test import Client

    from suite.tenancy.models import Role
    from tests.factories import member

    analyst = Client()
    analyst.force_login(member(tenant_a, Role.VIDEO_ANALYST, username="analyst_a"))
    assert analyst.post(url).status_code == 404
    mine.refresh_from_db()
    assert mine.enabled is True


def test_a_queued_retry_gives_up_once_its_webhook_is_disabled(endpoints, camera_a):
    mine, _ = endpoints
    event = make_event(camera_a)
    delivery = WebhookDelivery.objects.get(endpoint=mine, event=event)
    services.webhook_endpoint_set_enabled(endpoint=mine, enabled=False)
    # no request is made: the address is unroutable and would fail differently if it were
    outcome = services.webhook_attempt(tenant_id=mine.tenant_id, delivery_id=delivery.pk)
    delivery.refresh_from_db()
    assert outcome == "failed" and delivery.status == DeliveryStatus.FAILED
    assert delivery.error == "the webhook was disabled" and delivery.response_code is None


@covers("video_analytics:webhook_delete")
def test_webhooks_are_deleted_within_the_tenant_only(admin, endpoints):
    mine, theirs = endpoints
    response = admin.post(reverse("video_analytics:webhook_delete", args=[theirs.pk]))
    assert response.status_code == 404 and WebhookEndpoint.objects.filter(pk=theirs.pk).exists()
    assert admin.post(reverse("video_analytics:webhook_delete", args=[mine.pk])).status_code == 302
    assert not WebhookEndpoint.objects.filter(pk=mine.pk).exists()


@covers("video_analytics:webhook_deliveries")
def test_delivery_log_shows_this_endpoints_attempts_only(
    admin, endpoints, camera_a, camera_b, tenant_a, tenant_b
):
    mine, theirs = endpoints
    event = make_event(camera_a, description="东门入口: 闯入")
    delivery = WebhookDelivery.objects.get(endpoint=mine, event=event)
    delivery.status, delivery.attempts, delivery.response_code = DeliveryStatus.FAILED, 5, 503
    delivery.error = "HTTP 503"
    delivery.save()
    make_event(camera_b, description="成都: 越线")

    page = admin.get(reverse("video_analytics:webhook_deliveries", args=[mine.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "东门入口: 闯入" in body and "HTTP 503" in body and "成都: 越线" not in body
    assert admin.get(
        reverse("video_analytics:webhook_deliveries", args=[theirs.pk])
    ).status_code == 404  # fmt: skip


@covers("video_analytics:webhook_edit")
def test_a_webhook_is_edited_and_its_secret_replaced_within_the_tenant(admin, endpoints, camera_a):
    from video_analytics import crypto

    mine, theirs = endpoints
    url = reverse("video_analytics:webhook_edit", args=[mine.pk])
    assert 'value="https://hooks.example.com/a"' in admin.get(url).content.decode()
    new_url = "https://new.example.com/h"
    form = {"form": "webhook", "name": "新值班", "url": new_url, "min_severity": "critical"}
    saved = admin.post(url, form)
    assert saved.status_code == 302
    mine.refresh_from_db()
    assert (mine.name, mine.url, mine.min_severity) == (
        "新值班",
        "https://new.example.com/h",
        "critical",
    )
    internal = admin.post(
        url, {"form": "webhook", "name": "x", "url": "http://127.0.0.1/h", "min_severity": "low"}
    )
    assert internal.status_code == 400 and "internal addresses" in internal.content.decode()
    mine.refresh_from_db()
    assert mine.url == "https://new.example.com/h"

    old = crypto.decrypt(mine.secret_encrypted)
    rotated = admin.post(url, {"form": "rotate"})
    assert rotated.status_code == 200
    mine.refresh_from_db()
    new = crypto.decrypt(mine.secret_encrypted)
    assert new != old and new in rotated.content.decode() and old not in rotated.content.decode()

    theirs_url = reverse("video_analytics:webhook_edit", args=[theirs.pk])
    theirs_secret = theirs.secret_encrypted
    assert admin.get(theirs_url).status_code == 404
    assert admin.post(theirs_url, {"form": "rotate"}).status_code == 404
    post = {"form": "webhook", "name": "x", "url": "https://x.example.com", "min_severity": "low"}
    assert admin.post(theirs_url, post).status_code == 404
    theirs.refresh_from_db()
    assert theirs.secret_encrypted == theirs_secret and theirs.url == "https://hooks.example.com/b"
