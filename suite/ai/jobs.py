"""Starting background inference jobs. Inputs are validated here, in the request, so a bad
upload is a 400 now rather than a failed job later."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from suite.jobs.models import Job
from suite.jobs.services import job_enqueue
from suite.tenancy.models import Tenant

from . import tasks
from .errors import InvalidInput


def transcription_job_start(
    *,
    tenant: Tenant,
    audio: bytes,
    created_by=None,
    idempotency_key: str | None = None,
    **options,
) -> Job:
    from suite.media.audio import decode_audio

    decode_audio(audio)  # raises InvalidInput before anything is stored
    # The task is sent on commit, so the file is on disk before any worker can look for it.
    with transaction.atomic():
        job, created = job_enqueue(
            tenant=tenant,
            kind="ai.transcribe",
            task=tasks.transcribe_file,
            params={"input": "input.audio", "options": options},
            idempotency_key=idempotency_key,
            created_by=created_by,
        )
        if created:
            folder = tasks.job_dir(job)
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "input.audio").write_bytes(audio)
    return job


def speech_job_start(
    *,
    tenant: Tenant,
    text: str,
    fmt: str = "mp3",
    created_by=None,
    idempotency_key: str | None = None,
    **options,
) -> Job:
    if not text.strip():
        raise InvalidInput(_("The text to speak is empty."), param="text")
    return job_enqueue(
        tenant=tenant,
        kind="ai.synthesize",
        task=tasks.synthesize_speech,
        params={"text": text, "format": fmt, "options": options},
        idempotency_key=idempotency_key,
        created_by=created_by,
    )[0]
