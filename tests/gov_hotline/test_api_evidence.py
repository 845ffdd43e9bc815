"""Evidence files over REST: a department attaches them to its accepted assignment with the
portal's checks (type, size, content and pixel count before anything else reads the file);
staff list and download an order's evidence; roles and the tenant wall."""

import io
import struct
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from gov_hotline import services
from gov_hotline.models import Assignment, Department, OrderEvent
from tests.cross_tenant import covers
from tests.suite.test_media_files import TRUNCATED_PDF

from .conftest import new_order
from .test_api_workflow import API, as_user, bearer
from .test_workflow import GOOD_REPLY


def _png(width: int = 8, height: int = 6) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 30)).save(buffer, format="PNG")
    return buffer.getvalue()


def _png_declaring(width: int, height: int) -> bytes:
    """A 1x1 PNG whose header claims `width` x `height` pixels (a decompression bomb's shape)."""
    data = bytearray(_png(1, 1))
    ihdr = 8  # after the PNG signature: length, b"IHDR", 13 bytes of fields, CRC
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    fields = bytes(data[ihdr + 4 : ihdr + 21])
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", zlib.crc32(fields))
    return bytes(data)


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream"):
    return {"evidence": SimpleUploadedFile(name, data, content_type=content_type)}


def _accepted(tenant, handler, code: str = "sthj") -> Assignment:
    order = new_order(tenant)
    lead = Department.objects.for_tenant(tenant).get(code=code)
    services.order_dispatch(order=order, lead=lead)
    assignment = order.assignments.get()
    services.assignment_accept(assignment=assignment, user=handler)
    return assignment


