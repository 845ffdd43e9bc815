"""Voice for the subscriber chat: a push-to-talk clip in, a spoken reply out (via the gateway)."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import InvalidInput
from suite.ai.labelling import audio_metadata
from suite.media.audio import decode_audio
from suite.media.audio_codecs import encode_audio

from .models import Conversation
from .selectors import asr_prompt

MAX_CLIP_SECONDS = 60
MAX_CLIP_BYTES = 5 * 1024 * 1024


def transcribe_clip(conversation: Conversation, data: bytes, filename: str = "") -> dict:
    """Validates and transcribes a clip; {"text", "language", "confidence", "seconds"}."""
    try:
        clip = decode_audio(
            data, filename=filename, max_bytes=MAX_CLIP_BYTES, max_seconds=MAX_CLIP_SECONDS
        )
    except InvalidInput as exc:
        raise ValidationError({"audio": exc.message}) from exc
    if clip.duration_s < 0.3:
        raise ValidationError({"audio": _("The recording is shorter than 0.3 seconds.")})
    caller = gateway.Caller(tenant=conversation.tenant, user=conversation.subscriber)
    served = gateway.transcribe(
        caller,
        clip,
        language="zh",
        # The tenant's plans and knowledge-base terms, so 套餐 is not heard as 炮参.
        prompt=asr_prompt(conversation.tenant),
        word_timestamps=True,
        itn=True,
        # A dialect ASR model configured for the caller's dialect is tried first.
        dialect=conversation.dialect if conversation.dialect != "mandarin" else "",
    )
    transcript = served.value
    words = [w for s in transcript.segments for w in s.words]
    confidence = sum(w.probability for w in words) / len(words) if words else None
    return {
        "text": transcript.text.strip(),
        "language": transcript.language,
        "confidence": confidence,
        "seconds": clip.duration_s,
        "engine": served.info.engine,
    }


def speakable(text: str) -> str:
    """The answer without the fallback notice, the citation markers and the source list."""
    text = text.split("\n\n", 1)[0]
    lines = [line for line in text.splitlines() if not re.match(r"^\s*[（(].*[)）]\s*$", line)]
    text = re.sub(r"\[\d+\]", "", " ".join(lines))
    return text.strip()[:600]


def synthesize_reply(conversation: Conversation, text: str) -> tuple[bytes, dict]:
    """WAV bytes of the reply in the tenant's default voice for the caller's language (its
    Cantonese voice for a Cantonese speaker, its Mandarin voice for every other dialect),
    labelled as AI."""
    spoken = speakable(text)
    if not spoken:
        raise ValidationError({"text": _("There is nothing to speak in this reply.")})
    caller = gateway.Caller(tenant=conversation.tenant, user=conversation.subscriber)
    dialect = conversation.dialect if conversation.dialect != "mandarin" else ""
    served = gateway.synthesize(caller, spoken, dialect=dialect)
    payload = encode_audio(
        served.value,
        "wav",
        metadata=audio_metadata(provider=served.info.engine, content_id=served.info.content_id),
    )
    return payload, {
        "engine": served.info.engine,
        "content_id": served.info.content_id,
        "fallback": served.info.fallback,
    }


def upload_limit() -> int:
    return min(MAX_CLIP_BYTES, settings.AI_MAX_UPLOAD_BYTES)
