import io

import av
import numpy as np
import pytest

from suite.ai.errors import InvalidInput
from suite.ai.types import AudioClip
from suite.media.audio_codecs import (
    MEDIA_TYPES,
    MULAW_TO_PCM16,
    encode_audio,
    mulaw_decode,
    mulaw_encode,
    resample,
)

RATE = 22050


def tone(seconds: float = 1.5, rate: int = RATE, freq: float = 440.0) -> AudioClip:
    t = np.arange(int(seconds * rate)) / rate
    return AudioClip((0.4 * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def decode(data: bytes) -> tuple[np.ndarray, int, dict[str, str]]:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        tags = {**container.metadata, **stream.metadata}
        frames = [f.to_ndarray().astype(np.float32).reshape(-1) for f in container.decode(stream)]
        return np.concatenate(frames), stream.rate, tags


@pytest.mark.parametrize(
    ("fmt", "rate", "decoded_rate"),
    [
        ("wav", 16000, 16000),
        ("mp3", 24000, 24000),
        ("flac", 22050, 22050),
        ("ogg", 16000, 48000),  # Opus always decodes at 48 kHz
    ],
)
def test_containers_round_trip_with_rate_duration_and_tags(fmt, rate, decoded_rate):
    clip = tone()
    data = encode_audio(
        clip, fmt, sample_rate=rate, metadata={"title": "客服语音", "comment": "AIGC"}
    )
    samples, got_rate, tags = decode(data)
    assert got_rate == decoded_rate
    assert abs(len(samples) / got_rate - clip.duration_s) < 0.08
    assert tags.get("title") == "客服语音"
    assert tags.get("comment") == "AIGC"
    assert MEDIA_TYPES[fmt].startswith("audio/")


def test_wav_is_lossless_16_bit():
    clip = tone(0.5)
    samples, rate, _ = decode(encode_audio(clip, "wav"))
    assert rate == RATE
    np.testing.assert_allclose(samples / 32768.0, clip.samples, atol=1 / 16000)


def test_raw_pcm_is_s16le_at_requested_rate():
    clip = tone(1.0)
    data = encode_audio(clip, "pcm", sample_rate=16000)
    assert len(data) == 2 * 16000
    pcm = np.frombuffer(data, dtype="<i2").astype(np.float32) / 32767
    assert abs(np.sqrt(np.mean(pcm**2)) - 0.4 / np.sqrt(2)) < 0.01


def test_mulaw_defaults_to_8k_one_byte_per_sample():
    clip = tone(1.0)
    data = encode_audio(clip, "mulaw")
    assert len(data) == 8000
    decoded = mulaw_decode(data)
    reference = resample(clip.samples, RATE, 8000)
    assert np.max(np.abs(decoded - reference)) < 0.02


def test_mulaw_standard_table_values():
    # G.711: 0xFF and 0x7F are +/-0, 0x80 and 0x00 are the extremes +/-32124.
    assert list(MULAW_TO_PCM16[[0xFF, 0x7F, 0x80, 0x00, 0xFE, 0x7E, 0xEF]]) == [
        0,
        0,
        32124,
        -32124,
        8,
        -8,
        132,
    ]
    assert mulaw_encode(np.array([0.0, 1.0, -1.0], dtype=np.float32)) == bytes([0xFF, 0x80, 0x00])
    codes = np.array([c for c in range(256) if c != 0x7F], dtype=np.uint8)
    assert mulaw_encode(mulaw_decode(codes.tobytes()) * 32768 / 32767) == codes.tobytes()


def test_mulaw_round_trip_error_is_bounded_relative_to_amplitude():
    x = np.linspace(-1, 1, 20001, dtype=np.float32)
    error = np.abs(mulaw_decode(mulaw_encode(x)) - x)
    # Logarithmic quantisation: relative error about 1/16 of the segment, plus a floor near 0.
    assert np.all(error <= np.abs(x) / 16 + 2e-3)


def test_mulaw_is_fast_enough_for_media_frames():
    import time

    frame = np.random.default_rng(0).uniform(-1, 1, 160).astype(np.float32)
    start = time.perf_counter()
    for _ in range(1000):
        mulaw_decode(mulaw_encode(frame))
    assert time.perf_counter() - start < 1.0


def test_resample_keeps_frequency_and_length():
    clip = tone(1.0, rate=44100, freq=1000)
    out = resample(clip.samples, 44100, 16000)
    assert len(out) == 16000
    spectrum = np.abs(np.fft.rfft(out))
    assert abs(np.argmax(spectrum) - 1000) <= 1


@pytest.mark.parametrize("fmt", ["aac", "", "exe"])
def test_unsupported_format(fmt):
    with pytest.raises(InvalidInput) as info:
        encode_audio(tone(0.1), fmt)
    assert info.value.param == "format"


@pytest.mark.parametrize("rate", [4000, 7999, 48001, 96000])
def test_rate_out_of_range(rate):
    with pytest.raises(InvalidInput) as info:
        encode_audio(tone(0.1), "wav", sample_rate=rate)
    assert info.value.param == "sample_rate"
