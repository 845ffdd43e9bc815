"""Uploaded clips: checked, stored and analysed as a job."""

from __future__ import annotations

import secrets
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.jobs.services import job_enqueue

from .. import storage
from ..ingest import check_upload, probe_clip
from ..models import (
    Analysis,
    Camera,
)
from .cameras import face_model
from .common import _audit, _person


def clip_analysis_start(
    *, camera: Camera, upload, sample_fps: float | None = None, created_by=None
) -> Analysis:
    """Checks the upload (type and size from its first bytes, then decodability, resolution
    and duration) before anything is queued; a bad file is a 400 and nothing is kept."""
    fps = float(sample_fps or camera.sample_fps)
    if not 0.2 <= fps <= 30:
        raise InvalidInput(
            _("The sample rate must be between 0.2 and 30 frames per second."), param="sample_fps"
        )
    face_model(camera.tenant)  # nothing is analysed that could not be stored blurred
    head = upload.read(16)
    upload.seek(0)
    container = check_upload(getattr(upload, "name", ""), upload.size, head)
    folder = storage.tenant_dir(camera.tenant_id) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.{container}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        info = probe_clip(path)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    try:
        with transaction.atomic():
            analysis = Analysis.objects.create(
                tenant=camera.tenant,
                camera=camera,
                source="upload",
                filename=Path(getattr(upload, "name", "") or "clip").name[:200],
                input_path=storage.relative(path),
                sample_fps=fps,
                duration_s=info.duration_s,
                width=info.width,
                height=info.height,
                created_by=_person(created_by),
            )
            job, _created = job_enqueue(
                tenant=camera.tenant,
                kind="video_analytics.analyse",
                task="video_analytics.analyse_clip",
                params={"analysis": str(analysis.pk), "camera": camera.name},
                idempotency_key=f"va-analysis-{analysis.pk}",
                created_by=_person(created_by),
            )
            analysis.job = job
            analysis.save(update_fields=["job"])
            _audit(
                action="video_analytics.clip.upload",
                tenant=camera.tenant,
                actor=created_by,
                obj=analysis,
                data={"camera": camera.pk, "seconds": round(info.duration_s, 1)},
            )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return analysis
