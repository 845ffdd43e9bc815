"""Live-call transcription through the gateway: the bundled Whisper base, metered per second."""

from pathlib import Path

import numpy as np
import pytest

from suite.ai import gateway
from suite.ai.capabilities import Unit
from suite.ai.errors import QuotaExceeded
from suite.ai.models import Period, Quota, QuotaCounter, UsageRecord
from suite.media.audio import decode_audio

CLIP = Path(__file__).parent / "data" / "mandarin_phone_espeak.wav"
FRAME = 320  # 20 ms at 16 kHz, what a call-center stream sends


def frames(samples: np.ndarray):
    for start in range(0, len(samples), FRAME):
        yield samples[start : start + FRAME]


def test_two_utterances_give_two_finals_and_one_usage_row(tenant_a):
    speech = decode_audio(CLIP.read_bytes()).samples
    silence = np.zeros(16000, dtype=np.float32)
    call = np.concatenate([speech, silence, speech, silence])
    stream = gateway.transcription_stream(
        gateway.Caller(tenant=tenant_a), language="zh", partial_interval_s=2.0
    )
    events = []
    for frame in frames(call):
        events += stream.feed(frame)
    events += stream.close()
    finals = [e for e in events if e.kind == "final"]
    assert len(finals) == 2
    assert all(f.text.strip() for f in finals)
    speech_s = len(speech) / 16000
    assert finals[0].end_s < speech_s + 1.0
    assert speech_s < finals[1].start_s < finals[1].end_s <= len(call) / 16000
    record = UsageRecord.objects.for_tenant(tenant_a).get()
    assert record.audio_seconds == pytest.approx(len(call) / 16000, abs=0.05)
    assert record.engine == "faster-whisper"


def test_the_audio_quota_stops_a_call_mid_stream(tenant_a):
    Quota.objects.create(tenant=tenant_a, unit=Unit.AUDIO_SECONDS, period=Period.DAY, limit=2)
    stream = gateway.transcription_stream(gateway.Caller(tenant=tenant_a), language="zh")
    fed = 0.0
    with pytest.raises(QuotaExceeded):
        for frame in frames(np.zeros(16000 * 5, dtype=np.float32)):
            stream.feed(frame)
            fed += len(frame) / 16000
    assert 1.9 < fed <= 2.0
    assert QuotaCounter.objects.get().used == 2
