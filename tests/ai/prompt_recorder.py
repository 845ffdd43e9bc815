"""A transcription engine that records the prompt each call hands it (no model): the product
tests use it to see which vocabulary reaches speech recognition."""

from __future__ import annotations

from suite.ai.backends.base import TranscribeBackend, register
from suite.ai.capabilities import Capability
from suite.ai.types import AudioClip, Transcript

PROMPTS: list[str | None] = []
HEARD = "我想咨询一下套餐"


@register
class PromptRecorder(TranscribeBackend):
    engine = "test-prompt-recorder"
    capabilities = frozenset({Capability.TRANSCRIBE})

    def transcribe(self, audio: AudioClip, *, prompt: str | None = None, **kwargs) -> Transcript:
        PROMPTS.append(prompt)
        return Transcript(
            text=HEARD, language="zh", language_probability=1.0, duration_s=audio.duration_s
        )


def use_prompt_recorder(monkeypatch, settings) -> list[str | None]:
    """Every transcription of the test goes to the recorder; returns the prompts it got."""
    from suite.ai.backends import ENGINE_MODULES
    from suite.ai.config_cache import invalidate

    monkeypatch.setitem(ENGINE_MODULES, PromptRecorder.engine, __name__)
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "transcribe": [{"name": "prompt-recorder", "engine": PromptRecorder.engine}],
    }
    invalidate()
    PROMPTS.clear()
    return PROMPTS


def speech_wav(seconds: float = 1.0) -> bytes:
    """A WAV of a loud tone: something to transcribe (the recorder does not listen)."""
    import numpy as np

    from suite.media.audio_codecs import encode_audio

    t = np.arange(int(seconds * 16000)) / 16000
    samples = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    return encode_audio(AudioClip(samples, 16000), "wav")
