"""Live alerts over WebSocket (this tenant's only), signed webhooks with capped retries."""

import hashlib
import hmac
import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore

from suite.asgi import application
from tests.cross_tenant import covers
from tests.sockets import Communicator
from tests.suite.test_realtime import closed_with
from video_analytics import services
from video_analytics.models import DeliveryStatus, WebhookDelivery

from .helpers import make_event

PATH = "/ws/video-analytics/alerts/"


def _headers(user):
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return [
        (b"cookie", f"{settings.SESSION_COOKIE_NAME}={session.session_key}".encode()),
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
    ]


@covers("ws-va-alerts")
@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_alerts_reach_only_the_owning_tenant(admin_a, admin_b, camera_a, camera_b):
    ws_a = Communicator(application, PATH, headers=await sync_to_async(_headers)(admin_a))
    ws_b = Communicator(application, PATH, headers=await sync_to_async(_headers)(admin_b))
    assert (await ws_a.connect())[0] and (await ws_b.connect())[0]
    hello = await ws_a.receive_json_from()
    assert hello["type"] == "hello" and "va.alerts" in hello["seq"]
    await ws_b.receive_json_from()

    event = await sync_to_async(make_event)(camera_a, description="东门入口: 闯入")
    alert = await ws_a.receive_json_from(timeout=5)
    assert alert["type"] == "va.event" and alert["event"]["id"] == event.pk
    assert (
        alert["event"]["description"] == "东门入口: 闯入"
        and alert["seq"] == hello["seq"]["va.alerts"] + 1
    )
    assert await ws_b.receive_nothing(timeout=0.3)

    await sync_to_async(services.event_acknowledge)(event=event, user=admin_a)
    status = await ws_a.receive_json_from(timeout=5)
    assert status["type"] == "va.event.status" and status["event"]["status"] == "acknowledged"
    assert await ws_b.receive_nothing(timeout=0.3)
    await ws_a.disconnect()
    await ws_b.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_anonymous_sockets_are_refused(db):
    headers = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    assert await closed_with(PATH, headers) == 4401


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        code = Receiver.answers.pop(0) if Receiver.answers else 200
        self.send_response(code)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver(settings):
    settings.VIDEO_ANALYTICS_WEBHOOK_HOSTS = ["127.0.0.1"]  # the test's own server
    Receiver.answers, Receiver.received = [], []
    server = HTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()
    server.server_close()


@pytest.mark.django_db
def test_webhook_is_signed_and_delivered(receiver, tenant_a, camera_a, commit):
    _endpoint, secret = services.webhook_endpoint_create(
        tenant=tenant_a, name="值班", url=receiver, min_severity="medium"
    )
    with commit():
        event = make_event(camera_a, severity="high")
        make_event(camera_a, severity="low", description="below the endpoint's threshold")
    assert len(Receiver.received) == 1
    headers, body = Receiver.received[0]
    timestamp, signature = (
        part.split("=", 1)[1] for part in headers["X-Suite-Signature"].split(",")
    )
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    assert hmac.compare_digest(signature, expected.hexdigest())
    payload = json.loads(body)
    assert payload["event"]["id"] == event.pk and payload["event"]["severity"] == "high"
    delivery = WebhookDelivery.objects.get(event=event)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.response_code == 200


@pytest.mark.django_db
def test_webhook_retries_are_capped(receiver, tenant_a, camera_a):
    services.webhook_endpoint_create(tenant=tenant_a, name="坏", url=receiver)
    Receiver.answers = [503] * 10
    event = make_event(camera_a)
    delivery = WebhookDelivery.objects.get(event=event)
    outcomes = [
        services.webhook_attempt(tenant_id=tenant_a.pk, delivery_id=delivery.pk) for _ in range(7)
    ]
    assert outcomes[:4] == ["retry"] * 4 and outcomes[4] == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == services.WEBHOOK_MAX_ATTEMPTS == len(Receiver.received)
    assert delivery.status == DeliveryStatus.FAILED and delivery.response_code == 503


@pytest.mark.django_db
def test_a_4xx_answer_is_not_retried_and_a_dead_host_is(receiver, tenant_a, camera_a, tenant_b):
    services.webhook_endpoint_create(tenant=tenant_a, name="拒收", url=receiver)
    Receiver.answers = [410]
    event = make_event(camera_a)
    delivery = WebhookDelivery.objects.get(event=event)
    assert services.webhook_attempt(tenant_id=tenant_a.pk, delivery_id=delivery.pk) == "failed"
    # another tenant's id finds nothing
    assert services.webhook_attempt(tenant_id=tenant_b.pk, delivery_id=delivery.pk) == "failed"
    endpoint, _ = services.webhook_endpoint_create(
        tenant=tenant_a, name="不在", url="http://127.0.0.1:9/nothing"
    )
    dead = WebhookDelivery.objects.create(tenant=tenant_a, endpoint=endpoint, event=event)
    assert (
        services.webhook_attempt(tenant_id=tenant_a.pk, delivery_id=dead.pk, timeout_s=1) == "retry"
    )
    dead.refresh_from_db()
    assert "ConnectError" in dead.error


@pytest.mark.django_db
def test_webhooks_cannot_target_internal_addresses(tenant_a, camera_a, settings, monkeypatch):
    from suite.errors import InvalidInput

    settings.VIDEO_ANALYTICS_WEBHOOK_HOSTS = []
    for url in (
        "http://127.0.0.1:8000/admin",
        "http://10.0.0.8/hook",
        "http://localhost/x",
        "http://169.254.169.254/latest/meta-data",
    ):
        with pytest.raises(InvalidInput, match="internal"):
            services.webhook_endpoint_create(tenant=tenant_a, name="x", url=url)
    # a name that resolves inside is refused at delivery, at once, without retries
    endpoint, _ = services.webhook_endpoint_create(
        tenant=tenant_a, name="dns", url="https://hooks.example.com/va"
    )
    event = make_event(camera_a)
    delivery = WebhookDelivery.objects.get(event=event, endpoint=endpoint)
    import socket

    monkeypatch.setattr(socket, "getaddrinfo", lambda host, port: [(2, 1, 6, "", ("10.1.2.3", 0))])
    assert services.webhook_attempt(tenant_id=tenant_a.pk, delivery_id=delivery.pk) == "failed"
    delivery.refresh_from_db()
    assert delivery.attempts == 1 and "internal address" in delivery.error
