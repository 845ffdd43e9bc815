"""Lists, exports and public feeds never show a phone or ID number written into free text.

One record per product carries both in every free-text field; then every list endpoint of the
API, the Open311 feed and every portal page that takes no object id is fetched, and neither
number may appear. Only one object's detail (for a role that needs it) shows them.
"""

from datetime import timedelta

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from customer_service.models import Conversation, Ticket, Turn
from gov_hotline.models import Assignment, Department, ExtensionRequest, OrderEvent, WorkOrder
from suite.accounts.services import api_key_create
from suite.jobs.models import Job
from suite.tenancy.models import Membership, Role
from tests.factories import member

pytestmark = pytest.mark.django_db

PHONE = "13912345678"
ID_NUMBER = "440301199001011234"
PII = f"市民电话 {PHONE}，身份证 {ID_NUMBER}，住址幸福路88号3栋1201室"
# Pages that stream, serve files or documents with no tenant data.
SKIP = {"schema", "api-docs", "healthz", "set_language"}


def _no_arg_routes(resolver=None, prefix=""):
    resolver = resolver or get_resolver()
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{prefix}{entry.namespace}:" if entry.namespace else prefix
            yield from _no_arg_routes(entry, ns)
        elif (
            isinstance(entry, URLPattern)
            and entry.name
            and not entry.pattern.regex.groupindex
            and "(?P" not in str(entry.pattern)
        ):
            yield f"{prefix}{entry.name}"


@pytest.fixture
def records(tenant_a):
    now = timezone.now()
    Ticket.objects.create(
        tenant=tenant_a, number="T-1", type="complaint", summary=PII, phone=PHONE,
        address=PII[:300], sla_due=now + timedelta(days=1),
    )  # fmt: skip
    conv = Conversation.objects.create(tenant=tenant_a, phone=PHONE, status="queued")
    Turn.objects.create(conversation=conv, tenant=tenant_a, seq=1, role="customer", text=PII)
    order = WorkOrder.objects.create(
        tenant=tenant_a, number="GH-1", channel="web", text=PII, request_type="ts",
        address=PII[:200], summary=PII[:200], contact_name="王小明", contact_phone=PHONE,
    )  # fmt: skip
    department = Department.objects.create(tenant=tenant_a, code="d1", name="城管局")
    assignment = Assignment.objects.create(
        tenant=tenant_a, order=order, department=department, role="lead",
        reason=PII[:300], objection=PII, reply=PII,
    )  # fmt: skip
    ExtensionRequest.objects.create(
        tenant=tenant_a, assignment=assignment, working_days=3, reason=PII
    )
    OrderEvent.objects.create(tenant=tenant_a, order=order, action="created", note=PII)
    Job.objects.create(tenant=tenant_a, kind="test", idempotency_key="k", message=PII, error=PII)
    return order


@pytest.fixture
def everyone(tenant_a):
    user = member(tenant_a, Role.TENANT_ADMIN, username="all_roles")
    for role in Role.values:
        Membership.objects.get_or_create(user=user, tenant=tenant_a, role=role)
    return user


def _assert_clean(label: str, body: str) -> None:
    assert PHONE not in body, f"{label} shows the phone number"
    assert ID_NUMBER not in body, f"{label} shows the ID number"


def test_api_lists_mask_personal_data(records, everyone):
    api = APIClient()
    api.force_login(everyone)
    checked = 0
    for name in sorted(_no_arg_routes()):
        if not name.startswith("api:") or not name.endswith("-list"):
            continue
        response = api.get(reverse(name))
        assert response.status_code < 500, name
        if response.status_code == 200:
            checked += 1
            _assert_clean(name, response.content.decode())
    assert checked >= 10


def test_open311_feed_masks_personal_data(records, tenant_a):
    key = api_key_create(tenant=tenant_a, name="o", scopes=["hotline"]).raw
    for fmt in ("json", "xml"):
        listing = APIClient().get(f"/api/v1/gov-hotline/open311/v2/requests.{fmt}?api_key={key}")
        assert listing.status_code == 200
        assert "GH-1" in listing.content.decode()
        _assert_clean(f"open311 requests.{fmt}", listing.content.decode())
        one = APIClient().get(f"/api/v1/gov-hotline/open311/v2/requests/GH-1.{fmt}?api_key={key}")
        _assert_clean(f"open311 request.{fmt}", one.content.decode())


def test_portal_pages_without_an_object_mask_personal_data(records, everyone, client):
    client.force_login(everyone)
    checked = 0
    for name in sorted(_no_arg_routes()):
        if name.startswith("api:") or name in SKIP or name.split(":")[-1] in SKIP:
            continue
        response = client.get(reverse(name))
        if response.status_code == 200 and not response.streaming:
            checked += 1
            _assert_clean(name, response.content.decode())
    assert checked >= 10


def test_one_objects_detail_shows_the_number_to_staff(records, everyone):
    api = APIClient()
    api.force_login(everyone)
    ticket = Ticket.objects.get(number="T-1")
    assert PHONE in api.get(f"/api/v1/customer-service/tickets/{ticket.pk}/").content.decode()
    order_page = api.get(f"/api/v1/gov-hotline/orders/{records.pk}/").content.decode()
    assert PHONE in order_page
