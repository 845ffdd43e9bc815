"""Decode uploaded audio (any container/codec FFmpeg knows) to mono float32 at a fixed rate.

Limits are checked before decoding: size first, then the duration the container header
declares, and the decoded length again as we go (headers can lie or be absent).
"""

from __future__ import annotations

import io

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from suite.ai.errors import InvalidInput
from suite.ai.types import AudioClip


def decode_audio(
    data: bytes,
    *,
    filename: str = "",
    max_bytes: int | None = None,
    max_seconds: float | None = None,
    sample_rate: int = 16000,
) -> AudioClip:
    if max_bytes is None:
        max_bytes = settings.AI_MAX_UPLOAD_BYTES
    if max_seconds is None:
        max_seconds = settings.AI_MAX_AUDIO_SECONDS
    if not data:
        raise InvalidInput(_("The audio file is empty."), param="file")
    if len(data) > max_bytes:
        raise InvalidInput(
            _("The audio file is larger than the limit of %(limit)s bytes.") % {"limit": max_bytes},
            param="file",
        )
    import av

    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, ValueError, OSError) as exc:
        raise _decode_error(exc) from exc
    with container:
        stream = next((s for s in container.streams if s.type == "audio"), None)
        if stream is None:
            raise InvalidInput(
                _("could not decode audio: %(reason)s") % {"reason": _("no audio stream")},
                param="file",
            )
        declared = _declared_seconds(container, stream)
        if declared is not None and declared > max_seconds + 0.5:
            raise _too_long(max_seconds)
        samples = _decode_stream(container, stream, sample_rate, max_seconds)
    if samples.size == 0:
        raise InvalidInput(
            _("could not decode audio: %(reason)s") % {"reason": _("no audio samples")},
            param="file",
        )
    return AudioClip(samples=samples, sample_rate=sample_rate)


def _declared_seconds(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / 1_000_000  # av.time_base is microseconds
    return None


def _decode_stream(container, stream, sample_rate: int, max_seconds: float) -> np.ndarray:
    import av

    resampler = av.AudioResampler(format="flt", layout="mono", rate=sample_rate)
    limit = int((max_seconds + 0.5) * sample_rate)
    chunks: list[np.ndarray] = []
    total = 0
    try:
        for frame in container.decode(stream):
            for out in resampler.resample(frame):
                chunk = out.to_ndarray().reshape(-1)
                chunks.append(chunk)
                total += chunk.size
            if total > limit:
                raise _too_long(max_seconds)
        for out in resampler.resample(None):
            chunks.append(out.to_ndarray().reshape(-1))
    except (av.FFmpegError, ValueError) as exc:
        raise _decode_error(exc) from exc
    if not chunks:
        return np.zeros(0, dtype=np.float32)
    samples = np.concatenate(chunks).astype(np.float32, copy=False)
    if samples.size > limit:
        raise _too_long(max_seconds)
    return np.clip(samples, -1.0, 1.0)


def _decode_error(exc: Exception) -> InvalidInput:
    reason = str(exc).strip() or type(exc).__name__
    return InvalidInput(_("could not decode audio: %(reason)s") % {"reason": reason}, param="file")


def _too_long(max_seconds: float) -> InvalidInput:
    return InvalidInput(
        _("The audio is longer than the limit of %(limit)s seconds.")
        % {"limit": f"{max_seconds:g}"},
        param="file",
    )


def pcm16_to_clip(pcm: bytes, sample_rate: int) -> AudioClip:
    """Raw 16-bit little-endian mono PCM frames (as streamed by call-center clients)."""
    if len(pcm) % 2:
        raise InvalidInput(
            _("PCM audio must contain whole 16-bit samples (got %(count)s bytes).")
            % {"count": len(pcm)},
            param="audio",
        )
    if sample_rate <= 0:
        raise InvalidInput(_("The sample rate must be positive."), param="sample_rate")
    samples = np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768.0
    return AudioClip(samples=samples, sample_rate=sample_rate)
