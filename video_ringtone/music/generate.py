"""Synthesise the bundled background-music library (run once; the outputs are committed).

Every track is made here from sine partials and envelopes with numpy, so the project owns it
outright (see LICENSE.txt next to the files). `python -m video_ringtone.music.generate`
rewrites the .m4a files.
"""

from __future__ import annotations

import subprocess
import tempfile
import wave
from pathlib import Path

import imageio_ffmpeg
import numpy as np

RATE = 44100
SECONDS = 30.0
HERE = Path(__file__).resolve().parent

A4 = 440.0
NOTE = {
    n: i for i, n in enumerate(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
}


def freq(name: str) -> float:
    pitch, octave = name[:-1], int(name[-1])
    return A4 * 2 ** ((NOTE[pitch] - 9 + 12 * (octave - 4)) / 12)


def tone(f: float, dur: float, *, partials=(1.0, 0.5, 0.25), decay: float = 3.0) -> np.ndarray:
    t = np.arange(int(dur * RATE)) / RATE
    wave_ = sum(a * np.sin(2 * np.pi * f * (k + 1) * t) for k, a in enumerate(partials))
    attack = np.minimum(1.0, t / 0.01)
    return (wave_ * attack * np.exp(-decay * t)).astype(np.float32)


def pad(f: float, dur: float) -> np.ndarray:
    t = np.arange(int(dur * RATE)) / RATE
    detune = np.sin(2 * np.pi * f * t) + np.sin(2 * np.pi * f * 1.003 * t) * 0.8
    env = np.minimum(1.0, t / 0.8) * np.minimum(1.0, (dur - t) / 0.8)
    return (detune * env * 0.5).astype(np.float32)


def place(track: np.ndarray, sound: np.ndarray, at: float, gain: float) -> None:
    start = int(at * RATE)
    end = min(len(track), start + len(sound))
    if start < end:
        track[start:end] += gain * sound[: end - start]


def progression(chords, beat: float, pattern, *, bell: bool = False, bass: bool = True):
    track = np.zeros(int(SECONDS * RATE), dtype=np.float32)
    time_, i = 0.0, 0
    while time_ < SECONDS:
        chord = chords[i % len(chords)]
        for step, index in enumerate(pattern):
            note = chord[index % len(chord)]
            partials = (1.0, 0.0, 0.3, 0.0, 0.15) if bell else (1.0, 0.4, 0.2)
            place(track, tone(freq(note), beat * 3, partials=partials), time_ + step * beat, 0.3)
        if bass:
            root = chord[0][:-1] + str(int(chord[0][-1]) - 1)
            place(track, tone(freq(root), beat * len(pattern), decay=1.0), time_, 0.35)
        time_ += beat * len(pattern)
        i += 1
    return track


def pads(chords, bar: float) -> np.ndarray:
    track = np.zeros(int(SECONDS * RATE), dtype=np.float32)
    time_, i = 0.0, 0
    while time_ < SECONDS:
        for note in chords[i % len(chords)]:
            place(track, pad(freq(note), bar + 0.8), time_, 0.18)
        time_ += bar
        i += 1
    return track


TRACKS = {
    "warm_piano": lambda: progression(
        [("C4", "E4", "G4"), ("G3", "B3", "D4"), ("A3", "C4", "E4"), ("F3", "A3", "C4")],
        0.25,
        [0, 1, 2, 1, 0, 1, 2, 1],
    ),
    "festive_bells": lambda: progression(
        [("C5", "D5", "E5", "G5", "A5"), ("G4", "A4", "C5", "D5", "E5")],
        0.2,
        [0, 2, 4, 3, 1, 2, 4, 2],
        bell=True,
    ),
    "business_pulse": lambda: (
        progression(
            [("D4", "F#4", "A4"), ("B3", "D4", "F#4"), ("G3", "B3", "D4"), ("A3", "C#4", "E4")],
            0.3,
            [0, 0, 1, 2, 0, 0, 2, 1],
        )
        + 0.6 * pads([("D4", "A4"), ("B3", "F#4"), ("G3", "D4"), ("A3", "E4")], 2.4)
    ),
    "calm_pad": lambda: pads(
        [("C4", "E4", "G4", "B4"), ("A3", "C4", "E4", "G4"), ("F3", "A3", "C4", "E4")], 4.0
    ),
}


def write_track(name: str, samples: np.ndarray) -> Path:
    samples = samples / max(1e-6, float(np.abs(samples).max())) * 0.7  # about -3 dBFS peak
    out = HERE / f"{name}.m4a"
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "x.wav"
        with wave.open(str(wav), "wb") as handle:
            handle.setnchannels(1)
            handle.setsampwidth(2)
            handle.setframerate(RATE)
            handle.writeframes((samples * 32767).astype("<i2").tobytes())
        subprocess.run(  # noqa: S603
            [
                imageio_ffmpeg.get_ffmpeg_exe(),
                "-y",
                "-loglevel",
                "error",
                "-i",
                str(wav),
                "-c:a",
                "aac",
                "-b:a",
                "64k",
                "-map_metadata",
                "-1",
                str(out),
            ],
            check=True,
        )
    return out


if __name__ == "__main__":
    for key, make in TRACKS.items():
        print(write_track(key, make()))
