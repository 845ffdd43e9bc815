"""API keys: the "video" scope opens the REST API and live alerts, this tenant's only."""

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse
from rest_framework.test import APIClient

from suite.accounts.services import api_key_create
from suite.asgi import application
from suite.audit.models import AuditEntry
from tests.sockets import Communicator
from video_analytics.models import EventStatus

from .helpers import make_event

PATH = "/ws/video-analytics/alerts/"


def client_with(raw: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    api.cookies["django_language"] = "en"
    return api


@pytest.mark.django_db
def test_a_key_with_the_video_scope_uses_the_api_within_its_tenant(tenant_a, camera_a, camera_b):
    key = api_key_create(tenant=tenant_a, name="集成", scopes=["video"])
    api = client_with(key.raw)
    listing = api.get(reverse("api:va-camera-list")).json()
    rows = listing.get("results", listing)
    assert [c["id"] for c in rows] == [camera_a.pk]
    # another tenant's camera is a 404, exactly like a missing one
    assert api.get(reverse("api:va-camera-detail", args=[camera_b.pk])).status_code == 404
    assert api.get(reverse("api:va-camera-detail", args=[10**9])).status_code == 404

    created = api.post(reverse("api:va-camera-list"), {"name": "北门"}, format="json")
    assert created.status_code == 201, created.content
    theirs = make_event(camera_b)
    assert api.post(reverse("api:va-event-acknowledge", args=[theirs.pk]), {}).status_code == 404
    mine = make_event(camera_a)
    done = api.post(reverse("api:va-event-acknowledge", args=[mine.pk]), {"note": "已派人"})
    assert done.status_code == 200, done.content
    mine.refresh_from_db()
    # a key is no person: nobody is recorded as the one who acknowledged
    assert mine.status == EventStatus.ACKNOWLEDGED and mine.acknowledged_by is None
    # ...but the audit trail names the key
    label = f"api-key {key.record.prefix}…"
    written = [("camera.create", created.json()["id"]), ("event.acknowledge", mine.pk)]
    for action, pk in written:
        entry = AuditEntry.objects.get(action=f"video_analytics.{action}", object_id=str(pk))
        assert entry.actor is None and entry.actor_label == label
    theirs.refresh_from_db()
    assert theirs.status == EventStatus.NEW
    assert api.get(reverse("api:va-stats")).status_code == 200


@pytest.mark.django_db
def test_a_key_without_the_video_scope_is_refused(tenant_a, camera_a):
    api = client_with(api_key_create(tenant=tenant_a, name="模型", scopes=["maas"]).raw)
    for url in (
        reverse("api:va-camera-list"),
        reverse("api:va-camera-detail", args=[camera_a.pk]),
        reverse("api:va-event-list"),
        reverse("api:va-stats"),
    ):
        response = api.get(url)
        assert response.status_code == 403, url
        assert response.json()["error"]["message"] == "This API key lacks the 'video' scope."
    assert api.post(reverse("api:va-camera-list"), {"name": "x"}, format="json").status_code == 403


async def _connect(raw: str | None) -> tuple[Communicator, bool, int | None]:
    headers = [(b"host", b"testserver")]
    if raw:
        headers.append((b"authorization", f"Bearer {raw}".encode()))
    ws = Communicator(application, PATH, headers=headers)
    connected, code = await ws.connect()
    return ws, connected, code


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_alerts_socket_takes_a_scoped_key_and_sends_its_tenant_only(
    tenant_a, tenant_b, camera_a, camera_b
):
    make = sync_to_async(api_key_create)
    key_a = (await make(tenant=tenant_a, name="a", scopes=["video"])).raw
    unscoped = (await make(tenant=tenant_a, name="m", scopes=["maas"])).raw

    ws, connected, _ = await _connect(unscoped)
    assert connected  # accepted, then closed with a code the integrator can act on
    assert await ws.receive_output(timeout=5) == {"type": "websocket.close", "code": 4403}

    ws, connected, _ = await _connect(key_a)
    assert connected
    hello = await ws.receive_json_from()
    assert hello["tenant"] == tenant_a.slug
    await sync_to_async(make_event)(camera_b, description="成都: 闯入")
    assert await ws.receive_nothing(timeout=0.3)
    event = await sync_to_async(make_event)(camera_a, description="东门入口: 闯入")
    alert = await ws.receive_json_from(timeout=5)
    assert alert["type"] == "va.event" and alert["event"]["id"] == event.pk
    await ws.disconnect()
