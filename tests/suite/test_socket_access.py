"""Who may open each WebSocket: every route's wrong roles (and keys without the scope) are
refused, and a refusal is a close code the client can act on (4401 unauthenticated, 4403
forbidden) after the handshake, never a bare HTTP 403."""

import json

import pytest
from asgiref.sync import sync_to_async

from suite.accounts.services import api_key_create, api_key_revoke
from suite.asgi import application
from suite.jobs.services import job_set_progress
from suite.realtime.consumers import TenantConsumer
from suite.tenancy.models import Role
from tests.cross_tenant import refuses_wrong_roles
from tests.factories import JobFactory, UserFactory, member
from tests.sockets import Communicator
from tests.suite.test_realtime import _browser, _session_cookie, closed_with

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]

UNAUTHENTICATED, FORBIDDEN = 4401, 4403

# Portal sockets: (path, roles that may connect, roles that may not).
PORTAL_SOCKETS = {
    "ws-jobs": ("/ws/jobs/", [Role.SUBSCRIBER, Role.TENANT_ADMIN, Role.RINGTONE_REVIEWER], []),
    "ws-va-alerts": (
        "/ws/video-analytics/alerts/",
        [Role.VIDEO_ANALYST, Role.TENANT_ADMIN],
        [Role.SUBSCRIBER, Role.CS_AGENT, Role.RINGTONE_REVIEWER, Role.HOTLINE_AGENT],
    ),
    "ws-cs-agent": (
        "/ws/customer-service/agent/",
        [Role.CS_AGENT, Role.CS_SUPERVISOR, Role.TENANT_ADMIN],
        [Role.SUBSCRIBER, Role.VIDEO_ANALYST, Role.HOTLINE_AGENT],
    ),
    "ws-cs-queue": (
        "/ws/customer-service/queue/",
        [Role.CS_AGENT, Role.CS_SUPERVISOR, Role.TENANT_ADMIN],
        [Role.SUBSCRIBER, Role.VIDEO_ANALYST, Role.RINGTONE_REVIEWER],
    ),
    "ws-gov-hotline-agent": (
        "/ws/gov-hotline/agent/",
        [Role.HOTLINE_AGENT, Role.TENANT_ADMIN],
        [Role.SUBSCRIBER, Role.CS_AGENT, Role.DEPARTMENT_HANDLER],
    ),
}
# Call sockets take a `callcenter` API key only: no session, whatever its role.
CALL_SOCKETS = {
    "ws-callcenter-stream": "/ws/callcenter/stream/",
    "ws-callcenter-twilio": "/ws/callcenter/twilio/",
    "ws-gov-hotline-calls-stream": "/ws/gov-hotline/calls/stream/",
    "ws-gov-hotline-calls-twilio": "/ws/gov-hotline/calls/twilio/",
}


async def hello(path: str, headers=()) -> dict:
    ws = Communicator(application, path, headers=list(headers))
    connected, _ = await ws.connect()
    assert connected, path
    first = await ws.receive_json_from(timeout=5)
    await ws.disconnect()
    return first


@refuses_wrong_roles(*PORTAL_SOCKETS)
@pytest.mark.parametrize("route", sorted(PORTAL_SOCKETS))
async def test_portal_sockets_take_their_roles_only(route, tenant_a, tenant_b):
    path, allowed, refused = PORTAL_SOCKETS[route]
    make = sync_to_async(member)
    for role in allowed:
        user = await make(tenant_a, role, username=f"ok-{role}")
        assert (await hello(path, await _browser(user)))["type"] == "hello", (route, role)
    for role in refused:
        user = await make(tenant_a, role, username=f"no-{role}")
        assert await closed_with(path, await _browser(user)) == FORBIDDEN, (route, role)
    # a member of another tenant only has no role here at all
    stranger = await make(tenant_b, Role.TENANT_ADMIN, username="stranger")
    cookie = (await _browser(stranger))[0]
    headers = [cookie, (b"host", b"testserver"), (b"origin", b"http://testserver")]
    assert (await hello(path, headers))["tenant"] == tenant_b.slug  # its own tenant, never a's
    # signed in but a member of no tenant at all
    nobody = await sync_to_async(UserFactory)(username="nobody")
    assert await closed_with(path, await _browser(nobody)) == FORBIDDEN, route
    # nobody signed in, a session from a foreign Origin, a session without Origin
    page = [(b"host", b"testserver"), (b"origin", b"http://testserver")]
    assert await closed_with(path, page) == UNAUTHENTICATED
    admin = await make(tenant_a, Role.TENANT_ADMIN, username="boss")
    foreign = [h for h in await _browser(admin) if h[0] != b"origin"]
    assert await closed_with(path, [*foreign, (b"origin", b"https://evil.example")]) == FORBIDDEN
    assert await closed_with(path, foreign) == UNAUTHENTICATED
    # an API key without the socket's scope
    maas = await sync_to_async(api_key_create)(tenant=tenant_a, name="m", scopes=["maas"])
    if route != "ws-jobs":  # a maas key follows the model-access jobs (tested below)
        auth = [(b"authorization", f"Bearer {maas.raw}".encode())]
        assert await closed_with(path, auth) == FORBIDDEN, route


