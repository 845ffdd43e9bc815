"""Helpers (no tests here) shared by the telephony and customer-service call tests: fast speech
engines and client helpers.

The tone engines stand in for models where a test is about the protocol, not recognition:
`test-tones` "recognises" the dominant frequency of an utterance as a fixed sentence, so a test
knows exactly what text a burst of tone must produce; `test-tone-tts` speaks a short tone per
sentence.
"""

from __future__ import annotations

import base64
import contextlib

import numpy as np

from suite.ai.backends.base import SynthesizeBackend, TranscribeBackend, register
from suite.ai.capabilities import Capability
from suite.ai.types import AudioClip, Transcript
from suite.media.audio_codecs import mulaw_encode, resample

RATE = 16000
# Frequency of a test "utterance" -> what the tone engine hears.
PHRASES = {
    440: "我想查一下这个月的话费",
    660: "我屋企宽带冇网，点算啊",
    880: "你们这个服务太差了，我要投诉",
}


@register
class ToneTranscriber(TranscribeBackend):
    engine = "test-tones"
    capabilities = frozenset({Capability.TRANSCRIBE})

    def transcribe(self, audio: AudioClip, **kwargs) -> Transcript:
        samples = np.asarray(audio.samples, dtype=np.float32)
        loud = samples[np.abs(samples) > 0.01]
        text = ""
        if loud.size > audio.sample_rate // 10:
            spectrum = np.abs(np.fft.rfft(samples))
            peak = np.fft.rfftfreq(samples.size, 1 / audio.sample_rate)[int(np.argmax(spectrum))]
            nearest = min(PHRASES, key=lambda f: abs(f - peak))
            text = PHRASES[nearest] if abs(nearest - peak) < 40 else "嗯"
        return Transcript(
            text=text, language="zh", language_probability=1.0, duration_s=audio.duration_s
        )


@register
class ToneSpeaker(SynthesizeBackend):
    engine = "test-tone-tts"
    capabilities = frozenset({Capability.SYNTHESIZE})

    def synthesize(self, text, *, voice=None, language="zh", speed=1.0) -> AudioClip:
        return tone(300, 0.4, amplitude=0.2)


TEST_MODELS = {
    "transcribe": [{"name": "tones", "engine": "test-tones"}],
    "synthesize": [{"name": "tone-tts", "engine": "test-tone-tts"}],
}


def use_tone_engines(monkeypatch, settings) -> None:
    from suite.ai.backends import ENGINE_MODULES
    from suite.ai.config_cache import invalidate

    for engine in ("test-tones", "test-tone-tts"):
        monkeypatch.setitem(ENGINE_MODULES, engine, "tests.suite.test_telephony_support")
    settings.AI_DEFAULT_MODELS = {**settings.AI_DEFAULT_MODELS, **TEST_MODELS}
    settings.TELEPHONY_RESUME_WINDOW_S = 0.5
    invalidate()


def tone(freq: float, seconds: float, amplitude: float = 0.3, rate: int = RATE) -> AudioClip:
    t = np.arange(int(seconds * rate)) / rate
    return AudioClip((amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32), rate)


def silence(seconds: float, rate: int = RATE) -> AudioClip:
    return AudioClip(np.zeros(int(seconds * rate), dtype=np.float32), rate)


def utterance(freq: float, speech_s: float = 1.0, pause_s: float = 1.0) -> np.ndarray:
    """An utterance the endpointer closes: a breath of silence (the endpointer takes the first
    frame of a call as its noise floor), speech, then enough silence."""
    parts = [silence(0.2).samples, tone(freq, speech_s).samples, silence(pause_s).samples]
    return np.concatenate(parts)


def pcm16(samples: np.ndarray) -> bytes:
    return (np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes()


def chunks(samples: np.ndarray, seconds: float = 0.2, rate: int = RATE):
    step = int(seconds * rate)
    for start in range(0, samples.size, step):
        yield samples[start : start + step]


def twilio_media(samples: np.ndarray, seq: int, sid: str = "MZ1") -> dict:
    payload = base64.b64encode(mulaw_encode(resample(samples, RATE, 8000))).decode()
    return {
        "event": "media",
        "sequenceNumber": str(seq),
        "streamSid": sid,
        "media": {"track": "inbound", "chunk": str(seq), "timestamp": "0", "payload": payload},
    }


def twilio_start(seq: int = 1, sid: str = "MZ1", call_sid: str = "CA1", **params) -> dict:
    return {
        "event": "start",
        "sequenceNumber": str(seq),
        "streamSid": sid,
        "start": {
            "streamSid": sid,
            "callSid": call_sid,
            "accountSid": "AC1",
            "tracks": ["inbound"],
            "customParameters": params,
            "mediaFormat": {"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
        },
    }


async def receive_until(ws, predicate, timeout: float = 20.0) -> list[dict]:
    """Messages up to and including the first one the predicate accepts."""
    seen = []
    while True:
        message = await ws.receive_json_from(timeout=timeout)
        seen.append(message)
        if predicate(message):
            return seen


@contextlib.asynccontextmanager
async def calls_ended():
    """Calls a test left open are stopped, and their worker jobs finished, before the test
    database is flushed (PostgreSQL would deadlock TRUNCATE against a job's row lock)."""
    from suite.telephony import session

    before = set(session.SESSIONS)
    yield
    for call_id in set(session.SESSIONS) - before:
        live = session.SESSIONS.get(call_id)
        if live is not None:
            await live.stop()
    pool, session._executor = session._executor, None
    if pool is not None:
        pool.shutdown(wait=True)
