"""The progress component's JSON fallback: one job as /ws/jobs/ carries it, for whoever may
follow it (staff the tenant's jobs, a subscriber only their own); another tenant's is a 404."""

import pytest
from django.test import Client

from suite.jobs.models import Job
from suite.jobs.services import job_set_progress, job_start
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    return client


def new_job(tenant, user=None, kind="gov_hotline.report") -> Job:
    return Job.objects.create(
        tenant=tenant, kind=kind, idempotency_key=f"k-{Job.objects.count()}", created_by=user
    )


@covers("portal:job_status")
def test_status_reads_the_job_for_those_who_may_follow_it(tenant_a, tenant_b, admin_a, admin_b):
    first, waiting = new_job(tenant_a), new_job(tenant_a)
    url = f"/jobs/{waiting.pk}/status/"
    body = signed_in(admin_a).get(url).json()
    assert body["status"] == "queued" and body["queue_position"] == 2
    assert body["status_display"] == "排队中（第 2 位）"  # what the badge shows, in Chinese

    job_start(job=first)
    job_start(job=waiting)
    job_set_progress(job=waiting, progress=40, message="正在转写：第 2 段，共 5 段")
    body = signed_in(admin_a).get(url).json()
    assert (body["status"], body["progress"]) == ("running", 40)
    assert body["message"] == "正在转写：第 2 段，共 5 段"

    assert signed_in(admin_b).get(url).status_code == 404


def test_a_subscriber_reads_only_the_jobs_they_started(tenant_a):
    mine_user = member(tenant_a, Role.SUBSCRIBER)
    other_user = member(tenant_a, Role.SUBSCRIBER)
    mine = new_job(tenant_a, mine_user, kind="video_ringtone.render")
    theirs = new_job(tenant_a, other_user, kind="video_ringtone.render")
    client = signed_in(mine_user)
    assert client.get(f"/jobs/{mine.pk}/status/").status_code == 200
    assert client.get(f"/jobs/{theirs.pk}/status/").status_code == 404
