"""WebSocket auth (API key, or session plus Origin), tenant-scoped groups and sequence numbers."""

import pytest
from asgiref.sync import sync_to_async
from channels.routing import URLRouter
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.urls import path

from suite.accounts.services import api_key_create
from suite.asgi import application
from suite.jobs.services import JOBS_GROUP
from suite.realtime.consumers import TenantConsumer
from suite.realtime.middleware import WebsocketAuthStack
from suite.realtime.publish import tenant_group_send
from tests.cross_tenant import covers

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _session_cookie(user) -> str:
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


async def _connect(headers=(), path="/ws/jobs/"):
    communicator = WebsocketCommunicator(application, path, headers=list(headers))
    connected, code = await communicator.connect()
    return communicator, connected, code


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

    _, ok, _ = await _connect([*base, (b"origin", b"https://evil.example")])
    assert not ok
    _, ok, _ = await _connect(base)  # no Origin: a non-browser client must use an API key
    assert not ok


async def test_bad_or_revoked_or_unscoped_keys_are_refused(tenant_a):
    _, ok, _ = await _connect([(b"authorization", b"Bearer sk-wrong")])
    assert not ok
    issued = await sync_to_async(api_key_create)(tenant=tenant_a, name="hl", scopes=["hotline"])
    _, ok, _ = await _connect(path=f"/ws/jobs/?api_key={issued.raw}")
    # /ws/jobs/ takes no API-key scope: it is for the portal's session users.
    assert not ok


class CallcenterProbeConsumer(TenantConsumer):
    tenant_groups = ("probe",)
    api_key_scope = "callcenter"


probe_app = WebsocketAuthStack(URLRouter([path("ws/probe/", CallcenterProbeConsumer.as_asgi())]))


async def test_api_key_clients_join_only_their_tenant_group(tenant_a, tenant_b, key_a, key_b):
    ws_a = WebsocketCommunicator(
        probe_app, "/ws/probe/", headers=[(b"authorization", f"Bearer {key_a}".encode())]
    )
    ws_b = WebsocketCommunicator(probe_app, f"/ws/probe/?api_key={key_b}")
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
