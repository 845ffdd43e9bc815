"""Streaming capabilities: chat token by token, speech sentence by sentence, live-call
transcription. Each reserves quota up front and writes one usage row when it ends."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import cast

import numpy as np

from . import quota, safety, voices
from .asr_prompt import transcript_without_prompt
from .backends.base import Backend, ChatBackend, SynthesizeBackend, TranscribeBackend
from .capabilities import Capability, Unit
from .errors import AiError
from .live_transcriber import StreamEvent as StreamEvent  # re-exported: live-call handlers get them
from .pipeline import (
    Caller,
    candidates_for,
    checked_messages,
    checked_speech_text,
    finish_call,
    masked_passages,
    metered,
    reserve_units,
    served_by,
    token_units,
)
from .tokens import estimate_tokens
from .types import (
    AudioClip,
    CallInfo,
    ChatMessage,
    ChatResult,
    Passage,
    Transcript,
)

# A first piece of about this many characters (a clause) is ~2 s of speech.
FIRST_PIECE_CHARS = 16


@dataclass
class SpeechStream:
    """Iterate for one AudioClip per sentence; the first is ready before the rest are made."""

    clips: Iterator[AudioClip]
    info: CallInfo

    def __iter__(self) -> Iterator[AudioClip]:
        return self.clips


@metered(Capability.SYNTHESIZE)
def synthesize_stream(
    caller: Caller,
    text: str,
    *,
    model: str | None = None,
    voice: str | None = None,
    language: str | None = None,
    speed: float = 1.0,
    dialect: str = "",
) -> SpeechStream:
    """Speech sentence by sentence, so a caller on the phone hears the first one at once: the
    first piece is cut short at a clause mark, and sentences spoken recently come from the
    speech cache. Quota is reserved for the whole text up front; one usage row at the end."""
    from .labelling import new_content_id
    from .sentences import split_sentences
    from .speech_cache import SPEECH_CACHE

    started = time.perf_counter()
    text = checked_speech_text(caller, text, speed)
    sentences = split_sentences(text, first_max_chars=FIRST_PIECE_CHARS)
    who = voices.speaker(
        caller.tenant, text, model=model, voice=voice, language=language, dialect=dialect
    )
    voice, language = who.voice, who.language
    candidates = candidates_for(caller, Capability.SYNTHESIZE, who.model, dialect=dialect)
    reservation = reserve_units(
        caller, Capability.SYNTHESIZE, candidates, {Unit.REQUESTS: 1, Unit.CHARACTERS: len(text)}
    )

    def speak(backend: Backend, sentence: str) -> AudioClip:
        key = (caller.tenant.pk, backend.spec.cache_key(), voice, language, speed, sentence)
        clip = SPEECH_CACHE.get(key)
        if clip is None:
            # served_by gives a Backend; a synthesize model's engine is a SynthesizeBackend.
            clip = cast(SynthesizeBackend, backend).synthesize(
                sentence, voice=voice, language=language, speed=speed
            )
            SPEECH_CACHE.put(key, clip)
        return clip

    try:
        (backend, first), attempt = served_by(
            caller,
            Capability.SYNTHESIZE,
            candidates,
            lambda b: (b, speak(b, sentences[0])),
        )
    except AiError:
        quota.release(reservation)
        raise
    info = attempt.info(content_id=new_content_id())

    def clips() -> Iterator[AudioClip]:
        seconds = 0.0
        try:
            for index, sentence in enumerate(sentences):
                clip = first if index == 0 else speak(backend, sentence)
                seconds += clip.duration_s
                yield clip
        finally:
            used: dict[str, float] = {
                Unit.REQUESTS: 1,
                Unit.CHARACTERS: len(text),
                Unit.AUDIO_SECONDS: seconds,
            }
            finish_call(
                caller,
                Capability.SYNTHESIZE,
                info,
                used=used,
                started=started,
                reservation=reservation,
            )

    return SpeechStream(clips=clips(), info=info)


@dataclass
class ChatStream:
    """Iterate for text deltas; `result` and `info` are set once the stream is exhausted."""

    deltas: Iterator[str]
    info: CallInfo
    result: ChatResult | None = None

    def __iter__(self) -> Iterator[str]:
        return self.deltas


@metered(Capability.CHAT)
def chat_stream(
    caller: Caller,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    passages: list[Passage] | None = None,
    max_tokens: int = 512,
    temperature: float = 0.7,
    response_format: dict | None = None,
) -> ChatStream:
    """Streaming chat. Quota and input checks happen before the first byte; the output filter
    runs on the text so far and ends the stream with finish_reason content_filter on a hit."""
    started = time.perf_counter()
    checked = checked_messages(caller, messages)
    masked = masked_passages(passages)
    prompt_tokens = sum(estimate_tokens(m.content) for m in checked)
    candidates = candidates_for(caller, Capability.CHAT, model)
    reservation = reserve_units(
        caller,
        Capability.CHAT,
        candidates,
        {Unit.REQUESTS: 1, **token_units(prompt_tokens, max_tokens)},
    )

    def open_stream(backend: Backend) -> tuple[Iterator, str | ChatResult]:
        stream = cast(ChatBackend, backend).chat_stream(
            checked,
            passages=masked,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
        )
        return stream, next(stream)  # the first item proves the backend is answering

    try:
        (stream, first), attempt = served_by(caller, Capability.CHAT, candidates, open_stream)
    except AiError:
        quota.release(reservation)
        raise
    info = attempt.info()
    holder = ChatStream(deltas=iter(()), info=info)

    def deltas() -> Iterator[str]:
        text = ""
        final: ChatResult | None = None
        try:
            for item in _chain(first, stream):
                if isinstance(item, ChatResult):
                    final = item
                    break
                text += item
                if not safety.output_allowed(caller.tenant, text):
                    final = ChatResult(
                        text="",
                        prompt_tokens=prompt_tokens,
                        completion_tokens=estimate_tokens(text),
                        finish_reason="content_filter",
                    )
                    break
                yield item
        finally:
            if final is None:  # the client went away or the backend broke mid-stream
                final = ChatResult(
                    text=text,
                    prompt_tokens=prompt_tokens,
                    completion_tokens=estimate_tokens(text),
                    finish_reason="error",
                )
            used = {Unit.REQUESTS: 1, **token_units(final.prompt_tokens, final.completion_tokens)}
            holder.result = final
            finish_call(
                caller, Capability.CHAT, info, used=used, started=started, reservation=reservation
            )

    holder.deltas = deltas()
    return holder


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


class TranscriptionStream:
    """A live call's transcription: one backend for the whole call, audio seconds charged to
    the quota as they arrive (one counter update per second of audio, not per frame), and one
    usage row and audit entry when the call ends."""

    def __init__(
        self,
        caller: Caller,
        *,
        model: str | None = None,
        language: str | None = None,
        prompt: str | None = None,
        dialect: str = "",
        itn: bool = False,
        sample_rate: int = 16000,
        **endpointing,
    ):
        from .live_transcriber import StreamingTranscriber

        self.caller = caller
        self.started = time.perf_counter()
        self.seconds = 0.0
        self._charged = 0
        candidates = candidates_for(caller, Capability.TRANSCRIBE, model, dialect=dialect)
        self._backend, self.attempt = served_by(
            caller,
            Capability.TRANSCRIBE,
            candidates,
            lambda backend: cast(TranscribeBackend, backend),
        )

        def run(clip: AudioClip) -> Transcript:
            result = self._backend.transcribe_utterance(clip, language=language, prompt=prompt)
            result = transcript_without_prompt(result, prompt)
            if itn:
                from .itn import normalize_numbers

                result.text = normalize_numbers(result.text)
            return result

        self._transcriber = StreamingTranscriber(run, sample_rate=sample_rate, **endpointing)
        self.sample_rate = sample_rate
        self.closed = False

    @property
    def info(self) -> CallInfo:
        return self.attempt.info(usage={Unit.AUDIO_SECONDS: self.seconds})

    @property
    def partial_interval_s(self) -> float:
        return self._transcriber.partial_interval_s

    @partial_interval_s.setter
    def partial_interval_s(self, seconds: float) -> None:
        # A live-call server stretches it under load: each partial is one more model run.
        self._transcriber.partial_interval_s = seconds

    def feed(self, samples: np.ndarray) -> list:
        self.seconds += len(samples) / self.sample_rate
        due = int(self.seconds) + 1 - self._charged  # charge each second as it begins
        if due > 0:
            reserve_units(
                self.caller, Capability.TRANSCRIBE, [self.attempt.model], {Unit.AUDIO_SECONDS: due}
            )
            self._charged += due
        return self._transcriber.feed(samples)

    def close(self) -> list:
        if self.closed:
            return []
        self.closed = True
        events = self._transcriber.flush()
        # Audio seconds were charged to the quota as they arrived; only the record remains.
        finish_call(
            self.caller,
            Capability.TRANSCRIBE,
            self.info,
            used={Unit.AUDIO_SECONDS: self.seconds},
            started=self.started,
        )
        return events


@metered(Capability.TRANSCRIBE)
def transcription_stream(caller: Caller, **options) -> TranscriptionStream:
    return TranscriptionStream(caller, **options)
