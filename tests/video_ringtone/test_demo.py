import pytest

from suite.tenancy.demo import seed_demo as seed_suite
from suite.tenancy.models import Tenant
from video_ringtone import demo
from video_ringtone.models import Assignment, AssignmentState, Employee, Ringtone, RingtoneStatus


@pytest.mark.django_db
def test_demo_seed_is_idempotent_and_shows_every_stage():
    seed_suite()
    demo.seed_demo()
    demo.seed_demo()
    city = Tenant.objects.get(slug="gd-sz")
    enterprise = Tenant.objects.get(slug="gd-sz-ent")
    statuses = sorted(Ringtone.objects.for_tenant(city).values_list("status", flat=True))
    assert statuses == [RingtoneStatus.APPROVED, RingtoneStatus.IN_REVIEW]
    assert Assignment.objects.for_tenant(city).get().state in (
        AssignmentState.PENDING, AssignmentState.ACTIVE,
    )  # fmt: skip
    assert Employee.objects.for_tenant(enterprise).count() == 5
    business = Ringtone.objects.for_tenant(enterprise).get()
    assert business.kind == "enterprise" and business.status == RingtoneStatus.APPROVED
