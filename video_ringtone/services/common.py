"""What every stage shares: where files live, turning model-layer errors into form errors,
the texts that must pass the safety check."""

from __future__ import annotations

import contextlib
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError

from suite.ai import gateway
from suite.ai.errors import ContentBlocked, InvalidInput
from suite.tenancy.models import Tenant

MEDIA_SUBDIR = "video_ringtone"


def media_path(relative: str) -> Path:
    return Path(settings.MEDIA_ROOT) / relative


def draft_folder(tenant_id: int, draft_id: int) -> str:
    return f"{MEDIA_SUBDIR}/{tenant_id}/drafts/{draft_id}"


def render_folder(tenant_id: int, render_id) -> str:
    return f"{MEDIA_SUBDIR}/{tenant_id}/renders/{render_id}"


@contextlib.contextmanager
def as_validation_errors(field: str | None = None):
    """Bad input and blocked content from suite.ai become the form/API error of `field`."""
    try:
        yield
    except (InvalidInput, ContentBlocked) as exc:
        raise ValidationError({field or exc.param or "__all__": exc.message}) from exc


def check_text(tenant: Tenant, field: str, text: str) -> None:
    if text:
        with as_validation_errors(field):
            gateway.check_input(tenant, text, field=field)
