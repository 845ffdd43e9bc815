"""Encode synthesised audio for delivery: WAV, MP3, Ogg/Opus, FLAC, raw PCM and G.711 mu-law.

Containers go through PyAV (FFmpeg), so metadata lands in each format's own tags: a RIFF
LIST/INFO chunk for WAV, ID3v2 for MP3, Vorbis comments for Ogg and FLAC. Raw PCM and mu-law
carry no header (telephony media frames, e.g. Twilio's 20 ms of 8 kHz mu-law).
"""

from __future__ import annotations

import io
from math import gcd
from typing import Literal

import numpy as np
from django.utils.translation import gettext as _

from suite.ai.errors import InvalidInput
from suite.ai.types import AudioClip

MEDIA_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "ogg": "audio/ogg",
    "flac": "audio/flac",
    "pcm": "audio/L16",
    "mulaw": "audio/basic",
}
MIN_RATE = 8000
MAX_RATE = 48000
# Opus only runs at these rates; we pick the smallest one at or above the requested rate.
OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
# Spelled out so that PyAV's stubs see audio codec names and type the stream as audio.
_AudioCodec = Literal["pcm_s16le", "libmp3lame", "libopus", "flac"]
# (container format, codec) per encoded format.
_CONTAINERS: dict[str, tuple[str, _AudioCodec]] = {
    "wav": ("wav", "pcm_s16le"),
    "mp3": ("mp3", "libmp3lame"),
    "ogg": ("ogg", "libopus"),
    "flac": ("flac", "flac"),
}

_MULAW_BIAS = 0x84
_MULAW_CLIP = 32635


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """Polyphase resampling (anti-aliased), float32 out."""
    samples = np.asarray(samples, dtype=np.float32)
    if src_rate == dst_rate or samples.size == 0:
        return samples
    from scipy.signal import resample_poly

    divisor = gcd(int(src_rate), int(dst_rate))
    out = resample_poly(samples, int(dst_rate) // divisor, int(src_rate) // divisor)
    return out.astype(np.float32, copy=False)


def _to_int16(samples: np.ndarray) -> np.ndarray:
    clipped = np.clip(np.asarray(samples, dtype=np.float32), -1.0, 1.0)
    return np.round(clipped * 32767.0).astype(np.int16)


def mulaw_encode(samples: np.ndarray) -> bytes:
    """G.711 mu-law bytes of float samples in [-1, 1] (one byte per sample)."""
    pcm = _to_int16(samples).astype(np.int32)
    sign = np.where(pcm < 0, 0x80, 0x00)
    magnitude = np.minimum(np.abs(pcm), _MULAW_CLIP) + _MULAW_BIAS
    # Segment (exponent) = position of the highest set bit above bit 7, 0..7.
    exponent = np.floor(np.log2(magnitude)).astype(np.int32) - 7
    exponent = np.clip(exponent, 0, 7)
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    code = ~(sign | (exponent << 4) | mantissa) & 0xFF
    return code.astype(np.uint8).tobytes()


def _mulaw_table() -> np.ndarray:
    code = ~np.arange(256, dtype=np.int32) & 0xFF
    sign = code & 0x80
    exponent = (code >> 4) & 0x07
    mantissa = code & 0x0F
    magnitude = (((mantissa << 3) + _MULAW_BIAS) << exponent) - _MULAW_BIAS
    return np.where(sign != 0, -magnitude, magnitude).astype(np.int16)


MULAW_TO_PCM16 = _mulaw_table()


def mulaw_decode(data: bytes) -> np.ndarray:
    """Float32 samples in [-1, 1] from G.711 mu-law bytes."""
    codes = np.frombuffer(data, dtype=np.uint8)
    return MULAW_TO_PCM16[codes].astype(np.float32) / 32768.0


def encode_audio(
    clip: AudioClip,
    fmt: str,
    *,
    sample_rate: int | None = None,
    metadata: dict[str, str] | None = None,
) -> bytes:
    fmt = (fmt or "").lower()
    if fmt not in MEDIA_TYPES:
        raise InvalidInput(
            _("Unsupported audio format %(format)s; use one of: %(formats)s.")
            % {"format": fmt, "formats": ", ".join(MEDIA_TYPES)},
            param="format",
        )
    rate = int(sample_rate or (8000 if fmt == "mulaw" else clip.sample_rate))
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InvalidInput(
            _("Sample rate %(rate)s Hz is outside the supported range %(low)s-%(high)s Hz.")
            % {"rate": rate, "low": MIN_RATE, "high": MAX_RATE},
            param="sample_rate",
        )
    samples = resample(clip.samples, clip.sample_rate, rate)
    if fmt == "pcm":
        return _to_int16(samples).astype("<i2").tobytes()
    if fmt == "mulaw":
        return mulaw_encode(samples)
    if fmt == "ogg":
        opus_rate = next(r for r in OPUS_RATES if r >= rate)
        samples, rate = resample(samples, rate, opus_rate), opus_rate
    return _encode_container(samples, rate, fmt, metadata or {})


def _encode_container(samples: np.ndarray, rate: int, fmt: str, metadata: dict[str, str]) -> bytes:
    import av

    container_format, codec = _CONTAINERS[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container_format) as container:
        container.metadata.update({str(k): str(v) for k, v in metadata.items()})
        stream = container.add_stream(codec, rate=rate, layout="mono")
        if fmt == "mp3":
            stream.bit_rate = 64000 if rate <= 24000 else 128000
        elif fmt == "ogg":
            stream.bit_rate = 32000
        pcm = _to_int16(samples)
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, len(pcm), frame_size):
            chunk = pcm[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
