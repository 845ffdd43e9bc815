"""WebSocket auth (API key, or session plus Origin), tenant-scoped groups and sequence numbers."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import path

from suite.accounts.services import api_key_create, api_key_revoke
from suite.asgi import application
from suite.jobs.services import JOBS_GROUP
from suite.realtime.consumers import TenantConsumer
from suite.realtime.middleware import WebsocketAuthStack
from suite.realtime.publish import tenant_group_send
from tests.cross_tenant import covers
from tests.sockets import Communicator

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _connect(headers=(), path="/ws/jobs/"):
    communicator = Communicator(application, path, headers=list(headers))
    connected, code = await communicator.connect()
    return communicator, connected, code


async def closed_with(path: str, headers=(), app=application) -> int:
    """The close code of a socket the server accepted and then refused (README: 4401 no valid
    credentials, 4403 not for this socket); fails when the handshake itself was refused."""
    communicator = Communicator(app, path, headers=list(headers))
    connected, code = await communicator.connect()
    assert connected, f"{path}: refused in the handshake ({code}), not with a close code"
    try:
        message = await communicator.receive_output(timeout=5)
    finally:
        # A refused consumer still holds its channel-layer receive until the client hangs up;
        # left to the event loop's teardown, cancelling that receive can hang on channels-redis.
        await communicator.disconnect()
    assert message["type"] == "websocket.close", message
    return message["code"]


async def _browser(user):
    cookie = await sync_to_async(_session_cookie)(user)
    return [
        (b"cookie", cookie.encode()),
        (b"host", b"testserver"),
        (b"origin", b"http://testserver"),
    ]


@covers("ws-jobs")
async def test_job_events_reach_only_the_owning_tenant(tenant_a, admin_a, admin_b):
    ws_a, ok_a, _ = await _connect(await _browser(admin_a))
    ws_b, ok_b, _ = await _connect(await _browser(admin_b))
    assert ok_a and ok_b
    hello_a = await ws_a.receive_json_from()
    assert hello_a["type"] == "hello" and hello_a["tenant"] == "gd-sz"
    await ws_b.receive_json_from()

    await sync_to_async(tenant_group_send)(tenant_a.pk, JOBS_GROUP, {"type": "job.updated", "n": 1})
    await sync_to_async(tenant_group_send)(tenant_a.pk, JOBS_GROUP, {"type": "job.updated", "n": 2})
    first, second = await ws_a.receive_json_from(), await ws_a.receive_json_from()
    assert (first["n"], second["n"]) == (1, 2)
    assert second["seq"] == first["seq"] + 1
    assert first["seq"] == hello_a["seq"][JOBS_GROUP] + 1
    assert await ws_b.receive_nothing(timeout=0.3)
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_session_auth_needs_an_allowed_origin(admin_a):
    cookie = await sync_to_async(_session_cookie)(admin_a)
    base = [(b"cookie", cookie.encode()), (b"host", b"testserver")]
    ws, ok, _ = await _connect([*base, (b"origin", b"http://testserver")])
    assert ok
    assert (await ws.receive_json_from())["tenant"] == "gd-sz"
    await ws.disconnect()

    assert await closed_with("/ws/jobs/", [*base, (b"origin", b"https://evil.example")]) == 4403
    # no Origin: a non-browser client must use an API key
    assert await closed_with("/ws/jobs/", base) == 4401


async def test_bad_or_revoked_or_unscoped_keys_are_refused(tenant_a):
    assert await closed_with("/ws/jobs/", [(b"authorization", b"Bearer sk-wrong")]) == 4401
    issued = await sync_to_async(api_key_create)(tenant=tenant_a, name="hl", scopes=["hotline"])
    await sync_to_async(api_key_revoke)(key=issued.record)
    assert await closed_with(f"/ws/jobs/?api_key={issued.raw}") == 4401
    unscoped = await sync_to_async(api_key_create)(tenant=tenant_a, name="m", scopes=["maas"])
    assert await closed_with("/ws/probe/", [], app=probe_app_for(unscoped.raw)) == 4403


class CallcenterProbeConsumer(TenantConsumer):
    tenant_groups = ("probe",)
    api_key_scope = "callcenter"
    required_roles = frozenset({"tenant_admin"})


probe_app = WebsocketAuthStack(URLRouter([path("ws/probe/", CallcenterProbeConsumer.as_asgi())]))


async def test_api_key_clients_join_only_their_tenant_group(tenant_a, tenant_b, key_a, key_b):
    ws_a = Communicator(
        probe_app, "/ws/probe/", headers=[(b"authorization", f"Bearer {key_a}".encode())]
    )
    ws_b = Communicator(probe_app, f"/ws/probe/?api_key={key_b}")
    assert (await ws_a.connect())[0] and (await ws_b.connect())[0]
    assert (await ws_a.receive_json_from())["tenant"] == "gd-sz"
    assert (await ws_b.receive_json_from())["tenant"] == "sc-cd"
    await sync_to_async(tenant_group_send)(tenant_b.pk, "probe", {"type": "x"})
    assert (await ws_b.receive_json_from())["group"] == "probe"
    assert await ws_a.receive_nothing(timeout=0.3)
    await ws_a.disconnect()
    await ws_b.disconnect()


async def test_job_progress_is_pushed_to_the_portal_socket(tenant_a, admin_a):
    from suite.jobs.services import job_set_progress
    from tests.factories import JobFactory

    job = await sync_to_async(JobFactory)(tenant=tenant_a, kind="probe.progress")
    ws, ok, _ = await _connect(await _browser(admin_a))
    assert ok
    await ws.receive_json_from()  # hello
    await sync_to_async(job_set_progress)(job=job, progress=40, message="halfway")
    event = await ws.receive_json_from()
    assert event["type"] == "job.updated"
    assert event["job"] == {**event["job"], "id": str(job.pk), "progress": 40, "message": "halfway"}
    await ws.disconnect()


async def test_a_subscriber_gets_only_their_own_job_events(tenant_a, admin_a):
    from suite.jobs.services import job_set_progress, job_succeed
    from suite.tenancy.models import Role
    from tests.factories import JobFactory, member

    alice = await sync_to_async(member)(tenant_a, Role.SUBSCRIBER, username="alice")
    bob = await sync_to_async(member)(tenant_a, Role.SUBSCRIBER, username="bob")
    alices = await sync_to_async(JobFactory)(tenant=tenant_a, kind="probe.alice", created_by=alice)
    bobs = await sync_to_async(JobFactory)(tenant=tenant_a, kind="probe.bob", created_by=bob)
    system = await sync_to_async(JobFactory)(tenant=tenant_a, kind="probe.system")

    ws_alice, ok_alice, _ = await _connect(await _browser(alice))
    ws_staff, ok_staff, _ = await _connect(await _browser(admin_a))
    assert ok_alice and ok_staff
    hello = await ws_alice.receive_json_from()
    assert JOBS_GROUP not in hello["seq"]  # never the tenant-wide group
    await ws_staff.receive_json_from()

    await sync_to_async(job_set_progress)(job=bobs, progress=30, message="bob's photo")
    await sync_to_async(job_succeed)(job=system, result={"rows": 3})
    await sync_to_async(job_set_progress)(job=alices, progress=50, message="alice's")

    event = await ws_alice.receive_json_from()
    assert event["job"]["id"] == str(alices.pk) and event["job"]["message"] == "alice's"
    (group,) = hello["seq"]
    assert event["group"] == group and event["seq"] == hello["seq"][group] + 1
    assert await ws_alice.receive_nothing(timeout=0.3)

    # Staff still follow every job of the tenant, once each, in order.
    seen = [(await ws_staff.receive_json_from())["job"]["id"] for _ in range(3)]
    assert seen == [str(bobs.pk), str(system.pk), str(alices.pk)]
    assert await ws_staff.receive_nothing(timeout=0.3)
    await ws_alice.disconnect()
    await ws_staff.disconnect()


def probe_app_for(raw: str):
    """The callcenter-scoped probe socket, the key sent as a Bearer header."""

    async def app(scope, receive, send):
        headers = [*scope.get("headers", []), (b"authorization", f"Bearer {raw}".encode())]
        return await probe_app({**scope, "headers": headers}, receive, send)

    return app


async def test_a_feed_ignores_what_clients_send_even_json_nested_past_the_parser(tenant_a, admin_a):
    ws, ok, _ = await _connect(await _browser(admin_a))
    assert ok
    await ws.receive_json_from()  # hello
    await ws.send_to(text_data="[" * 5000 + "]" * 5000)
    await ws.send_to(text_data="not json")
    await sync_to_async(tenant_group_send)(tenant_a.pk, JOBS_GROUP, {"type": "job.updated", "n": 7})
    assert (await ws.receive_json_from())["n"] == 7
    await ws.disconnect()


async def test_an_open_feed_closes_when_its_key_is_revoked(tenant_a, key_a, settings):
    from suite.accounts.models import ApiKey

    settings.WEBSOCKET_RECHECK_S = 0.2
    ws = Communicator(
        probe_app, "/ws/probe/", headers=[(b"authorization", f"Bearer {key_a}".encode())]
    )
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "hello"
    key = await sync_to_async(ApiKey.objects.get)(tenant=tenant_a)
    await sync_to_async(api_key_revoke)(key=key)
    message = await ws.receive_output(timeout=5)
    assert message == {"type": "websocket.close", "code": 4401}


async def test_an_open_feed_closes_when_the_user_loses_the_role_or_the_account(
    tenant_a, admin_a, settings
):
    from suite.tenancy.models import Membership

    settings.WEBSOCKET_RECHECK_S = 0.2
    ws = Communicator(probe_app, "/ws/probe/", headers=await _browser(admin_a))
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "hello"
    await sync_to_async(Membership.objects.filter(user=admin_a, tenant=tenant_a).delete)()
    assert (await ws.receive_output(timeout=5))["code"] == 4403

    await sync_to_async(Membership.objects.create)(
        user=admin_a, tenant=tenant_a, role="tenant_admin"
    )
    ws = Communicator(probe_app, "/ws/probe/", headers=await _browser(admin_a))
    assert (await ws.connect())[0]
    assert (await ws.receive_json_from())["type"] == "hello"
    admin_a.is_active = False
    await sync_to_async(admin_a.save)()
    assert (await ws.receive_output(timeout=5))["code"] == 4401
