"""Speech recognition with openai-whisper (PyTorch) from a local `.pt` checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from django.utils.translation import gettext as _

from ..asr_prompt import is_silent
from ..capabilities import Capability
from ..errors import BackendUnavailable
from ..types import AudioClip, Segment, Transcript, Word
from .asr_faster_whisper import (
    WHISPER_RATE,
    choose_prompt,
    decode_limits,
    finish_transcript,
    resolve_language,
    silent_transcript,
    whisper_samples,
)
from .base import TranscribeBackend, register


@register
class OpenAIWhisperBackend(TranscribeBackend):
    engine: ClassVar[str] = "openai-whisper"
    capabilities = frozenset({Capability.TRANSCRIBE})
    heavy = True

    def __init__(self, spec):
        super().__init__(spec)
        self._model: Any = None

    def load(self) -> None:
        path = Path(self.spec.path) if self.spec.path else None
        if path is None or not path.is_file():
            raise BackendUnavailable(
                _("Whisper checkpoint not found: %(path)s")
                % {"path": self.spec.path or _("(no path configured)")}
            )
        import torch
        import whisper

        threads = int(self.options.get("cpu_threads", 0))
        if threads:
            torch.set_num_threads(threads)
        try:
            self._model = whisper.load_model(str(path), device="cpu")
        except (RuntimeError, KeyError, ValueError, OSError) as exc:
            raise BackendUnavailable(
                _("Could not load the Whisper model at %(path)s: %(reason)s")
                % {"path": path, "reason": exc}
            ) from exc

    def _language(self, language: str | None) -> str | None:
        from whisper.tokenizer import LANGUAGES

        codes = list(LANGUAGES)[: self._model.num_languages]
        return resolve_language(language, codes.__contains__)

    def transcribe(
        self,
        audio: AudioClip,
        *,
        language: str | None = None,
        prompt: str | None = None,
        word_timestamps: bool = False,
        vad: bool = True,
    ) -> Transcript:
        if self._model is None:
            self.load()
        samples = whisper_samples(audio)
        language = self._language(language)
        if is_silent(samples, WHISPER_RATE):
            return silent_transcript(language, samples.size / WHISPER_RATE)
        initial = choose_prompt(language, prompt, self.options.get("initial_prompt"))
        probability = 1.0
        if language is None:
            language, probability = self._detect(samples)
        clips = _speech_spans(samples) if vad else [0.0]
        if not clips:
            return finish_transcript([], language, probability, samples.size / WHISPER_RATE)
        result = self._model.transcribe(
            samples,
            language=language,
            task="transcribe",
            fp16=False,
            beam_size=int(self.options.get("beam_size", 5)),
            initial_prompt=initial,
            word_timestamps=word_timestamps,
            condition_on_previous_text=False,
            verbose=None,
            clip_timestamps=clips,
            **decode_limits(self.options, "sample_len"),
        )
        segments = [
            Segment(
                start=float(seg["start"]),
                end=float(seg["end"]),
                text=seg["text"],
                words=[
                    Word(float(w["start"]), float(w["end"]), w["word"], float(w["probability"]))
                    for w in seg.get("words", [])
                ],
                no_speech_prob=float(seg.get("no_speech_prob", 0.0)),
            )
            for seg in result["segments"]
        ]
        duration = samples.size / WHISPER_RATE
        return finish_transcript(segments, language, probability, duration, prompt=initial)

    def _detect(self, samples: np.ndarray) -> tuple[str, float]:
        import whisper

        mel = whisper.log_mel_spectrogram(
            whisper.pad_or_trim(samples), n_mels=self._model.dims.n_mels
        )
        _tokens, probs = self._model.detect_language(mel)
        language = max(probs, key=probs.get)
        return language, float(probs[language])


def _speech_spans(samples: np.ndarray) -> list[float]:
    """Silero VAD (shipped with faster-whisper) speech spans as openai-whisper clip timestamps."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    spans = get_speech_timestamps(samples, VadOptions())
    return [t / WHISPER_RATE for span in spans for t in (span["start"], span["end"])]
