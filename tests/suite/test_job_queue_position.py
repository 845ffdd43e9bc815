"""Every queued job says where it stands in its queue: API, /ws/jobs/ and the portal."""

import pytest
from django.urls import reverse

from suite.jobs.models import JobStatus
from suite.jobs.services import job_enqueue, job_start
from tests.suite.job_tasks import mark

pytestmark = pytest.mark.django_db


class VideoTask:
    """Stands for a task routed to the video queue (only name and route are read)."""

    name = "tests.video"
    route_queue = "video"

    def apply_async(self, **kwargs) -> None:  # the broker is not what these tests look at
        pass


def _queue(tenant, n: int, task=None):
    return [
        job_enqueue(tenant=tenant, kind=f"tests.q{i}", task=task or VideoTask())[0]
        for i in range(n)
    ]


def test_positions_count_the_jobs_ahead_in_the_same_queue(
    tenant_a, tenant_b, client_a, api_a, monkeypatch
):
    monkeypatch.setattr(mark, "apply_async", lambda **kw: None)
    (theirs,) = _queue(tenant_b, 1)  # another tenant's job shares the video workers
    first, second, third = _queue(tenant_a, 3)
    (other_queue,) = _queue(tenant_a, 1, task=mark)

    rows = {row["id"]: row for row in api_a.get("/api/v1/jobs/").json()["results"]}
    assert str(theirs.pk) not in rows  # counted, never shown
    assert [rows[str(j.pk)]["queue_position"] for j in (first, second, third)] == [2, 3, 4]
    assert rows[str(second.pk)]["status_display"] == "排队中（第 3 位）"
    assert rows[str(other_queue.pk)]["queue"] == "default"
    assert rows[str(other_queue.pk)]["queue_position"] == 1

    page = client_a.get(reverse("portal:jobs")).content.decode()
    assert "排队中（第 2 位）" in page and "排队中（第 4 位）" in page

    job_start(job=theirs, owner="w1")
    running = api_a.get(f"/api/v1/jobs/{first.pk}/").json()
    assert (running["queue_position"], running["status_display"]) == (1, "排队中（第 1 位）")
    job_start(job=first, owner="w2")
    running = api_a.get(f"/api/v1/jobs/{first.pk}/").json()
    assert (running["status"], running["queue_position"], running["status_display"]) == (
        JobStatus.RUNNING,
        None,
        "运行中",
    )


def test_a_job_leaving_the_queue_moves_the_others_up_over_the_socket(
    tenant_a, monkeypatch, django_capture_on_commit_callbacks
):
    first, second, third = _queue(tenant_a, 3)
    published = []
    monkeypatch.setattr(
        "suite.jobs.services.tenant_group_send",
        lambda tenant_id, group, event: published.append(event["job"]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job_start(job=first, owner="w1")
    updates = {e["id"]: (e["status"], e["queue_position"], e["status_display"]) for e in published}
    assert updates == {
        str(first.pk): ("running", None, "运行中"),
        str(second.pk): ("queued", 1, "排队中（第 1 位）"),
        str(third.pk): ("queued", 2, "排队中（第 2 位）"),
    }
