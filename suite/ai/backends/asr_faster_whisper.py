"""Speech recognition with faster-whisper (CTranslate2): the bundled Whisper base by default,
or an operator-supplied CTranslate2 Whisper folder (e.g. a Cantonese fine-tune) by path."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
from django.utils.translation import gettext as _

from ..asr_prompt import is_silent, strip_prompt_echo
from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..types import AudioClip, Segment, Transcript, Word
from .base import TranscribeBackend, register

WHISPER_RATE = 16000
FRAMES_PER_S = 100  # log-mel frames (10 ms hop)
WINDOW_FRAMES = 3000  # Whisper's 30 s window
# Live utterances are encoded over their own length plus this much silence (at least the
# minimum), not a 30 s window: the encoder's cost grows with its input, and short windows
# transcribe endpointed utterances as well as the full one (bench/asr_live.py).
LIVE_MARGIN_FRAMES = 100
LIVE_MIN_FRAMES = 300
# Generous for speech (Mandarin runs at ~5 characters a second, ~1.3 tokens each): a bound
# that stops a hallucinated repetition long before Whisper's 448-token limit.
LIVE_TOKENS_PER_S = 12
LIVE_MIN_TOKENS = 16
# faster-whisper's defaults for "this window is silence" (no-speech probability and the mean
# log-probability of the decoded tokens).
NO_SPEECH_THRESHOLD = 0.6
LOG_PROB_THRESHOLD = -1.0
CHINESE = frozenset({"zh", "yue"})
# Whisper follows the script of its prompt: a Simplified prompt keeps output Simplified.
DEFAULT_PROMPTS = {"zh": "以下是普通话的句子。", "yue": "以下是粤语的句子。"}


def resolve_language(language: str | None, supported: Callable[[str], bool]) -> str | None:
    if not language:
        return None
    if supported(language):
        return language
    # Whisper base has no <|yue|>: Cantonese is decoded as Chinese.
    if language == "yue":
        return "zh"
    raise InvalidInput(
        _("This speech model does not support the language %(language)s.") % {"language": language},
        param="language",
    )


def whisper_samples(audio: AudioClip) -> np.ndarray:
    """Mono float32 at 16 kHz, as Whisper expects."""
    samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if samples.size == 0 or audio.sample_rate <= 0:
        raise InvalidInput(_("The audio clip is empty."), param="file")
    if audio.sample_rate == WHISPER_RATE:
        return samples
    count = round(samples.size * WHISPER_RATE / audio.sample_rate)
    positions = np.arange(count, dtype=np.float64) * (audio.sample_rate / WHISPER_RATE)
    return np.interp(positions, np.arange(samples.size), samples).astype(np.float32)


def choose_prompt(language: str | None, prompt: str | None, default: str | None) -> str | None:
    if prompt:
        return prompt
    if default:
        return default
    return DEFAULT_PROMPTS.get(language or "")


def to_simplified(text: str, language: str) -> str:
    if language not in CHINESE or not text:
        return text
    import zhconv

    return zhconv.convert(text, "zh-cn")


def finish_transcript(
    segments: list[Segment],
    language: str,
    probability: float,
    duration_s: float,
    *,
    prompt: str | None = None,
) -> Transcript:
    """Clamped, Simplified segments; whatever came from `prompt` (the prompt the model was
    given) rather than the audio is cut out, and a segment left empty is dropped."""
    segments = [s for s in (_without_prompt(seg, prompt, language) for seg in segments) if s]
    for segment in segments:
        segment.start = min(max(segment.start, 0.0), duration_s)
        segment.end = min(max(segment.end, segment.start), duration_s)
        segment.text = to_simplified(segment.text, language)
        for word in segment.words:
            word.start = min(max(word.start, 0.0), duration_s)
            word.end = min(max(word.end, word.start), duration_s)
            word.word = to_simplified(word.word, language)
    text = "".join(segment.text for segment in segments).strip()
    return Transcript(
        text=text,
        language=language,
        language_probability=float(probability),
        duration_s=duration_s,
        segments=segments,
    )


def _without_prompt(segment: Segment, prompt: str | None, language: str) -> Segment | None:
    text = to_simplified(segment.text, language)
    kept = strip_prompt_echo(text, prompt, no_speech_prob=segment.no_speech_prob)
    if not kept:
        return None
    if kept != text.strip():
        segment.text = (" " if segment.text.startswith(" ") else "") + kept
        segment.words = _words_within(segment.words, kept, language)
    return segment


def _words_within(words: list[Word], kept: str, language: str) -> list[Word]:
    """The words that spell `kept` in order; those of the cut-out prompt text fall away."""
    target = "".join(kept.split())
    position, chosen = 0, []
    for word in words:
        piece = "".join(to_simplified(word.word, language).split())
        if piece and target.startswith(piece, position):
            chosen.append(word)
            position += len(piece)
    return chosen


def silent_transcript(language: str | None, duration_s: float) -> Transcript:
    """A clip without a sound louder than silence: nothing was said, and the model never ran
    (Whisper answers silence with its prompt or a stock phrase)."""
    return Transcript(
        text="", language=language or "", language_probability=0.0, duration_s=duration_s
    )


def drop_looped_tail(text: str, min_chars: int = 4) -> str:
    """Greedy Whisper on a short window sometimes starts the utterance over once it has said it
    ("怎么查话费呢?怎么查话费"): keep the first pass when everything after it (at least
    `min_chars`) repeats it from its start."""
    for cut in range(min_chars, len(text) - min_chars + 1):
        head, tail = text[:cut], text[cut:]
        if (head * (len(tail) // len(head) + 1)).startswith(tail):
            return head.rstrip()
    return text


def decode_limits(options: dict[str, Any], length_name: str) -> dict[str, Any]:
    """Optional `temperature` (fixed, no fallback) and `max_new_tokens` from backend options."""
    limits: dict[str, Any] = {}
    if "temperature" in options:
        limits["temperature"] = float(options["temperature"])
    if options.get("max_new_tokens"):
        limits[length_name] = int(options["max_new_tokens"])
    return limits


@register
class FasterWhisperBackend(TranscribeBackend):
    engine: ClassVar[str] = "faster-whisper"
    capabilities = frozenset({Capability.TRANSCRIBE})
    heavy = True

    def __init__(self, spec):
        super().__init__(spec)
        self._model: Any = None
        self.model_dir: Path | None = None

    def load(self) -> None:
        from ..whisper_bundle import ensure_whisper_base

        folder = Path(self.spec.path) if self.spec.path else ensure_whisper_base()
        for required in ("model.bin", "config.json", "tokenizer.json"):
            if not (folder / required).is_file():
                raise BackendUnavailable(
                    _("Whisper model folder %(path)s has no %(file)s.")
                    % {"path": folder, "file": required}
                )
        from faster_whisper import WhisperModel

        try:
            self._model = WhisperModel(
                str(folder),
                device="cpu",
                compute_type=self.options.get("compute_type", "int8"),
                # One thread per core: CTranslate2's own default can oversubscribe small hosts.
                cpu_threads=int(self.options.get("cpu_threads", 0)) or os.cpu_count() or 1,
                local_files_only=True,
            )
        except (RuntimeError, ValueError, OSError) as exc:
            raise BackendUnavailable(
                _("Could not load the Whisper model at %(path)s: %(reason)s")
                % {"path": folder, "reason": exc}
            ) from exc
        self.model_dir = folder

    def _language(self, language: str | None) -> str | None:
        tokenizer = self._model.hf_tokenizer
        return resolve_language(
            language, lambda code: tokenizer.token_to_id(f"<|{code}|>") is not None
        )

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
        segments_iter, info = self._model.transcribe(
            samples,
            language=language,
            beam_size=int(self.options.get("beam_size", 5)),
            initial_prompt=initial,
            word_timestamps=word_timestamps,
            vad_filter=vad,
            condition_on_previous_text=False,
            **decode_limits(self.options, "max_new_tokens"),
        )
        segments = [
            Segment(
                start=float(seg.start),
                end=float(seg.end),
                text=seg.text,
                words=[
                    Word(float(w.start), float(w.end), w.word, float(w.probability))
                    for w in (seg.words or [])
                ],
                no_speech_prob=float(seg.no_speech_prob),
            )
            for seg in segments_iter
        ]
        duration = samples.size / WHISPER_RATE
        return finish_transcript(
            segments, info.language, info.language_probability, duration, prompt=initial
        )

    def transcribe_utterance(
        self, audio: AudioClip, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """Encode the utterance's own length instead of a padded 30 s window, and decode
        greedily (option `live_beam_size`) with a length bound, without timestamps."""
        if self._model is None:
            self.load()
        samples = whisper_samples(audio)
        duration = samples.size / WHISPER_RATE
        if duration > WINDOW_FRAMES / FRAMES_PER_S:
            return self.transcribe(audio, language=language, prompt=prompt, vad=False)
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer
        from faster_whisper.transcribe import get_suppressed_tokens

        model = self._model
        language = self._language(language)
        if is_silent(samples, WHISPER_RATE):
            return silent_transcript(language, duration)
        features = model.feature_extractor(samples)
        content = features.shape[-1] - 1
        frames = min(WINDOW_FRAMES, max(LIVE_MIN_FRAMES, content + LIVE_MARGIN_FRAMES))
        frames += frames % 2  # the encoder's convolution halves the frames
        window = np.zeros((features.shape[0], frames), dtype=np.float32)
        window[:, :content] = features[:, :content]
        encoded = model.model.encode(ctranslate2.StorageView.from_array(window[None]), to_cpu=False)
        probability = 1.0
        if language is None:
            token, probability = model.model.detect_language(encoded)[0][0]
            language = token[2:-2]
        tokenizer = Tokenizer(
            model.hf_tokenizer, model.model.is_multilingual, task="transcribe", language=language
        )
        initial = choose_prompt(language, prompt, self.options.get("initial_prompt"))
        # At most the last n_text_ctx // 2 - 1 prompt tokens, as Whisper's own decoding keeps.
        tokens = []
        if initial:  # None for a language without a default prompt (English) and none given
            prompt_tokens = tokenizer.encode(" " + initial.strip())
            tokens = [tokenizer.sot_prev, *prompt_tokens[-(model.max_length // 2 - 1) :]]
        tokens += [*tokenizer.sot_sequence, tokenizer.no_timestamps]
        budget = max(LIVE_MIN_TOKENS, round(duration * LIVE_TOKENS_PER_S))
        result = model.model.generate(
            encoded,
            [tokens],
            beam_size=int(self.options.get("live_beam_size", 1)),
            max_length=min(model.max_length, len(tokens) + budget),
            suppress_blank=True,
            suppress_tokens=list(get_suppressed_tokens(tokenizer, [-1])),
            return_no_speech_prob=True,
            return_scores=True,
        )[0]
        ids = result.sequences_ids[0]
        # Whisper's own no-speech rule, which the full pipeline applies and this path skipped:
        # line noise or a click past the endpointer came back as "水", "我会不会有点点点?".
        average = result.scores[0] * len(ids) / (len(ids) + 1) if result.scores else 0.0
        if result.no_speech_prob > NO_SPEECH_THRESHOLD and average < LOG_PROB_THRESHOLD:
            ids = []
        text = drop_looped_tail(tokenizer.decode(ids))
        segments = (
            [Segment(0.0, duration, text, no_speech_prob=float(result.no_speech_prob))]
            if text.strip()
            else []
        )
        return finish_transcript(segments, language, probability, duration, prompt=initial)
