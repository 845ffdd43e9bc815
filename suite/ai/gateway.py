"""The one entry point per capability. Every call goes:

quota reserve (atomic) -> input safety -> backend (timeout, fallback list) -> output safety ->
quota settle -> usage record -> audit entry.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image

from suite.audit.services import audit_record
from suite.tenancy.models import Tenant

from . import quota, registry, safety
from .backends.base import Backend
from .capabilities import Capability, Unit
from .errors import AiError, BackendTimeout, BackendUnavailable, InvalidInput
from .loader import get_backend
from .metering_db import metering_transaction
from .models import CallStatus, UsageRecord
from .types import (
    AudioClip,
    CallInfo,
    ChatMessage,
    ChatResult,
    Detection,
    EmbedResult,
    ImageResult,
    OcrLine,
    Passage,
    Transcript,
)

logger = logging.getLogger("suite.ai")
T = TypeVar("T")

# Backends run here so a call can time out; the thread of a timed-out call finishes on its own.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ai-backend")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the tenant always; a user or an API key when there is one."""

    tenant: Tenant
    user: Any = None
    api_key: Any = None
    request: Any = None


@dataclass
class Served(Generic[T]):
    value: T
    info: CallInfo


@dataclass
class _Attempt:
    model: registry.ResolvedModel
    backend: Backend
    fallback: bool
    reason: str = ""


def _is_generative(backend: Backend) -> bool:
    return bool(getattr(backend, "generative", True))


def _record(
    caller: Caller,
    capability: Capability,
    *,
    status: str,
    units: dict[str, float],
    started: float,
    model: str = "",
    engine: str = "",
    fallback: bool = False,
    generative: bool = True,
    content_id: str = "",
    error: str = "",
) -> None:
    latency_ms = (time.perf_counter() - started) * 1000
    UsageRecord.objects.create(
        tenant=caller.tenant,
        capability=capability,
        model=model,
        engine=engine,
        status=status,
        fallback=fallback,
        generative=generative,
        requests=1,
        tokens=int(units.get(Unit.TOKENS, 0)),
        audio_seconds=float(units.get(Unit.AUDIO_SECONDS, 0)),
        characters=int(units.get(Unit.CHARACTERS, 0)),
        images=int(units.get(Unit.IMAGES, 0)),
        frames=int(units.get(Unit.FRAMES, 0)),
        latency_ms=latency_ms,
        content_id=content_id,
        api_key=caller.api_key,
        user=caller.user if getattr(caller.user, "pk", None) else None,
        error=error[:300],
    )
    audit_record(
        action=f"ai.{capability}",
        tenant=caller.tenant,
        request=caller.request,
        actor=caller.user if getattr(caller.user, "pk", None) else None,
        actor_label=_actor_label(caller),
        data={"model": model, "status": status, "fallback": fallback, "latency_ms": latency_ms},
    )


def _actor_label(caller: Caller) -> str:
    if getattr(caller.user, "pk", None):
        return caller.user.get_username()
    if caller.api_key is not None:
        return f"api-key {caller.api_key.prefix}…"
    return "system"


def _status_of(exc: AiError) -> str:
    return {
        "invalid_input": CallStatus.INVALID,
        "content_blocked": CallStatus.BLOCKED,
        "quota_exceeded": CallStatus.QUOTA,
    }.get(exc.code, CallStatus.FAILED)


@contextmanager
def _recorded_failures(caller: Caller, capability: Capability, model: str | None = ""):
    """Input and safety refusals are calls too: they get a usage row and an audit entry."""
    started = time.perf_counter()
    try:
        yield
    except AiError as exc:
        if not getattr(exc, "recorded", False):
            with metering_transaction():
                _record(
                    caller,
                    capability,
                    status=_status_of(exc),
                    units={},
                    started=started,
                    model=model or "",
                    error=exc.message,
                )
            exc.recorded = True
        raise


def _metered(capability: Capability):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(caller: Caller, *args, **kwargs):
            with _recorded_failures(caller, capability, kwargs.get("model")):
                return fn(caller, *args, **kwargs)

        return wrapper

    return decorate