@covers("api:gh-assignment-evidence", "api:gh-order-evidence", "api:gh-order-evidence-file")
def test_handler_attaches_evidence_and_staff_download_it(
    hl_a, hl_b, handler_a, agent_a, hotline_key_a, hotline_key_b
):
    assignment = _accepted(hl_a, handler_a)
    order = assignment.order
    url = f"{API}/assignments/{assignment.pk}/evidence/"
    handler = as_user(handler_a)
    photo = _png()

    # Another tenant's key cannot reach the assignment: 404, and nothing is stored.
    assert bearer(hotline_key_b).post(url, _upload("site.png", photo)).status_code == 404
    assert bearer(hotline_key_b).get(url).status_code == 404
    assert handler.get(url).status_code == 404  # nothing attached yet

    attached = handler.post(url, _upload("site.png", photo, "image/png"))
    assert attached.status_code == 201, attached.content
    body = attached.json()
    assert body["message"] == "Evidence attached."
    assert body["evidence"].startswith(f"{order.number}-{assignment.pk}")
    assert body["evidence"].endswith(".png")
    assignment.refresh_from_db()
    assert assignment.evidence.read() == photo
    assert assignment.status == "accepted"  # attaching is not replying
    event = OrderEvent.objects.filter(order=order, action="evidence_attached").get()
    assert event.actor_id == handler_a.pk and event.data["department"] == "市生态环境局"

    mine = handler.get(url)
    assert mine.status_code == 200
    assert b"".join(mine.streaming_content) == photo
    assert mine["Content-Type"] == "image/png"
    assert mine["Content-Disposition"].startswith("attachment;")

    # The agent sees the order's evidence and downloads it through the order.
    listing = as_user(agent_a).get(f"{API}/orders/{order.pk}/evidence/")
    assert listing.status_code == 200, listing.content
    [item] = listing.json()
    assert item["assignment"] == assignment.pk and item["role"] == "lead"
    assert item["department"] == "市生态环境局" and item["content_type"] == "image/png"
    assert item["url"].endswith(f"{API}/orders/{order.pk}/evidence/{assignment.pk}/")
    download = as_user(agent_a).get(item["url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == photo

    theirs = bearer(hotline_key_b)
    assert theirs.get(f"{API}/orders/{order.pk}/evidence/").status_code == 404
    assert theirs.get(f"{API}/orders/{order.pk}/evidence/{assignment.pk}/").status_code == 404
    # An assignment of another order is not this order's evidence.
    other = _accepted(hl_a, handler_a)
    assert (
        bearer(hotline_key_a).get(f"{API}/orders/{other.order_id}/evidence/{assignment.pk}/")
    ).status_code == 404

    # The reply keeps the evidence attached before it.
    replied = handler.post(f"{API}/assignments/{assignment.pk}/reply/", {"reply": GOOD_REPLY})
    assert replied.status_code == 200, replied.content
    assert replied.json()["evidence"] == body["evidence"]
    assert handler.post(url, _upload("again.png", photo)).status_code == 400  # after the reply


def test_a_pdf_replaces_the_earlier_evidence(hl_a, handler_a, hotline_key_a):
    assignment = _accepted(hl_a, handler_a)
    url = f"{API}/assignments/{assignment.pk}/evidence/"
    assert bearer(hotline_key_a).post(url, _upload("a.png", _png())).status_code == 201
    pdf = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    again = bearer(hotline_key_a).post(url, _upload("report.PDF", pdf, "application/pdf"))
    assert again.status_code == 201, again.content
    assignment.refresh_from_db()
    assert assignment.evidence.name.endswith(".pdf") and assignment.evidence.read() == pdf
    listing = bearer(hotline_key_a).get(f"{API}/orders/{assignment.order_id}/evidence/").json()
    assert [i["content_type"] for i in listing] == ["application/pdf"]


def test_bad_files_are_refused_with_a_reason_and_nothing_is_kept(hl_a, handler_a):
    assignment = _accepted(hl_a, handler_a)
    url = f"{API}/assignments/{assignment.pk}/evidence/"
    handler = as_user(handler_a)
    cases = [
        (_upload("clip.gif", b"GIF89a" + b"\0" * 32), "Evidence must be a JPEG, PNG or PDF file."),
        (_upload("notes.txt", b"hello"), "Evidence must be a JPEG, PNG or PDF file."),
        (_upload("photo.png", b"not an image at all"), "evidence:"),
        (_upload("report.pdf", b"<html>not a pdf</html>"), "This file is not a PDF document."),
        (_upload("report.pdf", TRUNCATED_PDF), "The PDF file is truncated"),
        (_upload("bomb.png", _png_declaring(20_000, 20_000)), "20000x20000 pixels"),
        ({}, "evidence:"),
    ]
    for data, fragment in cases:
        refused = handler.post(url, data)
        assert refused.status_code == 400, (data, refused.content)
        error = refused.json()["error"]
        assert fragment in error["message"], error
        assert "evidence" in error["fields"]
    as_json = handler.post(url, {"evidence": "aGVsbG8="}, format="json")
    assert as_json.status_code == 415  # a file, not a JSON string
    assignment.refresh_from_db()
    assert not assignment.evidence
    assert not OrderEvent.objects.filter(action="evidence_attached").exists()


def test_oversize_evidence_is_refused_before_its_content_is_read(hl_a, handler_a, monkeypatch):
    assignment = _accepted(hl_a, handler_a)
    read = []
    monkeypatch.setattr(
        "suite.media.images.load_image", lambda *a, **k: read.append(1) or None, raising=True
    )
    big = _upload("scan.png", b"\x89PNG" + b"\0" * (services.MAX_EVIDENCE_BYTES - 3))
    refused = as_user(handler_a).post(f"{API}/assignments/{assignment.pk}/evidence/", big)
    assert refused.status_code == 400, refused.content
    assert refused.json()["error"]["message"] == "evidence: Evidence files are limited to 10 MB."
    assert read == []
    assignment.refresh_from_db()
    assert not assignment.evidence


def test_only_the_assignments_department_may_attach(
    hl_a, hl_b, handler_a, handler_b, agent_a, dispatcher_a, hotline_key_b
):
    assignment = _accepted(hl_a, handler_a)
    url = f"{API}/assignments/{assignment.pk}/evidence/"
    # Agents have no department work: refused by role.
    agent = as_user(agent_a).post(url, _upload("a.png", _png()))
    assert agent.status_code == 403
    # A dispatcher sees every assignment but belongs to no department: refused too.
    dispatcher = as_user(dispatcher_a).post(url, _upload("a.png", _png()))
    assert dispatcher.status_code == 403
    # Another tenant's handler and key: the assignment does not exist for them.
    assert as_user(handler_b).post(url, _upload("a.png", _png())).status_code == 404
    assert bearer(hotline_key_b).post(url, _upload("a.png", _png())).status_code == 404
    # Handlers work on assignments; the order's evidence list is for the hotline's staff.
    handler_list = as_user(handler_a).get(f"{API}/orders/{assignment.order_id}/evidence/")
    assert handler_list.status_code == 403
    assignment.refresh_from_db()
    assert not assignment.evidence


def test_evidence_needs_an_accepted_assignment(hl_a, handler_a):
    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=Department.objects.for_tenant(hl_a).get(code="sthj"))
    pending = order.assignments.get()
    refused = as_user(handler_a).post(
        f"{API}/assignments/{pending.pk}/evidence/", _upload("a.png", _png())
    )
    assert refused.status_code == 400
    assert "accepted" in refused.json()["error"]["message"]
    pending.refresh_from_db()
    assert not pending.evidence
