"""Intake: an order from a text (web, mobile, integrator, Open311) or a recording, filled by the
automatic draft where the submitter gave no value."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, cast

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import InvalidInput
from suite.jobs.services import job_enqueue
from suite.tenancy.models import Tenant

from .drafting import draft_build
from .models import Channel, RecordingIntake, RequestType, Urgency, WorkOrder
from .selectors import asr_prompt
from .services import intake_confirm, order_create

if TYPE_CHECKING:
    from suite.ai.types import AudioClip

TRANSCRIBE_KIND = "gov_hotline.transcribe"

MAX_RECORDING_BYTES = 20 * 1024 * 1024
MAX_RECORDING_SECONDS = 15 * 60
RECORDING_TYPES = (".wav", ".mp3", ".m4a", ".ogg", ".opus", ".flac", ".amr", ".webm", ".aac")


def order_from_text(
    *, caller: gateway.Caller, overrides: dict, request=None, channel: str | None = None
) -> WorkOrder:
    """Saves an order from the submitter's text; fields they did not give come from the draft.
    A submission the draft cannot classify needs its category from the submitter.
    Called outside a transaction: the draft asks models, and `order_create` is atomic itself."""
    draft = draft_build(caller=caller, text=overrides.get("text", ""))
    values = fields_with_draft(overrides, draft)
    return order_create(
        tenant=caller.tenant,
        text=overrides.get("text", ""),
        channel=channel or overrides.get("channel") or Channel.WEB,
        draft=draft,
        user=caller.user,
        request=request,
        latitude=overrides.get("latitude"),
        longitude=overrides.get("longitude"),
        contact_phone=overrides.get("contact_phone", ""),
        **values,
    )


def fields_with_draft(given: dict, draft: dict) -> dict:
    """An order's fields: each as the submitter gave it, else as the draft holds it. A
    submission the draft could not classify needs its category from the submitter."""
    values = {
        "request_type": given.get("request_type") or draft.get("request_type") or RequestType.HELP,
        "category": given.get("category") or draft.get("category", ""),
        "subcategory": given.get("subcategory") or draft.get("subcategory", ""),
        "district": given.get("district") or draft.get("district", ""),
        "address": given.get("address") or draft.get("address", ""),
        "summary": given.get("summary") or draft.get("summary", ""),
        "urgency": given.get("urgency") or draft.get("urgency") or Urgency.NORMAL,
        "contact_name": given.get("contact_name") or (draft.get("contact") or {}).get("name", ""),
    }
    if not values["subcategory"]:
        raise ValidationError(
            {"subcategory": _("No classifier is trained yet: give the category and subcategory.")}
        )
    return values


def order_from_intake(*, intake: RecordingIntake, given: dict, user=None, request=None):
    """Saves the order a transcribed recording becomes (over REST: the portal's agent confirms
    through `intake_confirm` with every field on the form); the recording stays with it."""
    if intake.order_id is not None:
        raise ValidationError(
            {"intake": _("This recording is already order %(n)s.") % {"n": intake.order}}
        )
    if not intake.text:
        raise ValidationError(
            {"intake": _("The recording is not transcribed yet, or no speech was heard.")}
        )
    draft = intake.draft or {}
    values = fields_with_draft(given, draft)
    category, subcategory = values.pop("category"), values.pop("subcategory")
    return intake_confirm(
        tenant=intake.tenant,
        text=intake.text,
        subcategory=f"{category}/{subcategory}",
        transcript=intake.transcript,
        draft=draft,
        intake=intake,
        user=user,
        request=request,
        **values,
    )


def recording_check(upload) -> bytes:
    """Validates an uploaded recording before anything else touches it: extension, size,
    decodable audio and duration. Returns its bytes."""
    from suite.media.audio import decode_audio

    name = (getattr(upload, "name", "") or "").lower()
    if not name.endswith(RECORDING_TYPES):
        raise ValidationError(
            {
                "recording": _("Upload a recording as %(types)s.")
                % {"types": ", ".join(t.lstrip(".") for t in RECORDING_TYPES)}
            }
        )
    if upload.size > MAX_RECORDING_BYTES:
        raise ValidationError(
            {"recording": _("The recording is larger than 20 MB; upload a shorter one.")}
        )
    data = upload.read()
    upload.seek(0)
    try:
        decode_audio(
            data,
            filename=name,
            max_bytes=MAX_RECORDING_BYTES,
            max_seconds=MAX_RECORDING_SECONDS,
        )
    except InvalidInput as exc:
        raise ValidationError({"recording": str(exc)}) from exc
    return data


# A recording is transcribed in pieces of about this many seconds, so its job reports real
# progress (one step per piece) and a long call stays under the per-call audio limit. Each cut
# falls at the quietest moment of the last CUT_WINDOW_SECONDS of a piece: in a pause, not a word.
CHUNK_SECONDS = 30.0
CUT_WINDOW_SECONDS = 5.0
CUT_FRAME_SECONDS = 0.2


def audio_chunks(clip, *, chunk_s: float = CHUNK_SECONDS) -> list[tuple[float, AudioClip]]:
    """(offset in seconds, piece) for each piece of `clip`; a short clip is one piece."""
    import numpy as np

    from suite.ai.types import AudioClip

    rate, samples = clip.sample_rate, clip.samples
    size = int(chunk_s * rate)
    frame = max(1, int(CUT_FRAME_SECONDS * rate))
    window = min(size // 2, int(CUT_WINDOW_SECONDS * rate)) // frame * frame
    pieces: list[tuple[float, AudioClip]] = []
    start = 0
    # The last piece may run up to 1.2 pieces long rather than leave a sliver of a few seconds.
    while len(samples) - start > size * 1.2:
        end = start + size
        tail = samples[end - window : end].reshape(-1, frame)
        quietest = int(np.argmin(np.sqrt((tail.astype(np.float64) ** 2).mean(axis=1))))
        cut = end - window + quietest * frame + frame // 2
        pieces.append((start / rate, AudioClip(samples[start:cut], rate)))
        start = cut
    pieces.append((start / rate, AudioClip(samples[start:], rate)))
    return pieces


def transcribe_recording(
    *, caller: gateway.Caller, data: bytes, filename: str = "", progress=None
) -> dict:
    """Transcript text and segments of a validated recording, through the gateway, piece by
    piece; `progress(done, total)` after each piece."""
    from suite.media.audio import decode_audio

    clip = decode_audio(
        data,
        filename=filename.lower(),
        max_bytes=MAX_RECORDING_BYTES,
        max_seconds=MAX_RECORDING_SECONDS,
    )
    # The tenant's catalogue and districts, so 咨询 is not heard as 资讯.
    prompt = asr_prompt(caller.tenant)
    pieces = audio_chunks(clip)
    texts, segments, engine, fallback = [], [], "", False
    for done, (offset, piece) in enumerate(pieces, start=1):
        served = gateway.transcribe(caller, piece, language="zh", prompt=prompt, itn=True)
        texts.append(served.value.text.strip())
        segments += [
            {
                "start": round(offset + seg.start, 2),
                "end": round(offset + seg.end, 2),
                "text": seg.text,
            }
            for seg in served.value.segments
        ]
        engine, fallback = served.info.engine, fallback or served.info.fallback
        if progress:
            progress(done, len(pieces))
    return {
        "text": "".join(texts).strip(),
        "segments": segments,
        "engine": engine,
        "fallback": fallback,
    }


@transaction.atomic
def recording_intake_start(*, tenant: Tenant, upload, user=None) -> RecordingIntake:
    """Validates the upload, stores it, and enqueues its transcription and drafting on the
    `asr` queue (a long call must not hold the web request)."""
    data = recording_check(upload)
    suffix = "." + (upload.name or "call.wav").rsplit(".", 1)[-1].lower()
    intake = RecordingIntake(tenant=tenant, created_by=user if getattr(user, "pk", None) else None)
    intake.recording.save(f"{uuid.uuid4().hex}{suffix}", ContentFile(data), save=False)
    intake.save()

    intake.job = job_enqueue(
        tenant=tenant,
        kind=TRANSCRIBE_KIND,
        task="gov_hotline.transcribe_intake",
        params={"intake": intake.pk},
        created_by=intake.created_by,
    )[0]
    intake.save(update_fields=["job"])
    return intake


def recording_intake_process(*, intake: RecordingIntake, caller: gateway.Caller, progress=None):
    """Transcribes the stored recording and fills the draft (the job's body)."""
    with intake.recording.open("rb") as handle:
        data = handle.read()
    if progress:
        progress(5, _("Transcribing"))

    def piece_done(done: int, total: int) -> None:
        # Transcription is most of the work: 5% to 80%, one step per piece of the recording.
        if progress:
            progress(
                5 + round(75 * done / total),
                _("Transcribing: part %(done)s of %(total)s") % {"done": done, "total": total},
            )

    # The intake was saved with its recording, so the file has a name.
    name = cast(str, intake.recording.name)
    heard = transcribe_recording(caller=caller, data=data, filename=name, progress=piece_done)
    if progress:
        progress(85, _("Filling the order"))
    intake.text = heard["text"]
    intake.transcript = heard["segments"]
    intake.draft = draft_build(caller=caller, text=heard["text"]) if heard["text"] else {}
    intake.save(update_fields=["text", "transcript", "draft"])
    return intake


@transaction.atomic
def call_intake_save(*, call, text: str, transcript: list, draft: dict) -> RecordingIntake:
    """The intake a live call leaves for the agent to confirm: its transcript and last draft.
    One per call: a dropped call that is resumed and ends again updates the same intake."""
    intake, _created = RecordingIntake.objects.update_or_create(
        tenant=call.tenant,
        call=call,
        defaults={"text": text, "transcript": transcript, "draft": draft},
    )
    return intake