def _call_with_timeout(fn: Callable[[], T], timeout_s: float) -> T:
    future = _executor.submit(fn)
    try:
        return future.result(timeout=timeout_s)
    except FutureTimeout as exc:
        raise BackendTimeout(
            _("The model did not answer within %(seconds)s seconds.") % {"seconds": timeout_s}
        ) from exc


def _served_by(
    caller: Caller,
    capability: Capability,
    candidates: list[registry.ResolvedModel],
    invoke: Callable[[Backend], T],
) -> tuple[T, _Attempt]:
    """Try each candidate in order; input errors stop at once, backend failures fall through."""
    reasons: list[str] = []
    for index, model in enumerate(candidates):
        try:
            backend = get_backend(model.spec)
            value = _call_with_timeout(lambda b=backend: invoke(b), model.timeout_s)
        except BackendUnavailable as exc:
            logger.warning(
                "%s: %s unavailable for %s: %s",
                capability,
                model.name,
                caller.tenant.slug,
                exc.message,
            )
            reasons.append(f"{model.name}: {exc.message}")
            continue
        return value, _Attempt(model, backend, index > 0, "; ".join(reasons))
    raise BackendUnavailable(
        _("No model could serve %(capability)s: %(reasons)s")
        % {"capability": capability.label, "reasons": "; ".join(reasons) or _("none configured")}
    )


def _run(
    caller: Caller,
    capability: Capability,
    *,
    model: str | None,
    reserve: dict[str, float],
    invoke: Callable[[Backend], T],
    measure: Callable[[T], dict[str, float]],
    dialect: str = "",
    check_output: Callable[[T], None] | None = None,
    content_id: str = "",
) -> Served[T]:
    started = time.perf_counter()
    reserve = {Unit.REQUESTS: 1, **reserve}
    reservation = None
    try:
        candidates = registry.resolve(caller.tenant, capability, model, dialect=dialect)
        reservation = quota.reserve(caller.tenant, capability, reserve)
        value, attempt = _served_by(caller, capability, candidates, invoke)
        if check_output is not None:
            check_output(value)
    except Exception:
        # The failure itself is recorded by @_metered around the capability function.
        if reservation:
            quota.release(reservation)
        raise
    used = {Unit.REQUESTS: 1, **measure(value)}
    info = CallInfo(
        model=attempt.model.name,
        engine=attempt.model.spec.engine,
        generative=_is_generative(attempt.backend),
        fallback=attempt.fallback or not _is_generative(attempt.backend),
        fallback_reason=attempt.reason,
        content_id=content_id,
        usage={str(k): v for k, v in used.items()},
    )
    with metering_transaction():
        quota.settle(reservation, used)
        _record(
            caller,
            capability,
            status=CallStatus.OK,
            units=used,
            started=started,
            model=info.model,
            engine=info.engine,
            fallback=info.fallback,
            generative=info.generative,
            content_id=content_id,
        )
    return Served(value, info)


# --- helpers ----------------------------------------------------------------------------


