"""The enterprise REST API: the employee roster and a business ringtone on every employee."""

import pytest
from rest_framework.test import APIClient

from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.cross_tenant import covers
from tests.factories import member
from video_ringtone.models import (
    Assignment,
    AssignmentState,
    DraftKind,
    Employee,
    RingtoneLimits,
    SimulatedProvision,
)
from video_ringtone.services import drafts, review

from .conftest import draft_with_scenes
from .test_workflow import _render, _submit

API = "/api/v1/video-ringtone/"


@pytest.fixture
def company(tenant_a):
    company = tenant_create(
        slug="ent", name="云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )
    RingtoneLimits.objects.create(tenant=company, min_duration_s=1, max_duration_s=10)
    return company


@pytest.fixture
def boss(company):
    return member(company, Role.TENANT_ADMIN, username="boss")


def _client(user) -> APIClient:
    api = APIClient()
    api.force_login(user)
    return api


def _business_ringtone(company, boss, capture, *, approve=True):
    draft = drafts.draft_create(
        tenant=company, owner=boss, theme="business", kind=DraftKind.ENTERPRISE
    )
    source = draft_with_scenes(company, boss, scenes=1, seconds=1.0)
    for scene in source.scenes.all():
        scene.draft = draft
        scene.candidate.draft = draft
        scene.candidate.save()
        scene.save()
    ringtone = _submit(draft, _render(draft, boss, capture), boss, capture)
    if approve:
        reviewer = member(company, Role.RINGTONE_REVIEWER, username="ent_rev")
        review.review_decide(ringtone=ringtone, reviewer=reviewer, approve=True)
    return ringtone


@covers("api:vr-employee-list", "api:vr-employee-detail", "api:vr-enterprise-ringtone-list",
        "api:vr-enterprise-ringtone-detail", "api:vr-enterprise-ringtone-assign-all")  # fmt: skip
@pytest.mark.django_db
def test_an_enterprise_admin_keeps_the_roster_and_assigns_the_ringtone_to_everyone(
    company, boss, eager, tiny, django_capture_on_commit_callbacks
):
    api = _client(boss)
    for index, name in enumerate(["张伟", "王芳", "李强"]):
        response = api.post(f"{API}employees/", {"name": name, "phone": f"1350000000{index}"})
        assert response.status_code == 201, response.json()
    assert response.json()["phone"] == "135****0002"  # masked, as on the portal page
    duplicate = api.post(f"{API}employees/", {"name": "重复", "phone": "13500000000"})
    assert duplicate.status_code == 400
    assert set(duplicate.json()["error"]["fields"]) == {"phone"}
    assert api.post(f"{API}employees/", {"name": "", "phone": "12"}).status_code == 400
    listed = api.get(f"{API}employees/").json()["results"]
    assert {(e["name"], e["phone"]) for e in listed} == {
        ("张伟", "135****0000"), ("王芳", "135****0001"), ("李强", "135****0002"),
    }  # fmt: skip
    assert Employee.objects.for_tenant(company).count() == 3

    pending = _business_ringtone(company, boss, django_capture_on_commit_callbacks, approve=False)
    refused = api.post(f"{API}enterprise-ringtones/{pending.pk}/assign-all/")
    assert refused.status_code == 400  # not approved yet: nothing goes out
    assert not Assignment.objects.for_tenant(company).exists()
    ringtone = _business_ringtone(company, boss, django_capture_on_commit_callbacks)
    assert {r["id"] for r in api.get(f"{API}enterprise-ringtones/").json()["results"]} == {
        pending.pk,
        ringtone.pk,
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{API}enterprise-ringtones/{ringtone.pk}/assign-all/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["assigned"] == 3
    assert sorted(a["phone"] for a in body["assignments"]) == [
        "135****0000", "135****0001", "135****0002",
    ]  # fmt: skip
    assigned = Assignment.objects.for_tenant(company).filter(ringtone=ringtone)
    assert {a.state for a in assigned} == {AssignmentState.ACTIVE}
    provisioned = SimulatedProvision.objects.filter(request_id__in=[str(a.pk) for a in assigned])
    assert provisioned.count() == 3

    # An employee who leaves: off the roster and the business ringtone off their line.
    leaver = Employee.objects.for_tenant(company).get(phone="13500000001")
    with django_capture_on_commit_callbacks(execute=True):
        assert api.delete(f"{API}employees/{leaver.pk}/").status_code == 204
    assert not Employee.objects.for_tenant(company).filter(pk=leaver.pk).exists()
    states = dict(assigned.values_list("phone", "state"))
    assert states == {
        "13500000000": AssignmentState.ACTIVE,
        "13500000001": AssignmentState.REMOVED,
        "13500000002": AssignmentState.ACTIVE,
    }


@pytest.mark.django_db
def test_only_the_enterprise_admin_uses_the_roster_api(
    company, boss, tenant_a, subscriber_a, eager, tiny, django_capture_on_commit_callbacks
):
    employee = Employee.objects.create(tenant=company, name="张伟", phone="13500000000")
    staff_member = member(company, Role.SUBSCRIBER, username="emp")
    for user in (staff_member, member(company, Role.RINGTONE_REVIEWER, username="rev")):
        api = _client(user)
        assert api.get(f"{API}employees/").status_code == 403
        assert (
            api.post(f"{API}employees/", {"name": "x", "phone": "13500000009"}).status_code == 403
        )
        assert api.delete(f"{API}employees/{employee.pk}/").status_code == 403
        assert api.get(f"{API}enterprise-ringtones/").status_code == 403
    assert Employee.objects.for_tenant(company).count() == 1
    # A personal ringtone is not a business one: not listed, and cannot go to everyone.
    personal = draft_with_scenes(company, boss, scenes=1, seconds=1.0)
    ringtone = _submit(personal, _render(personal, boss, django_capture_on_commit_callbacks),
                       boss, django_capture_on_commit_callbacks)  # fmt: skip
    api = _client(boss)
    assert api.get(f"{API}enterprise-ringtones/").json()["results"] == []
    assert api.post(f"{API}enterprise-ringtones/{ringtone.pk}/assign-all/").status_code == 404
