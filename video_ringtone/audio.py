"""The ringtone's soundtrack: a bundled music track looped to length, with volume and fades,
and an optional voice-over greeting that the music ducks under."""

from __future__ import annotations

import functools
import subprocess
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from suite.ai.types import AudioClip

from .render import AUDIO_RATE

FADE_IN_S = 0.5
FADE_OUT_S = 1.5
VOICE_AT_S = 0.5
DUCK_GAIN = 0.3


@functools.lru_cache(maxsize=8)
def _decode(path: str) -> np.ndarray:
    proc = subprocess.run(  # noqa: S603
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", path,
         "-f", "f32le", "-ac", "1", "-ar", str(AUDIO_RATE), "-"],
        capture_output=True, check=True, timeout=60,
    )  # fmt: skip
    samples = np.frombuffer(proc.stdout, dtype="<f4").copy()
    samples.setflags(write=False)
    return samples


def music_samples(path: Path, duration_s: float) -> np.ndarray:
    track = _decode(str(path))
    n = round(duration_s * AUDIO_RATE)
    if len(track) == 0:
        return np.zeros(n, dtype=np.float32)
    return np.resize(track, n).astype(np.float32)  # loops the track when it is shorter


def _resample(clip: AudioClip) -> np.ndarray:
    if clip.sample_rate == AUDIO_RATE:
        return clip.samples.astype(np.float32)
    n = round(len(clip.samples) * AUDIO_RATE / clip.sample_rate)
    x = np.linspace(0, len(clip.samples) - 1, n)
    return np.interp(x, np.arange(len(clip.samples)), clip.samples).astype(np.float32)


def soundtrack(
    duration_s: float,
    *,
    music: Path | None,
    volume: float,
    voice: AudioClip | None = None,
) -> np.ndarray:
    n = round(duration_s * AUDIO_RATE)
    out = np.zeros(n, dtype=np.float32)
    if music is not None and volume > 0:
        bed = music_samples(music, duration_s) * float(volume)
        envelope = np.ones(n, dtype=np.float32)
        fade_in = min(n, round(FADE_IN_S * AUDIO_RATE))
        fade_out = min(n, round(FADE_OUT_S * AUDIO_RATE))
        envelope[:fade_in] *= np.linspace(0, 1, fade_in, dtype=np.float32)
        envelope[n - fade_out :] *= np.linspace(1, 0, fade_out, dtype=np.float32)
        out += bed * envelope
    if voice is not None and len(voice.samples):
        speech = _resample(voice)
        start = min(n, round(VOICE_AT_S * AUDIO_RATE))
        end = min(n, start + len(speech))
        if end > start:
            # Duck the music under the voice, with 0.2 s ramps so it does not click.
            duck = np.ones(n, dtype=np.float32)
            duck[start:end] = DUCK_GAIN
            ramp = round(0.2 * AUDIO_RATE)
            kernel = np.ones(ramp, dtype=np.float32) / ramp
            duck = np.convolve(duck, kernel, mode="same").astype(np.float32)
            out *= duck
            peak = float(np.abs(speech).max()) or 1.0
            out[start:end] += speech[: end - start] * (0.9 / peak)
    return np.clip(out, -1.0, 1.0)