async def test_a_subscriber_gets_no_video_analytics_alerts(tenant_a):
    """The reported case: a subscriber's session opened the alerts socket and got events."""
    from suite.realtime.publish import tenant_group_send
    from video_analytics.services import ALERTS_GROUP

    subscriber = await sync_to_async(member)(tenant_a, Role.SUBSCRIBER, username="sub")
    ws = Communicator(
        application, "/ws/video-analytics/alerts/", headers=await _browser(subscriber)
    )
    assert (await ws.connect())[0]
    await sync_to_async(tenant_group_send)(
        tenant_a.pk, ALERTS_GROUP, {"type": "va.event.status", "event": {"camera": "东门"}}
    )
    message = await ws.receive_output(timeout=5)
    assert message == {"type": "websocket.close", "code": FORBIDDEN}
    assert await ws.receive_nothing(timeout=0.3)


@refuses_wrong_roles(*CALL_SOCKETS)
@pytest.mark.parametrize("route", sorted(CALL_SOCKETS))
async def test_call_sockets_take_a_callcenter_key_only(route, tenant_a, admin_a, key_a):
    path = CALL_SOCKETS[route]
    # a tenant admin's browser session is no call-center platform
    assert await closed_with(path, await _browser(admin_a)) == UNAUTHENTICATED
    hotline = await sync_to_async(api_key_create)(tenant=tenant_a, name="h", scopes=["hotline"])
    auth = [(b"authorization", f"Bearer {hotline.raw}".encode())]
    assert await closed_with(path, auth) == FORBIDDEN
    ws = Communicator(application, path, headers=[(b"authorization", f"Bearer {key_a}".encode())])
    assert (await ws.connect())[0]
    assert await ws.receive_nothing(timeout=0.3)  # open, waiting for the call's start
    await ws.disconnect()


async def test_every_portal_consumer_must_say_who_may_connect():
    with pytest.raises(TypeError, match="required_roles"):

        class Forgetful(TenantConsumer):
            tenant_groups = ("x",)


async def test_api_keys_follow_the_jobs_of_their_scopes_only(tenant_a, tenant_b):
    make = sync_to_async(api_key_create)
    video = await make(tenant=tenant_a, name="v", scopes=["video"])
    other = await make(tenant=tenant_b, name="v", scopes=["video"])
    jobs = [
        await sync_to_async(JobFactory)(tenant=tenant_a, kind=kind)
        for kind in ("video_ringtone.render", "video_analytics.analyse")
    ]
    theirs = await sync_to_async(JobFactory)(tenant=tenant_b, kind="video_analytics.analyse")
    ws = Communicator(
        application, "/ws/jobs/", headers=[(b"authorization", f"Bearer {video.raw}".encode())]
    )
    ws_b = Communicator(application, f"/ws/jobs/?api_key={other.raw}")
    assert (await ws.connect())[0] and (await ws_b.connect())[0]
    first = await ws.receive_json_from()
    assert first["type"] == "hello" and first["tenant"] == tenant_a.slug
    await ws_b.receive_json_from()
    for job in (*jobs, theirs):
        await sync_to_async(job_set_progress)(job=job, progress=50, message="half")
    event = await ws.receive_json_from(timeout=5)
    assert event["job"]["id"] == str(jobs[1].pk)  # the ringtone job is not the key's business
    assert await ws.receive_nothing(timeout=0.3)
    assert (await ws_b.receive_json_from(timeout=5))["job"]["id"] == str(theirs.pk)
    await ws.disconnect()
    await ws_b.disconnect()


def test_a_bearer_key_follows_jobs_over_a_real_handshake_and_refusals_are_close_codes(
    asgi_server, tenant_a
):
    """Through uvicorn, as a client sees it: the Authorization header in the handshake, and a
    refused socket is accepted then closed with 4401/4403 (not an HTTP 403)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    issued = api_key_create(tenant=tenant_a, name="render", scopes=["ringtone"])
    url = asgi_server.ws_url("/ws/jobs/")
    bearer = {"Authorization": f"Bearer {issued.raw}"}
    with connect(url, additional_headers=bearer) as ws:
        first = json.loads(ws.recv(timeout=5))
        assert first["type"] == "hello" and first["tenant"] == tenant_a.slug

    def close_code(path: str, headers: dict) -> int:
        with (
            connect(asgi_server.ws_url(path), additional_headers=headers) as ws,
            pytest.raises(ConnectionClosed) as closed,
        ):
            ws.recv(timeout=5)
        return closed.value.rcvd.code

    api_key_revoke(key=issued.record)
    assert close_code("/ws/jobs/", bearer) == UNAUTHENTICATED
    assert close_code("/ws/jobs/", {"Authorization": "Bearer sk-unknown"}) == UNAUTHENTICATED
    subscriber = member(tenant_a, Role.SUBSCRIBER, username="sub")
    session = {
        "Cookie": _session_cookie(subscriber),
        "Origin": asgi_server.url,
    }
    assert close_code("/ws/video-analytics/alerts/", session) == FORBIDDEN
    hotline = api_key_create(tenant=tenant_a, name="h", scopes=["hotline"])
    auth = {"Authorization": f"Bearer {hotline.raw}"}
    assert close_code("/ws/video-analytics/alerts/", auth) == FORBIDDEN