def _require_text(text: str, field_name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The %(field)s is empty.") % {"field": field_name}, param=field_name)
    if len(text) > settings.AI_MAX_TEXT_CHARS:
        raise InvalidInput(
            _("The %(field)s is %(n)s characters long; the limit is %(limit)s.")
            % {"field": field_name, "n": len(text), "limit": settings.AI_MAX_TEXT_CHARS},
            param=field_name,
        )
    return text


def estimate_tokens(text: str) -> int:
    """Without the serving model's tokenizer: about one token per CJK character and per four
    other characters, which errs high for Chinese so reservations are never too small."""
    cjk = sum(1 for ch in text if "\u3400" <= ch <= "\u9fff")
    return cjk + (len(text) - cjk + 3) // 4


def _as_audio(audio: bytes | AudioClip) -> AudioClip:
    if isinstance(audio, AudioClip):
        if audio.duration_s > settings.AI_MAX_AUDIO_SECONDS:
            raise InvalidInput(
                _("The audio is %(n).0f seconds long; the limit is %(limit)s seconds.")
                % {"n": audio.duration_s, "limit": settings.AI_MAX_AUDIO_SECONDS}
            )
        return audio
    from suite.media.audio import decode_audio

    return decode_audio(audio)


def _as_image(image: bytes | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        if image.width * image.height > settings.AI_MAX_IMAGE_PIXELS:
            raise InvalidInput(_("The image has too many pixels."))
        return image.convert("RGB")
    from suite.media.images import load_image

    return load_image(image)


def _as_frame(frame: np.ndarray | bytes) -> np.ndarray:
    if isinstance(frame, np.ndarray):
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InvalidInput(_("A frame must be an HxWx3 uint8 BGR array."))
        if frame.shape[0] * frame.shape[1] > settings.AI_MAX_IMAGE_PIXELS:
            raise InvalidInput(_("The image has too many pixels."))
        return frame
    image = _as_image(frame)
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


# --- capabilities -----------------------------------------------------------------------


@_metered(Capability.TRANSCRIBE)
def transcribe(
    caller: Caller,
    audio: bytes | AudioClip,
    *,
    model: str | None = None,
    language: str | None = None,
    prompt: str | None = None,
    word_timestamps: bool = False,
    vad: bool = True,
    itn: bool = False,
    dialect: str = "",
) -> Served[Transcript]:
    clip = _as_audio(audio)
    if clip.duration_s <= 0:
        raise InvalidInput(_("The audio contains no samples."), param="file")

    def invoke(backend) -> Transcript:
        result = backend.transcribe(
            clip, language=language, prompt=prompt, word_timestamps=word_timestamps, vad=vad
        )
        if itn:
            from .itn import normalize_numbers

            result.text = normalize_numbers(result.text)
            for segment in result.segments:
                segment.text = normalize_numbers(segment.text)
        return result

    return _run(
        caller,
        Capability.TRANSCRIBE,
        model=model,
        dialect=dialect,
        reserve={Unit.AUDIO_SECONDS: clip.duration_s},
        invoke=invoke,
        measure=lambda t: {Unit.AUDIO_SECONDS: clip.duration_s},
    )


@_metered(Capability.SYNTHESIZE)
def synthesize(
    caller: Caller,
    text: str,
    *,
    model: str | None = None,
    voice: str | None = None,
    language: str = "zh",
    speed: float = 1.0,
    dialect: str = "",
) -> Served[AudioClip]:
    from .labelling import new_content_id

    text = _require_text(text, "input")
    if not 0.25 <= speed <= 4.0:
        raise InvalidInput(_("Speed must be between 0.25 and 4.0."), param="speed")
    safety.check_input(caller.tenant, text)
    return _run(
        caller,
        Capability.SYNTHESIZE,
        model=model,
        dialect=dialect,
        reserve={Unit.CHARACTERS: len(text)},
        invoke=lambda b: b.synthesize(text, voice=voice, language=language, speed=speed),
        measure=lambda clip: {Unit.CHARACTERS: len(text), Unit.AUDIO_SECONDS: clip.duration_s},
        content_id=new_content_id(),
    )


@dataclass
class SpeechStream:
    """Iterate for one AudioClip per sentence; the first is ready before the rest are made."""

    clips: Iterator[AudioClip]
    info: CallInfo

    def __iter__(self) -> Iterator[AudioClip]:
        return self.clips


@_metered(Capability.SYNTHESIZE)
def synthesize_stream(
    caller: Caller,
    text: str,
    *,
    model: str | None = None,
    voice: str | None = None,
    language: str = "zh",
    speed: float = 1.0,
    dialect: str = "",
) -> SpeechStream:
    """Speech sentence by sentence, so a caller on the phone hears the first one at once.
    Quota is reserved for the whole text up front; one usage row is written at the end."""
    from .labelling import new_content_id
    from .sentences import split_sentences

    started = time.perf_counter()
    text = _require_text(text, "input")
    if not 0.25 <= speed <= 4.0:
        raise InvalidInput(_("Speed must be between 0.25 and 4.0."), param="speed")
    safety.check_input(caller.tenant, text)
    sentences = split_sentences(text)
    candidates = registry.resolve(caller.tenant, Capability.SYNTHESIZE, model, dialect=dialect)
    reservation = quota.reserve(
        caller.tenant, Capability.SYNTHESIZE, {Unit.REQUESTS: 1, Unit.CHARACTERS: len(text)}
    )

    def speak(backend: Backend, sentence: str) -> AudioClip:
        return backend.synthesize(sentence, voice=voice, language=language, speed=speed)

    try:
        (backend, first), attempt = _served_by(
            caller,
            Capability.SYNTHESIZE,
            candidates,
            lambda b: (b, speak(b, sentences[0])),
        )
    except AiError:
        quota.release(reservation)
        raise
    info = CallInfo(
        model=attempt.model.name,
        engine=attempt.model.spec.engine,
        generative=_is_generative(backend),
        fallback=attempt.fallback,
        fallback_reason=attempt.reason,
        content_id=new_content_id(),
    )

    def clips() -> Iterator[AudioClip]:
        seconds = 0.0
        try:
            for index, sentence in enumerate(sentences):
                clip = first if index == 0 else speak(backend, sentence)
                seconds += clip.duration_s
                yield clip
        finally:
            used = {Unit.REQUESTS: 1, Unit.CHARACTERS: len(text), Unit.AUDIO_SECONDS: seconds}
            info.usage = {str(k): v for k, v in used.items()}
            with metering_transaction():
                quota.settle(reservation, used)
                _record(
                    caller,
                    Capability.SYNTHESIZE,
                    status=CallStatus.OK,
                    units=used,
                    started=started,
                    model=info.model,
                    engine=info.engine,
                    fallback=info.fallback,
                    content_id=info.content_id,
                )

    return SpeechStream(clips=clips(), info=info)


def _checked_messages(caller: Caller, messages: list[ChatMessage]) -> list[ChatMessage]:
    if not messages:
        raise InvalidInput(_("At least one message is required."), param="messages")
    checked = []
    for message in messages:
        if message.role not in ("system", "user", "assistant"):
            raise InvalidInput(
                _("Unknown message role %(role)s.") % {"role": message.role}, param="messages"
            )
        content = (
            _require_text(message.content, "messages")
            if message.role == "user"
            else (message.content or "")
        )
        safety.check_input(caller.tenant, content, field="messages")
        if message.role == "user":
            safety.check_injection(content)
        checked.append(ChatMessage(message.role, safety.mask_for_model(content)))
    return checked


@_metered(Capability.CHAT)
def chat(
    caller: Caller,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    passages: list[Passage] | None = None,
    max_tokens: int = 512,
    temperature: float = 0.7,
) -> Served[ChatResult]:
    checked = _checked_messages(caller, messages)
    masked_passages = _masked_passages(passages)
    prompt_tokens = sum(estimate_tokens(m.content) for m in checked) + sum(
        estimate_tokens(p.text) for p in masked_passages or []
    )

    def check_output(result: ChatResult) -> None:
        if not safety.output_allowed(caller.tenant, result.text):
            result.text = str(_("The answer was withheld by the content safety filter."))
            result.finish_reason = "content_filter"

    return _run(
        caller,
        Capability.CHAT,
        model=model,
        reserve={Unit.TOKENS: prompt_tokens + max_tokens},
        invoke=lambda b: b.chat(
            checked, passages=masked_passages, max_tokens=max_tokens, temperature=temperature
        ),
        measure=lambda r: {Unit.TOKENS: r.prompt_tokens + r.completion_tokens},
        check_output=check_output,
    )


def _masked_passages(passages: list[Passage] | None) -> list[Passage] | None:
    if passages is None:
        return None
    return [Passage(p.id, safety.mask_for_model(p.text), p.source, p.score) for p in passages]


@dataclass
class ChatStream:
    """Iterate for text deltas; `result` and `info` are set once the stream is exhausted."""

    deltas: Iterator[str]
    info: CallInfo
    result: ChatResult | None = None

    def __iter__(self) -> Iterator[str]:
        return self.deltas


@_metered(Capability.CHAT)
def chat_stream(
    caller: Caller,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    passages: list[Passage] | None = None,
    max_tokens: int = 512,
    temperature: float = 0.7,
) -> ChatStream:
    """Streaming chat. Quota and input checks happen before the first byte; the output filter
    runs on the text so far and ends the stream with finish_reason content_filter on a hit."""
    started = time.perf_counter()
    checked = _checked_messages(caller, messages)
    masked_passages = _masked_passages(passages)
    prompt_tokens = sum(estimate_tokens(m.content) for m in checked)
    candidates = registry.resolve(caller.tenant, Capability.CHAT, model)
    reservation = quota.reserve(
        caller.tenant, Capability.CHAT, {Unit.REQUESTS: 1, Unit.TOKENS: prompt_tokens + max_tokens}
    )

    def open_stream(backend: Backend) -> tuple[Iterator, str | ChatResult]:
        stream = backend.chat_stream(
            checked, passages=masked_passages, max_tokens=max_tokens, temperature=temperature
        )
        return stream, next(stream)  # the first item proves the backend is answering

    try:
        (stream, first), attempt = _served_by(caller, Capability.CHAT, candidates, open_stream)
    except AiError:
        quota.release(reservation)
        raise
    generative = _is_generative(attempt.backend)
    info = CallInfo(
        model=attempt.model.name,
        engine=attempt.model.spec.engine,
        generative=generative,
        fallback=attempt.fallback or not generative,
        fallback_reason=attempt.reason,
    )
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
            used = {Unit.REQUESTS: 1, Unit.TOKENS: final.prompt_tokens + final.completion_tokens}
            info.usage = {str(k): v for k, v in used.items()}
            holder.result = final
            with metering_transaction():
                quota.settle(reservation, used)
                _record(
                    caller,
                    Capability.CHAT,
                    status=CallStatus.OK,
                    units=used,
                    started=started,
                    model=info.model,
                    engine=info.engine,
                    fallback=info.fallback,
                    generative=generative,
                )

    holder.deltas = deltas()
    return holder


def _chain(first, rest: Iterator) -> Iterator:
    yield first
    yield from rest


@_metered(Capability.EMBED)
def embed(
    caller: Caller, texts: list[str], *, model: str | None = None, kind: str = "passage"
) -> Served[EmbedResult]:
    if not texts:
        raise InvalidInput(_("Nothing to embed: the input is empty."), param="input")
    texts = [_require_text(t, "input") for t in texts]
    if kind not in ("query", "passage"):
        raise InvalidInput(_("kind must be query or passage."), param="kind")
    estimate = sum(estimate_tokens(t) for t in texts)
    return _run(
        caller,
        Capability.EMBED,
        model=model,
        reserve={Unit.TOKENS: estimate},
        invoke=lambda b: b.embed(texts, kind=kind),
        measure=lambda r: {Unit.TOKENS: min(r.tokens, estimate) if r.tokens else estimate},
    )


def _labelled(result: ImageResult, info_provider: str, content_id: str) -> ImageResult:
    from .labelling import label_image

    result.images = [
        label_image(img, provider=info_provider, content_id=content_id) for img in result.images
    ]
    return result


@_metered(Capability.GENERATE_IMAGE)
def generate_image(
    caller: Caller,
    prompt: str,
    *,
    model: str | None = None,
    negative_prompt: str = "",
    width: int = 512,
    height: int = 512,
    steps: int | None = None,
    seed: int | None = None,
    style: str | None = None,
    n: int = 1,
) -> Served[ImageResult]:
    from .labelling import new_content_id

    prompt = _require_text(prompt, "prompt")
    safety.check_input(caller.tenant, prompt, field="prompt")
    if negative_prompt:
        safety.check_input(caller.tenant, negative_prompt, field="negative_prompt")
    _check_size(width, height, n)
    content_id = new_content_id()
    served = _run(
        caller,
        Capability.GENERATE_IMAGE,
        model=model,
        reserve={Unit.IMAGES: n},
        invoke=lambda b: b.generate(
            prompt,
            negative_prompt=negative_prompt,
            width=width,
            height=height,
            steps=steps,
            seed=seed,
            style=style,
            n=n,
        ),
        measure=lambda r: {Unit.IMAGES: len(r.images)},
        content_id=content_id,
    )
    _labelled(served.value, served.info.engine, content_id)
    return served


@_metered(Capability.EDIT_IMAGE)
def edit_image(
    caller: Caller,
    image: bytes | Image.Image,
    prompt: str = "",
    *,
    model: str | None = None,
    negative_prompt: str = "",
    strength: float = 0.6,
    steps: int | None = None,
    seed: int | None = None,
    style: str | None = None,
    n: int = 1,
) -> Served[ImageResult]:
    from .labelling import new_content_id

    picture = _as_image(image)
    if prompt:
        safety.check_input(caller.tenant, prompt, field="prompt")
    if not prompt and not style:
        raise InvalidInput(_("Give a prompt or a style for the edit."), param="prompt")
    if not 0.0 < strength <= 1.0:
        raise InvalidInput(_("Strength must be above 0 and at most 1."), param="strength")
    _check_size(picture.width, picture.height, n)
    content_id = new_content_id()
    served = _run(
        caller,
        Capability.EDIT_IMAGE,
        model=model,
        reserve={Unit.IMAGES: n},
        invoke=lambda b: b.edit(
            picture,
            prompt,
            negative_prompt=negative_prompt,
            strength=strength,
            steps=steps,
            seed=seed,
            style=style,
            n=n,
        ),
        measure=lambda r: {Unit.IMAGES: len(r.images)},
        content_id=content_id,
    )
    _labelled(served.value, served.info.engine, content_id)
    return served


MAX_IMAGES_PER_CALL = 4


def _check_size(width: int, height: int, n: int) -> None:
    if not 1 <= n <= MAX_IMAGES_PER_CALL:
        raise InvalidInput(
            _("n must be between 1 and %(max)s.") % {"max": MAX_IMAGES_PER_CALL}, param="n"
        )
    if not (64 <= width <= 2048 and 64 <= height <= 2048):
        raise InvalidInput(_("Image sides must be between 64 and 2048 pixels."), param="size")


@_metered(Capability.DETECT)
def detect(
    caller: Caller, frame: np.ndarray | bytes, *, model: str | None = None, min_score: float = 0.5
) -> Served[list[Detection]]:
    pixels = _as_frame(frame)
    return _run(
        caller,
        Capability.DETECT,
        model=model,
        reserve={Unit.FRAMES: 1},
        invoke=lambda b: b.detect(pixels, min_score=min_score),
        measure=lambda r: {Unit.FRAMES: 1},
    )


@_metered(Capability.OCR)
def ocr(
    caller: Caller, image: np.ndarray | bytes, *, model: str | None = None
) -> Served[list[OcrLine]]:
    pixels = _as_frame(image)
    return _run(
        caller,
        Capability.OCR,
        model=model,
        reserve={Unit.IMAGES: 1},
        invoke=lambda b: b.ocr(pixels),
        measure=lambda r: {Unit.IMAGES: 1},
    )


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
        from .streaming import StreamingTranscriber

        self.caller = caller
        self.started = time.perf_counter()
        self.seconds = 0.0
        self._charged = 0
        candidates = registry.resolve(caller.tenant, Capability.TRANSCRIBE, model, dialect=dialect)
        self._backend, self.attempt = _served_by(
            caller, Capability.TRANSCRIBE, candidates, lambda backend: backend
        )

        def run(clip: AudioClip) -> Transcript:
            result = self._backend.transcribe(clip, language=language, prompt=prompt, vad=False)
            if itn:
                from .itn import normalize_numbers

                result.text = normalize_numbers(result.text)
            return result

        self._transcriber = StreamingTranscriber(run, sample_rate=sample_rate, **endpointing)
        self.sample_rate = sample_rate
        self.closed = False

    @property
    def info(self) -> CallInfo:
        return CallInfo(
            model=self.attempt.model.name,
            engine=self.attempt.model.spec.engine,
            fallback=self.attempt.fallback,
            fallback_reason=self.attempt.reason,
            usage={Unit.AUDIO_SECONDS.value: self.seconds},
        )

    def feed(self, samples: np.ndarray) -> list:
        self.seconds += len(samples) / self.sample_rate
        due = int(self.seconds) + 1 - self._charged  # charge each second as it begins
        if due > 0:
            quota.reserve(self.caller.tenant, Capability.TRANSCRIBE, {Unit.AUDIO_SECONDS: due})
            self._charged += due
        return self._transcriber.feed(samples)

    def close(self) -> list:
        if self.closed:
            return []
        self.closed = True
        events = self._transcriber.flush()
        with metering_transaction():
            _record(
                self.caller,
                Capability.TRANSCRIBE,
                status=CallStatus.OK,
                units={Unit.AUDIO_SECONDS: self.seconds},
                started=self.started,
                model=self.attempt.model.name,
                engine=self.attempt.model.spec.engine,
                fallback=self.attempt.fallback,
            )
        return events


@_metered(Capability.TRANSCRIBE)
def transcription_stream(caller: Caller, **options) -> TranscriptionStream:
    return TranscriptionStream(caller, **options)
