"""Frame decoding and encoding for both protocols, with the checks a frame must pass."""

from __future__ import annotations

import base64
import binascii

import numpy as np
from django.utils.translation import gettext as _

from suite.ai.types import AudioClip
from suite.media.audio_codecs import mulaw_decode, mulaw_encode, resample

# What the transcriber runs at.
ASR_RATE = 16000
TWILIO_RATE = 8000
# Frames are real time (Twilio sends 20 ms); one frame of more than this is refused.
MAX_FRAME_S = 1.0
# Outbound media frames: 20 ms, as Twilio sends and expects.
OUT_FRAME_S = 0.02


class FrameError(Exception):
    """A frame the call cannot use: answered with an error event, and the call goes on."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _b64(payload: object) -> bytes:
    if not isinstance(payload, str) or not payload:
        raise FrameError("bad_frame", _("The media payload must be a non-empty base64 string."))
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FrameError("bad_frame", _("The media payload is not valid base64.")) from exc


def _check_length(seconds: float) -> None:
    if seconds > MAX_FRAME_S:
        raise FrameError(
            "frame_too_long",
            _("One media frame may hold at most %(limit)s s of audio; this one holds %(s).2f s.")
            % {"limit": MAX_FRAME_S, "s": seconds},
        )


def decode_mulaw_frame(payload: object) -> np.ndarray:
    """Twilio media: base64 8 kHz mu-law -> float32 at the ASR rate."""
    data = _b64(payload)
    _check_length(len(data) / TWILIO_RATE)
    return resample(mulaw_decode(data), TWILIO_RATE, ASR_RATE)


def decode_pcm16_frame(data: bytes) -> np.ndarray:
    """Native stream: 16 kHz little-endian 16-bit PCM -> float32."""
    if not data:
        raise FrameError("bad_frame", _("The audio frame is empty."))
    if len(data) % 2:
        raise FrameError(
            "bad_frame",
            _("16-bit PCM needs an even number of bytes; got %(n)s.") % {"n": len(data)},
        )
    _check_length(len(data) / 2 / ASR_RATE)
    return np.frombuffer(data, dtype="<i2").astype(np.float32) / 32768.0


def decode_pcm16_payload(payload: object) -> np.ndarray:
    return decode_pcm16_frame(_b64(payload))


def _frames(data: bytes, frame_bytes: int) -> list[str]:
    return [
        base64.b64encode(data[i : i + frame_bytes]).decode("ascii")
        for i in range(0, len(data), frame_bytes)
    ]


def encode_mulaw_frames(clip: AudioClip) -> list[str]:
    """Speech for Twilio: 20 ms frames of base64 8 kHz mu-law."""
    samples = resample(clip.samples, clip.sample_rate, TWILIO_RATE)
    return _frames(mulaw_encode(samples), round(TWILIO_RATE * OUT_FRAME_S))


def encode_pcm16_frames(clip: AudioClip) -> list[str]:
    """Speech for the native protocol: 20 ms frames of base64 16 kHz 16-bit PCM."""
    samples = resample(clip.samples, clip.sample_rate, ASR_RATE)
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2").tobytes()
    return _frames(pcm, round(ASR_RATE * OUT_FRAME_S) * 2)
