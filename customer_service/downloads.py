"""File responses for ticket attachments (portal and API share them)."""

from __future__ import annotations

from django.http import FileResponse, Http404

from .models import TicketAttachment


def attachment_response(item: TicketAttachment) -> FileResponse:
    try:
        handle = item.file.open("rb")
    except (FileNotFoundError, ValueError) as exc:
        raise Http404 from exc
    # Always a download, never rendered inline: the type was sniffed at upload, but a PDF or
    # an image opened inside the portal's origin is still more than an agent asked for.
    response = FileResponse(
        handle, as_attachment=True, filename=item.name, content_type=item.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
