"""Tickets: attachment downloads (staff, API, the subscriber's own), SLA breach alerts from the
periodic task, and the subscriber's ticket page — each tenant- and owner-scoped."""

import asyncio
import io
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from PIL import Image
from rest_framework.test import APIClient

from customer_service import tasks
from customer_service.models import Ticket, TicketEvent
from customer_service.services import tickets
from suite.realtime.publish import group_name
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def png_bytes() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buf, "PNG")
    return buf.getvalue()


def attached(tenant, subscriber=None, name="光猫 照片.png", shared=True):
    ticket = tickets.ticket_create(
        tenant=tenant, type="fault_repair", summary="宽带报修", subscriber=subscriber
    )
    data = png_bytes()
    item = tickets.ticket_attach(ticket=ticket, data=data, name=name, shared_with_customer=shared)
    return ticket, item, data


def body(response) -> bytes:
    return b"".join(response.streaming_content)


@covers("api:cs-ticket-attachment")
def test_api_attachment_download(tenant_a, tenant_b):
    agent = member(tenant_a, Role.CS_AGENT, username="agent")
    api = APIClient()
    api.force_login(agent)
    ticket, item, data = attached(tenant_a)
    other_ticket, _item2, _ = attached(tenant_a)
    theirs, their_item, _ = attached(tenant_b)
    url = reverse("api:cs-ticket-attachment", args=[ticket.pk, item.pk])
    response = api.get(url)
    assert response.status_code == 200 and body(response) == data
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename" in response["Content-Disposition"]
    # The attachment through another ticket's URL, or another tenant's, reads as missing.
    assert (
        api.get(reverse("api:cs-ticket-attachment", args=[other_ticket.pk, item.pk])).status_code
        == 404
    )
    assert (
        api.get(reverse("api:cs-ticket-attachment", args=[theirs.pk, their_item.pk])).status_code
        == 404
    )
    assert (
        api.get(reverse("api:cs-ticket-attachment", args=[ticket.pk, their_item.pk])).status_code
        == 404
    )


@covers("customer_service:ticket_attachment")
def test_portal_attachment_download(client, tenant_a, tenant_b):
    client.force_login(member(tenant_a, Role.CS_AGENT, username="agent"))
    ticket, item, data = attached(tenant_a)
    theirs, their_item, _ = attached(tenant_b)
    page = client.get(reverse("customer_service:ticket", args=[ticket.pk])).content.decode()
    url = reverse("customer_service:ticket_attachment", args=[ticket.pk, item.pk])
    assert url in page
    response = client.get(url)
    assert response.status_code == 200 and body(response) == data
    assert "attachment" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    other = reverse("customer_service:ticket_attachment", args=[theirs.pk, their_item.pk])
    assert client.get(other).status_code == 404


