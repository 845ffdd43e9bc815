"""What an integrating hotline platform needs besides orders: the departments to dispatch to,
closing an answered order, and call recordings turned into orders, all over REST."""

from pathlib import Path

from django.core.files.uploadedfile import SimpleUploadedFile

from gov_hotline import services
from gov_hotline.models import Department, RecordingIntake, WorkOrder
from suite.jobs.models import Job, JobStatus
from tests.cross_tenant import covers

from .conftest import new_order
from .test_api_workflow import API, as_user, bearer
from .test_workflow import GOOD_REPLY

AUDIO = Path(__file__).parents[1] / "ai" / "data" / "mandarin_kokoro.wav"


@covers("api:gh-department-list", "api:gh-department-detail")
def test_departments_are_listed_per_tenant(hl_a, hl_b, hotline_key_a, hotline_key_b, handler_a):
    listed = bearer(hotline_key_a).get(f"{API}/departments/", {"page_size": 200}).json()
    ids = {d["id"] for d in listed["results"]}
    assert ids == set(Department.objects.for_tenant(hl_a).values_list("id", flat=True))
    assert {"id", "code", "name", "is_active"} == set(listed["results"][0])
    theirs = Department.objects.for_tenant(hl_b).get(code="sthj")
    assert theirs.pk not in ids
    assert bearer(hotline_key_a).get(f"{API}/departments/{theirs.pk}/").status_code == 404
    ours = Department.objects.for_tenant(hl_a).get(code="sthj")
    one = bearer(hotline_key_a).get(f"{API}/departments/{ours.pk}/").json()
    assert (one["code"], one["name"]) == ("sthj", ours.name)
    # A department's handler may read the list too (to name a department in a return).
    assert as_user(handler_a).get(f"{API}/departments/").status_code == 200


@covers("api:gh-order-close")
def test_a_replied_order_is_closed_over_rest(hl_a, hotline_key_a, hotline_key_b, handler_a):
    order = new_order(hl_a)
    fresh = bearer(hotline_key_a).post(f"{API}/orders/{order.pk}/close/")
    assert fresh.status_code == 400  # only an answered order can be closed
    lead = Department.objects.for_tenant(hl_a).get(code="sthj")
    services.order_dispatch(order=order, lead=lead)
    assignment = order.assignments.get()
    services.assignment_accept(assignment=assignment, user=handler_a)
    services.assignment_reply(assignment=assignment, reply=GOOD_REPLY, user=handler_a)

    assert bearer(hotline_key_b).post(f"{API}/orders/{order.pk}/close/").status_code == 404
    assert as_user(handler_a).post(f"{API}/orders/{order.pk}/close/").status_code == 403
    closed = bearer(hotline_key_a).post(f"{API}/orders/{order.pk}/close/")
    assert closed.status_code == 200, closed.content
    assert closed.json()["status"] == "closed" and closed.json()["message"] == "Order closed."
    order.refresh_from_db()
    assert order.status == "closed" and order.closed_at is not None


@covers("api:gh-intake-list", "api:gh-intake-detail", "api:gh-intake-confirm")
def test_a_recording_becomes_an_order_over_rest(
    trained_a, hl_b, hotline_key_a, hotline_key_b, eager, django_capture_on_commit_callbacks
):
    tenant = trained_a.tenant
    api = bearer(hotline_key_a)
    refused = api.post(f"{API}/intakes/", {"recording": SimpleUploadedFile("call.txt", b"hello")})
    assert refused.status_code == 400 and "Upload a recording as" in refused.content.decode()
    assert not RecordingIntake.objects.exists()  # nothing stored for a refused file

    with django_capture_on_commit_callbacks(execute=True):
        started = api.post(
            f"{API}/intakes/",
            {"recording": SimpleUploadedFile("call.wav", AUDIO.read_bytes())},
        )
    assert started.status_code == 202, started.content
    intake_id = started.json()["id"]
    job = Job.objects.get(pk=started.json()["job"])
    assert (job.kind, job.status) == ("gov_hotline.transcribe", JobStatus.SUCCEEDED), job.error

    done = api.get(f"{API}/intakes/{intake_id}/").json()
    assert (done["status"], done["progress"]) == ("succeeded", 100)
    assert "宽带" in done["text"] and done["transcript"] and done["draft"]["subcategory"]
    assert bearer(hotline_key_b).get(f"{API}/intakes/{intake_id}/").status_code == 404
    assert bearer(hotline_key_b).post(f"{API}/intakes/{intake_id}/confirm/").status_code == 404

    saved = api.post(f"{API}/intakes/{intake_id}/confirm/", {"urgency": "urgent"}, format="json")
    assert saved.status_code == 201, saved.content
    order = WorkOrder.objects.for_tenant(tenant).get(number=saved.json()["number"])
    assert (order.channel, order.urgency) == ("recording", "urgent")
    assert order.recording.read() == AUDIO.read_bytes()  # the recording stays with the order
    assert order.text == done["text"]
    assert done["order"] is None and api.get(f"{API}/intakes/{intake_id}/").json()["order"] == (
        order.number
    )
    again = api.post(f"{API}/intakes/{intake_id}/confirm/", {}, format="json")
    assert again.status_code == 400 and order.number in again.content.decode()
    assert WorkOrder.objects.for_tenant(tenant).count() == 1


def test_an_intakes_personal_data_is_masked_for_integrators(hl_a, hotline_key_a, agent_a):
    said = "我姓王，电话13912345678，天河区体育西路的路灯坏了"
    intake = RecordingIntake.objects.create(
        tenant=hl_a,
        text=said,
        transcript=[{"start": 0.0, "end": 3.0, "text": said}],
        draft={"summary": "路灯坏了", "contact": {"name": "王", "phone": "13912345678"}},
    )
    masked = bearer(hotline_key_a).get(f"{API}/intakes/{intake.pk}/").json()
    assert "13912345678" not in str(masked)
    assert "139****5678" in masked["text"] and "139****5678" in masked["transcript"][0]["text"]
    # The hotline's own agent confirms the order, so sees what the caller said.
    shown = as_user(agent_a).get(f"{API}/intakes/{intake.pk}/").json()
    assert shown["draft"]["contact"]["phone"] == "13912345678" and shown["text"] == said
