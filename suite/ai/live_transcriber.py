"""Live-call transcription: energy-based endpointing plus periodic partial transcripts.

Cheap per 20 ms frame (one RMS): the speech threshold follows the noise floor so a noisy line
does not count as endless speech. The (slow) transcribe callable runs on the utterance so far at
most every `partial_interval_s` of audio, and once for the final at the endpoint. No threads of
its own: the caller decides where `feed` runs (live calls run many streams in worker threads).

Partials are optional extra model runs, and one that has started delays any final that arrives
meanwhile (the model serves one run at a time). So a partial starts only while no transcription
of any stream in this process runs and the model's recent load is low; a final, which callers
and agents wait for, always runs. A skipped partial is retried on a later frame.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, overload

import numpy as np

from .types import AudioClip, Transcript


class ModelLoad:
    """The transcriptions of every live stream in this process: how many run now, and what
    share of the last `window_s` seconds the model spent on them."""

    def __init__(self, window_s: float = 10.0, clock: Callable[[], float] = time.monotonic):
        self.window_s = window_s
        self._clock = clock
        self._lock = threading.Lock()
        self._running = 0
        self._runs: deque[tuple[float, float]] = deque()  # (start, end) of finished runs

    def _share(self, now: float) -> float:
        since = now - self.window_s
        while self._runs and self._runs[0][1] <= since:
            self._runs.popleft()
        busy = sum(end - max(start, since) for start, end in self._runs)
        return min(1.0, busy / self.window_s)

    # Only an optional run can be refused: a required one always gives the text.
    @overload
    def run(
        self, transcribe: Callable[[], str], *, optional: Literal[False], max_share: float
    ) -> str: ...
    @overload
    def run(
        self, transcribe: Callable[[], str], *, optional: bool, max_share: float
    ) -> str | None: ...
    def run(self, transcribe: Callable[[], str], *, optional: bool, max_share: float) -> str | None:
        """`transcribe()`, or None for an optional run while the model is busy or loaded."""
        with self._lock:
            if optional and (self._running or self._share(self._clock()) > max_share):
                return None
            self._running += 1
        started = self._clock()
        try:
            return transcribe()
        finally:
            with self._lock:
                self._running -= 1
                self._runs.append((started, self._clock()))


LIVE_LOAD = ModelLoad()


@dataclass
class StreamEvent:
    kind: Literal["partial", "final"]
    text: str
    start_s: float
    end_s: float
    utterance: int


class StreamingTranscriber:
    def __init__(
        self,
        transcribe: Callable[[AudioClip], Transcript],
        *,
        sample_rate: int = 16000,
        partial_interval_s: float = 1.0,
        silence_s: float = 0.6,
        max_utterance_s: float = 15.0,
        frame_s: float = 0.02,
        min_speech_s: float = 0.15,
        preroll_s: float = 0.2,
        min_rms: float = 0.004,
        noise_ratio: float = 3.0,
        partial_max_load: float = 0.3,
        load: ModelLoad | None = None,
    ):
        self._transcribe = transcribe
        self.partial_max_load = partial_max_load
        self._load = load or LIVE_LOAD
        self.sample_rate = sample_rate
        self.partial_interval_s = partial_interval_s
        self.frame = max(1, round(frame_s * sample_rate))
        self._silence_frames = max(1, round(silence_s / frame_s))
        self._max_frames = max(1, round(max_utterance_s / frame_s))
        self._min_speech_frames = max(1, round(min_speech_s / frame_s))
        self._min_rms = min_rms
        self._noise_ratio = noise_ratio
        self._noise: float | None = None
        self._pending = np.zeros(0, dtype=np.float32)
        self._preroll: deque[np.ndarray] = deque(maxlen=max(0, round(preroll_s / frame_s)))
        self._position = 0  # samples consumed so far, in whole frames
        self._utterance = 0
        self._reset_utterance()

    def _reset_utterance(self) -> None:
        self._frames: list[np.ndarray] = []
        self._start_sample = 0
        self._last_speech_frames = 0  # frames up to and including the last speech frame
        self._speech_frames = 0
        self._silence_run = 0
        self._last_partial_frames = 0

    @property
    def in_utterance(self) -> bool:
        return bool(self._frames)

    def feed(self, audio: np.ndarray | AudioClip) -> list[StreamEvent]:
        samples = self._samples(audio)
        data = np.concatenate([self._pending, samples]) if self._pending.size else samples
        events: list[StreamEvent] = []
        whole = data.size - data.size % self.frame
        for offset in range(0, whole, self.frame):
            events.extend(self._frame(data[offset : offset + self.frame]))
        self._pending = data[whole:].copy()
        return events

    def flush(self) -> list[StreamEvent]:
        """End of stream: the last utterance (if any) becomes final."""
        events: list[StreamEvent] = []
        if self._pending.size:
            pad = np.zeros(self.frame - self._pending.size, dtype=np.float32)
            events.extend(self._frame(np.concatenate([self._pending, pad])))
            self._pending = np.zeros(0, dtype=np.float32)
        if self.in_utterance:
            events.extend(self._finish())
        return events

    def _samples(self, audio: np.ndarray | AudioClip) -> np.ndarray:
        if isinstance(audio, AudioClip):
            samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
            if audio.sample_rate != self.sample_rate and samples.size:
                count = round(samples.size * self.sample_rate / audio.sample_rate)
                grid = np.arange(count) * (audio.sample_rate / self.sample_rate)
                samples = np.interp(grid, np.arange(samples.size), samples).astype(np.float32)
            return samples
        return np.asarray(audio, dtype=np.float32).reshape(-1)

    def _is_speech(self, frame: np.ndarray) -> bool:
        rms = float(np.sqrt(np.mean(frame * frame)))
        if self._noise is None:
            # Calls open with line noise or ringback, rarely mid-word: calibrate on frame one.
            self._noise = max(rms, 1e-5)
        speech = rms > max(self._noise * self._noise_ratio, self._min_rms)
        # Follow the floor down at once and up slowly, even during "speech", so a line that
        # gets noisier is not heard as one endless utterance.
        rate = 0.002 if speech else 0.05
        self._noise = rms if rms < self._noise else (1 - rate) * self._noise + rate * rms
        self._noise = max(self._noise, 1e-5)
        return speech

    def _frame(self, frame: np.ndarray) -> list[StreamEvent]:
        speech = self._is_speech(frame)
        frame_start = self._position
        self._position += self.frame
        if not self.in_utterance:
            if not speech:
                self._preroll.append(frame)
                return []
            self._start_sample = frame_start - len(self._preroll) * self.frame
            self._frames = [*self._preroll]
            self._preroll.clear()
        self._frames.append(frame)
        if speech:
            self._speech_frames += 1
            self._silence_run = 0
            self._last_speech_frames = len(self._frames)
        else:
            self._silence_run += 1
        if self._silence_run >= self._silence_frames or len(self._frames) >= self._max_frames:
            return self._finish()
        # Partials only while the caller speaks: one started in a pause could still be running
        # at the endpoint, and the final would wait for it.
        frames_since = len(self._frames) - self._last_partial_frames
        if speech and frames_since * self.frame >= self.partial_interval_s * self.sample_rate:
            return self._partial()
        return []

    def _partial(self) -> list[StreamEvent]:
        if self._speech_frames < self._min_speech_frames:
            return []
        frames = list(self._frames)
        # Joined only once the run is granted: a refused partial is retried every speech frame.
        text = self._load.run(
            lambda: self._transcribe(AudioClip(np.concatenate(frames), self.sample_rate)).text,
            optional=True,
            max_share=self.partial_max_load,
        )
        if text is None:
            return []
        self._last_partial_frames = len(frames)
        end = self._start_sample + len(frames) * self.frame
        return [self._event("partial", text, end)]

    def _finish(self) -> list[StreamEvent]:
        enough = self._speech_frames >= self._min_speech_frames
        # Keep a short tail after the last speech frame: word endings are quiet.
        tail = min(len(self._frames), self._last_speech_frames + self._silence_frames // 3)
        frames = self._frames[:tail]
        events: list[StreamEvent] = []
        if enough and frames:
            samples = np.concatenate(frames)
            text = self._load.run(
                lambda: self._transcribe(AudioClip(samples, self.sample_rate)).text,
                optional=False,
                max_share=1.0,
            )
            events.append(self._event("final", text, self._start_sample + samples.size))
            self._utterance += 1
        self._reset_utterance()
        return events

    def _event(self, kind: Literal["partial", "final"], text: str, end_sample: int) -> StreamEvent:
        return StreamEvent(
            kind=kind,
            text=text,
            start_s=self._start_sample / self.sample_rate,
            end_s=end_sample / self.sample_rate,
            utterance=self._utterance,
        )