@covers("customer_service:m_ticket", "customer_service:m_ticket_attachment")
def test_subscriber_sees_only_their_own_ticket(client, tenant_a, tenant_b):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    neighbour = member(tenant_a, Role.SUBSCRIBER, username="neighbour", phone="13700137000")
    far = member(tenant_b, Role.SUBSCRIBER, username="far", phone="13900139000")
    mine, item, data = attached(tenant_a, subscriber=sub)
    tickets.ticket_comment(ticket=mine, text="内部备注：用户难缠")
    tickets.ticket_transition(ticket=mine, status="in_progress")
    next_door, next_item, _ = attached(tenant_a, subscriber=neighbour)
    theirs, their_item, _ = attached(tenant_b, subscriber=far)
    client.force_login(sub)
    listing = client.get(reverse("customer_service:m_tickets")).content.decode()
    assert reverse("customer_service:m_ticket", args=[mine.pk]) in listing
    page = client.get(reverse("customer_service:m_ticket", args=[mine.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and mine.number in text and "宽带报修" in text
    # The status by name; the agents' comments stay internal.
    assert "处理中" in text and "in_progress" not in text and "内部备注" not in text
    download = client.get(reverse("customer_service:m_ticket_attachment", args=[mine.pk, item.pk]))
    assert download.status_code == 200 and body(download) == data
    # Another subscriber's ticket, in this tenant or another, is a 404 like a missing one.
    for ticket, attachment in ((next_door, next_item), (theirs, their_item)):
        assert client.get(reverse("customer_service:m_ticket", args=[ticket.pk])).status_code == 404
        assert (
            client.get(
                reverse("customer_service:m_ticket_attachment", args=[ticket.pk, attachment.pk])
            ).status_code
            == 404
        )
    assert client.get(reverse("customer_service:m_ticket", args=[999999])).status_code == 404


def test_internal_attachments_stay_with_staff(client, tenant_a):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    ticket, shared, _ = attached(tenant_a, subscriber=sub, name="上门维修单.png")
    internal = tickets.ticket_attach(
        ticket=ticket, data=png_bytes(), name="内部截图.png", shared_with_customer=False
    )
    client.force_login(sub)
    page = client.get(reverse("customer_service:m_ticket", args=[ticket.pk])).content.decode()
    assert "上门维修单.png" in page and "内部截图.png" not in page  # not even in the history
    own = reverse("customer_service:m_ticket_attachment", args=[ticket.pk, shared.pk])
    hidden = reverse("customer_service:m_ticket_attachment", args=[ticket.pk, internal.pk])
    assert client.get(own).status_code == 200
    assert client.get(hidden).status_code == 404  # like a missing file
    # Staff see both, each marked.
    client.force_login(member(tenant_a, Role.CS_AGENT, username="agent"))
    staff_page = client.get(reverse("customer_service:ticket", args=[ticket.pk]))
    text = staff_page.content.decode()
    assert "内部截图.png" in text and "上门维修单.png" in text
    staff_file = reverse("customer_service:ticket_attachment", args=[ticket.pk, internal.pk])
    assert client.get(staff_file).status_code == 200


def test_staff_share_a_file_from_the_portal_and_over_rest(client, tenant_a):
    sub = member(tenant_a, Role.SUBSCRIBER, username="sub", phone="13800138000")
    agent = member(tenant_a, Role.CS_AGENT, username="agent")
    ticket = tickets.ticket_create(
        tenant=tenant_a, type="fault_repair", summary="宽带报修", subscriber=sub
    )
    client.force_login(agent)
    url = reverse("customer_service:ticket", args=[ticket.pk])
    for name, extra in (("internal.png", {}), ("shared.png", {"shared_with_customer": "on"})):
        upload = SimpleUploadedFile(name, png_bytes(), content_type="image/png")
        client.post(url, {"action": "attach", "file": upload, **extra})
    api = APIClient()
    api.force_login(agent)
    endpoint = f"/api/v1/customer-service/tickets/{ticket.pk}/attachments/"
    upload = SimpleUploadedFile("api.png", png_bytes(), content_type="image/png")
    response = api.post(endpoint, {"file": upload, "shared_with_customer": "true"})
    assert response.status_code == 201, response.content
    flags = {a["name"]: a["shared_with_customer"] for a in response.json()["attachments"]}
    assert flags == {"internal.png": False, "shared.png": True, "api.png": True}


async def _receive(layer, channel, timeout=2.0):
    return await asyncio.wait_for(layer.receive(channel), timeout)


def receive(layer, channel, timeout=2.0):
    """The next message on the channel, or None after `timeout` seconds (never hangs)."""
    try:
        return async_to_sync(_receive)(layer, channel, timeout)
    except TimeoutError:
        return None


def overdue(tenant, hours=1, **fields):
    ticket = tickets.ticket_create(tenant=tenant, type="complaint", summary="投诉网速", **fields)
    Ticket.objects.filter(pk=ticket.pk).update(sla_due=timezone.now() - timedelta(hours=hours))
    return ticket


def test_sla_check_marks_overdue_open_tickets_once_and_alerts_the_tenants_agents(
    tenant_a, tenant_b, django_capture_on_commit_callbacks
):
    late = overdue(tenant_a)
    done = overdue(tenant_a)
    for step in ("in_progress", "resolved"):
        tickets.ticket_transition(ticket=done, status=step)
    on_time = tickets.ticket_create(tenant=tenant_a, type="complaint", summary="未到期")
    theirs = overdue(tenant_b)
    layer = get_channel_layer()
    ours_channel = async_to_sync(layer.new_channel)()
    their_channel = async_to_sync(layer.new_channel)()
    async_to_sync(layer.group_add)(group_name(tenant_a.pk, "customer_service.queue"), ours_channel)
    async_to_sync(layer.group_add)(group_name(tenant_b.pk, "customer_service.queue"), their_channel)

    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.sla_breach_check.apply().get()
    assert result["marked"] == {tenant_a.slug: [late.number], tenant_b.slug: [theirs.number]}
    for ticket in (late, done, on_time, theirs):
        ticket.refresh_from_db()
    assert late.sla_breached_at is not None and theirs.sla_breached_at is not None
    assert done.sla_breached_at is None and on_time.sla_breached_at is None
    assert TicketEvent.objects.filter(ticket=late, kind="sla_breach").count() == 1
    alert = receive(layer, ours_channel)["payload"]
    assert alert["type"] == "ticket.sla_breached"
    assert [t["number"] for t in alert["tickets"]] == [late.number]
    their_alert = receive(layer, their_channel)["payload"]
    assert [t["number"] for t in their_alert["tickets"]] == [theirs.number]

    # A second run finds nothing new: no second event, no second alert.
    first_mark = late.sla_breached_at
    with django_capture_on_commit_callbacks(execute=True):
        again = tasks.sla_breach_check.apply().get()
    assert again["marked"] == {}
    assert receive(layer, ours_channel, timeout=0.3) is None
    late.refresh_from_db()
    assert late.sla_breached_at == first_mark
    assert TicketEvent.objects.filter(ticket=late, kind="sla_breach").count() == 1


def test_sla_check_for_one_tenant_leaves_the_others(tenant_a, tenant_b):
    overdue(tenant_a)
    theirs = overdue(tenant_b)
    tasks.sla_breach_check.apply(kwargs={"tenant_id": tenant_a.pk}).get()
    theirs.refresh_from_db()
    assert theirs.sla_breached_at is None
