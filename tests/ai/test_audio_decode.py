import io

import av
import numpy as np
import pytest

from suite.ai.errors import InvalidInput
from suite.media.audio import decode_audio, pcm16_to_clip


def _encode(fmt: str, codec: str, seconds: float = 1.0, rate: int = 44100) -> bytes:
    buffer = io.BytesIO()
    rate = 48000 if codec == "libopus" else rate
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.5 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16)
    with av.open(buffer, "w", format=fmt) as out:
        stream = out.add_stream(codec, rate=rate, layout="stereo")
        frame = av.AudioFrame.from_ndarray(
            np.repeat(pcm[None, :], 2, axis=0).reshape(1, -1), format="s16", layout="stereo"
        )
        frame.sample_rate = rate
        resampler = av.AudioResampler(format=stream.codec_context.format, layout="stereo")
        for chunk in [*resampler.resample(frame), None]:
            for packet in stream.encode(chunk):
                out.mux(packet)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("fmt", "codec"), [("wav", "pcm_s16le"), ("ogg", "libopus"), ("mp3", "libmp3lame")]
)
def test_decodes_to_mono_16k(fmt, codec):
    clip = decode_audio(_encode(fmt, codec, seconds=1.0), filename=f"a.{fmt}")
    assert clip.sample_rate == 16000
    assert clip.samples.dtype == np.float32
    assert clip.samples.ndim == 1
    assert clip.duration_s == pytest.approx(1.0, abs=0.08)
    assert 0.2 < float(np.abs(clip.samples).max()) <= 1.0


def test_other_sample_rate():
    clip = decode_audio(_encode("wav", "pcm_s16le", seconds=0.5), sample_rate=8000)
    assert clip.sample_rate == 8000
    assert len(clip.samples) == pytest.approx(4000, abs=40)


def test_empty():
    with pytest.raises(InvalidInput, match="empty"):
        decode_audio(b"")


def test_corrupt_and_text_renamed():
    with pytest.raises(InvalidInput, match="could not decode audio"):
        decode_audio(bytes(range(256)) * 20, filename="x.mp3")
    with pytest.raises(InvalidInput, match="could not decode audio"):
        decode_audio("这不是音频文件，只是文本。\n".encode() * 50, filename="notes.wav")


def test_truncated_wav_header_only():
    data = _encode("wav", "pcm_s16le")[:44]
    with pytest.raises(InvalidInput, match="could not decode audio"):
        decode_audio(data)


def test_too_large_names_limit():
    data = _encode("wav", "pcm_s16le", seconds=0.2)
    with pytest.raises(InvalidInput, match=str(len(data) - 1)):
        decode_audio(data, max_bytes=len(data) - 1)


def test_default_limit_from_settings(settings):
    settings.AI_MAX_UPLOAD_BYTES = 1000
    with pytest.raises(InvalidInput, match="1000"):
        decode_audio(_encode("wav", "pcm_s16le", seconds=0.2))
    settings.AI_MAX_UPLOAD_BYTES = 10_000_000
    settings.AI_MAX_AUDIO_SECONDS = 1
    with pytest.raises(InvalidInput, match="1 seconds"):
        decode_audio(_encode("wav", "pcm_s16le", seconds=3))


@pytest.mark.parametrize(("fmt", "codec"), [("wav", "pcm_s16le"), ("ogg", "libopus")])
def test_too_long_names_limit(fmt, codec):
    with pytest.raises(InvalidInput, match="2 seconds"):
        decode_audio(_encode(fmt, codec, seconds=4), max_seconds=2)


def test_pcm16_to_clip():
    pcm = np.array([0, 16384, -32768, 32767], dtype="<i2").tobytes()
    clip = pcm16_to_clip(pcm, 8000)
    assert clip.sample_rate == 8000
    np.testing.assert_allclose(clip.samples, [0.0, 0.5, -1.0, 32767 / 32768])
    with pytest.raises(InvalidInput, match="16-bit"):
        pcm16_to_clip(pcm[:-1], 8000)
