import itertools

import numpy as np
import pytest

from suite.ai.live_transcriber import StreamingTranscriber
from suite.ai.types import AudioClip, Transcript

RATE = 16000


def _tone(seconds: float, amplitude: float = 0.3) -> np.ndarray:
    t = np.arange(int(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * 300 * t)).astype(np.float32)


def _noise(seconds: float, level: float = 0.002) -> np.ndarray:
    rng = np.random.default_rng(0)
    return (level * rng.standard_normal(int(seconds * RATE))).astype(np.float32)


# The endpointer calibrates its noise floor on the first frame: streams open with line noise.
LEAD = _noise(0.1)


class FakeAsr:
    def __init__(self):
        self.lengths: list[float] = []

    def __call__(self, clip: AudioClip) -> Transcript:
        self.lengths.append(clip.duration_s)
        return Transcript(f"{clip.duration_s:.2f}", "zh", 1.0, clip.duration_s)


def _run(stream: StreamingTranscriber, audio: np.ndarray, chunk: int = 320 * 3 + 7):
    events = []
    for offset in range(0, audio.size, chunk):
        events.extend(stream.feed(audio[offset : offset + chunk]))
    return events + stream.flush()


def test_speech_silence_speech_gives_two_finals():
    audio = np.concatenate([_noise(0.5), _tone(2.5), _noise(1.2), _tone(1.5), _noise(0.3)])
    asr = FakeAsr()
    events = _run(StreamingTranscriber(asr, partial_interval_s=1.0, silence_s=0.6), audio)
    finals = [e for e in events if e.kind == "final"]
    partials = [e for e in events if e.kind == "partial"]
    assert [f.utterance for f in finals] == [0, 1]
    # First utterance: tone 0.5-3.0 s; the boundary lies near the silence.
    assert finals[0].start_s == pytest.approx(0.5, abs=0.25)
    assert finals[0].end_s == pytest.approx(3.0, abs=0.35)
    assert finals[1].start_s == pytest.approx(4.2, abs=0.25)
    assert finals[1].end_s == pytest.approx(5.7, abs=0.35)
    assert finals[0].end_s < finals[1].start_s
    # Partials run only while the caller speaks, never in the pause before an endpoint.
    assert all(p.end_s <= (3.0, 5.7)[p.utterance] + 0.02 for p in partials)
    # Partials: at most one per second of utterance audio, and they grow.
    for index in (0, 1):
        ends = [p.end_s for p in partials if p.utterance == index]
        assert ends == sorted(ends)
        assert all(b - a >= 1.0 - 1e-6 for a, b in itertools.pairwise(ends))
    # Utterance 0 spans ~3.3 s before its endpoint (pre-roll + tone + silence): 2 or 3 partials.
    assert len([p for p in partials if p.utterance == 0]) in (2, 3)
    assert len([p for p in partials if p.utterance == 1]) in (1, 2)
    # Each call got the utterance so far; the final got the whole utterance.
    assert len(asr.lengths) == len(events)
    assert finals[0].text == f"{finals[0].end_s - finals[0].start_s:.2f}"


def test_noise_floor_adapts_and_silence_gives_nothing():
    asr = FakeAsr()
    loud_noise = _noise(3.0, level=0.02)
    assert _run(StreamingTranscriber(asr), loud_noise) == []
    assert asr.lengths == []


def test_max_utterance_forces_final():
    asr = FakeAsr()
    events = _run(
        StreamingTranscriber(asr, max_utterance_s=2.0, partial_interval_s=10),
        np.concatenate([LEAD, _tone(3.5), _noise(1.0)]),
    )
    finals = [e for e in events if e.kind == "final"]
    assert len(finals) == 2
    assert finals[0].end_s - finals[0].start_s == pytest.approx(2.0, abs=0.021)
    assert finals[1].start_s == pytest.approx(finals[0].end_s, abs=0.021)
    assert finals[1].end_s == pytest.approx(3.6, abs=0.35)


def test_flush_ends_open_utterance_and_accepts_clips():
    asr = FakeAsr()
    stream = StreamingTranscriber(asr, partial_interval_s=5)
    assert stream.feed(AudioClip(np.concatenate([LEAD, _tone(1.0)])[::2].copy(), 8000)) == []
    events = stream.flush()
    assert [e.kind for e in events] == ["final"]
    assert events[0].end_s == pytest.approx(1.1, abs=0.05)


def test_a_partial_waits_while_another_stream_transcribes_but_a_final_does_not():
    """Two streams in two threads: while one stream's model run is in progress, the other's
    partial is skipped (and retried on a later frame), and its final runs anyway."""
    import threading

    started, release = threading.Event(), threading.Event()

    def slow(clip: AudioClip) -> Transcript:
        started.set()
        release.wait(10)
        return Transcript("slow", "zh", 1.0, clip.duration_s)

    blocker = StreamingTranscriber(slow, partial_interval_s=100)
    worker = threading.Thread(
        target=lambda: _run(blocker, np.concatenate([LEAD, _tone(0.5), _noise(1.0)]))
    )
    worker.start()
    assert started.wait(10)
    try:
        asr = FakeAsr()
        stream = StreamingTranscriber(asr, partial_interval_s=0.5, silence_s=0.6)
        busy_events = _run(stream, np.concatenate([LEAD, _tone(2.0), _noise(1.0)]))
    finally:
        release.set()
        worker.join(10)
    assert [e.kind for e in busy_events] == ["final"]
    assert asr.lengths == [pytest.approx(busy_events[0].end_s - busy_events[0].start_s)]

    # With the model idle, the same audio gets its partials, from the next frame on.
    idle = StreamingTranscriber(FakeAsr(), partial_interval_s=0.5, silence_s=0.6)
    idle_events = _run(idle, np.concatenate([LEAD, _tone(2.0), _noise(1.0)]))
    assert [e.kind for e in idle_events].count("partial") >= 3


def test_partials_stop_while_the_model_is_loaded_and_the_final_still_runs():
    """Each model run takes 1 s of a 10 s window; partials stop once 30 % of it is used."""
    from suite.ai.live_transcriber import ModelLoad

    now = [0.0]

    class SlowAsr(FakeAsr):
        def __call__(self, clip: AudioClip) -> Transcript:
            now[0] += 1.0
            return super().__call__(clip)

    asr = SlowAsr()
    stream = StreamingTranscriber(
        asr,
        partial_interval_s=0.5,
        silence_s=0.6,
        partial_max_load=0.3,
        load=ModelLoad(window_s=10.0, clock=lambda: now[0]),
    )
    events = _run(stream, np.concatenate([LEAD, _tone(4.0), _noise(1.0)]))
    kinds = [e.kind for e in events]
    # 4 s of speech would give 8 partials. The load before each: 0, 0.1, 0.2, 0.3 (at most
    # 0.3: they run), then 0.4: no more partials. The final runs regardless.
    assert kinds == ["partial"] * 4 + ["final"]
    assert len(asr.lengths) == 5
