"""A recognition engine that hands the prompt back as speech ("以下是普通话的句子，关于…" in front
of what was said): the transcript an agent sees, the draft built from it and a live call's
utterances hold only what the caller said, whichever engine answered (issue 16)."""

from __future__ import annotations

import numpy as np
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from gov_hotline import selectors
from gov_hotline.models import RecordingIntake
from suite.ai import gateway
from suite.ai.asr_prompt import LEADS
from suite.ai.backends.base import TranscribeBackend, register
from suite.ai.capabilities import Capability
from suite.ai.types import AudioClip, Segment, Transcript
from tests.ai.prompt_recorder import speech_wav
from tests.factories import member

SAID = "你好，我住在天河区体育西路100号，楼下烧烤店吵到凌晨两点，希望有关部门处理。"


@register
class PromptEcho(TranscribeBackend):
    """Returns the prompt it was given, then what was said: what Whisper does on a clip that
    starts with silence or noise."""

    engine = "test-prompt-echo"
    capabilities = frozenset({Capability.TRANSCRIBE})

    def transcribe(self, audio: AudioClip, *, prompt: str | None = None, **kwargs) -> Transcript:
        echoed = prompt or f"{LEADS['zh']}。"
        half = audio.duration_s / 2
        segments = [
            Segment(0.0, half, echoed, no_speech_prob=0.6),
            Segment(half, audio.duration_s, SAID),
        ]
        return Transcript(
            text=echoed + SAID,
            language="zh",
            language_probability=1.0,
            duration_s=audio.duration_s,
            segments=segments,
        )


@pytest.fixture
def echoing_engine(monkeypatch, settings):
    from suite.ai.backends import ENGINE_MODULES
    from suite.ai.config_cache import invalidate

    monkeypatch.setitem(ENGINE_MODULES, PromptEcho.engine, __name__)
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "transcribe": [{"name": "prompt-echo", "engine": PromptEcho.engine}],
    }
    invalidate()


def _clean(text: str, prompt: str) -> None:
    assert LEADS["zh"] not in text and "关于" not in text
    assert text.startswith("你好") and "体育西路100号" in text
    # None of the prompt's list came along (its terms are the tenant's categories).
    assert prompt.split("关于", 1)[1][:8] not in text


def test_a_recording_intake_keeps_only_what_the_caller_said(
    hl_a, echoing_engine, eager, django_capture_on_commit_callbacks
):
    from django.test import Client

    prompt = selectors.asr_prompt(hl_a)
    assert prompt and prompt.startswith(LEADS["zh"])  # the engine gets, and echoes, a long one
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(member(hl_a, "hotline_agent", username="echo_agent"))
    upload = SimpleUploadedFile("call.wav", speech_wav(2.0), content_type="audio/wav")
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post("/gov-hotline/intake/", {"step": "draft", "recording": upload})
    assert posted.status_code == 302
    intake = RecordingIntake.objects.for_tenant(hl_a).get()
    _clean(intake.text, prompt)
    assert [seg["text"] for seg in intake.transcript] == [SAID]  # the echoed segment is gone
    assert intake.draft["address"] == "体育西路100号"
    assert LEADS["zh"] not in intake.draft["summary"]
    page = client.get(posted["Location"])
    assert LEADS["zh"] not in page.content.decode()


def test_a_live_calls_utterances_keep_only_what_the_caller_said(hl_a, echoing_engine):
    prompt = selectors.asr_prompt(hl_a)
    stream = gateway.transcription_stream(
        gateway.Caller(tenant=hl_a), language="zh", prompt=prompt, partial_interval_s=10.0
    )
    t = np.arange(16000) / 16000
    speech = (0.3 * np.sin(2 * np.pi * 300 * t)).astype(np.float32)
    events = []
    quiet = np.zeros(16000, dtype=np.float32)  # the line's floor first, then the caller
    for samples in (quiet, speech, quiet):
        for start in range(0, len(samples), 320):
            events += stream.feed(samples[start : start + 320])
    events += stream.close()
    finals = [e.text for e in events if e.kind == "final"]
    assert finals
    for text in finals:
        _clean(text, prompt)
