"""The one entry point per capability. Every call goes:

quota reserve (atomic) -> input safety -> backend (timeout, fallback list) -> output safety ->
quota settle -> usage record -> audit entry.

The mechanics live in `pipeline`, the streaming capabilities in `streams`; both are re-exported
here so callers only ever import `suite.ai.gateway`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import cast

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image

from . import registry, safety, voices
from .asr_prompt import build_prompt as transcription_prompt
from .asr_prompt import transcript_without_prompt
from .backends.base import (
    ChatBackend,
    DetectBackend,
    EmbedBackend,
    ImageBackend,
    OcrBackend,
    StepCallback,
    SynthesizeBackend,
)
from .capabilities import QUEUE_FOR, Capability, Unit
from .errors import AiError, ContentBlocked, InvalidInput
from .pipeline import (
    Caller,
    Served,
    as_audio,
    as_frame,
    as_image,
    checked_messages,
    checked_speech_text,
    masked_passages,
    metered,
    require_text,
    run_call,
    token_units,
)
from .registry import configured_models, language_model_configured
from .safety import check_injection, check_input, find_prohibited
from .streams import (
    ChatStream,
    SpeechStream,
    TranscriptionStream,
    chat_stream,
    synthesize_stream,
    transcription_stream,
)
from .structured import json_schema_format, parse_object
from .styles import STYLES as IMAGE_STYLES
from .tokens import estimate_tokens
from .types import (
    AudioClip,
    ChatMessage,
    ChatResult,
    Detection,
    EmbedResult,
    ImageResult,
    JsonFailure,
    JsonReply,
    OcrLine,
    Passage,
    ToolUse,
    Transcript,
)

_logger = logging.getLogger("suite.ai")
# run_call hands `invoke` a Backend; each capability casts it to its own kind, as a model is
# configured under a capability with an engine that serves it.

# The capabilities, and what products need from the layer's inner modules (IMAGE_STYLES,
# QUEUE_FOR, the safety checks, ...), so that products import only its public face: gateway,
# streams, types, errors, search, labelling (tests/suite/test_ai_public_face.py).
__all__ = [
    "IMAGE_STYLES",
    "QUEUE_FOR",
    "Caller",
    "ChatStream",
    "JsonFailure",
    "JsonReply",
    "Served",
    "SpeechStream",
    "TranscriptionStream",
    "chat",
    "chat_json",
    "chat_stream",
    "check_injection",
    "check_input",
    "configured_models",
    "detect",
    "edit_image",
    "embed",
    "estimate_tokens",
    "find_prohibited",
    "generate_image",
    "language_model_configured",
    "ocr",
    "synthesize",
    "synthesize_stream",
    "transcribe",
    "transcription_prompt",
    "transcription_stream",
]


@metered(Capability.TRANSCRIBE)
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
    clip = as_audio(audio)
    if clip.duration_s <= 0:
        raise InvalidInput(_("The audio contains no samples."), param="file")

    def invoke(backend) -> Transcript:
        result = backend.transcribe(
            clip, language=language, prompt=prompt, word_timestamps=word_timestamps, vad=vad
        )
        # Prompt text is not speech, whichever engine let it through.
        result = transcript_without_prompt(result, prompt)
        if itn:
            from .itn import normalize_numbers

            result.text = normalize_numbers(result.text)
            for segment in result.segments:
                segment.text = normalize_numbers(segment.text)
        return result

    return run_call(
        caller,
        Capability.TRANSCRIBE,
        model=model,
        dialect=dialect,
        reserve={Unit.AUDIO_SECONDS: clip.duration_s},
        invoke=invoke,
        measure=lambda t: {Unit.AUDIO_SECONDS: clip.duration_s},
    )


@metered(Capability.SYNTHESIZE)
def synthesize(
    caller: Caller,
    text: str,
    *,
    model: str | None = None,
    voice: str | None = None,
    language: str | None = None,
    speed: float = 1.0,
    dialect: str = "",
) -> Served[AudioClip]:
    """`voice` None or "default": the tenant's default voice for the text's language."""
    from .labelling import new_content_id

    text = checked_speech_text(caller, text, speed)
    who = voices.speaker(
        caller.tenant, text, model=model, voice=voice, language=language, dialect=dialect
    )
    return run_call(
        caller,
        Capability.SYNTHESIZE,
        model=who.model,
        dialect=dialect,
        reserve={Unit.CHARACTERS: len(text)},
        invoke=lambda b: cast(SynthesizeBackend, b).synthesize(
            text, voice=who.voice, language=who.language, speed=speed
        ),
        measure=lambda clip: {Unit.CHARACTERS: len(text), Unit.AUDIO_SECONDS: clip.duration_s},
        content_id=new_content_id(),
    )


@metered(Capability.CHAT)
def chat(
    caller: Caller,
    messages: list[ChatMessage],
    *,
    model: str | None = None,
    passages: list[Passage] | None = None,
    max_tokens: int = 512,
    temperature: float = 0.7,
    response_format: dict | None = None,
    tools: ToolUse | None = None,
) -> Served[ChatResult]:
    checked = checked_messages(caller, messages)
    masked = masked_passages(passages)
    prompt_tokens = (
        sum(estimate_tokens(m.content) for m in checked)
        + sum(estimate_tokens(p.text) for p in masked or [])
        + (estimate_tokens(json.dumps(tools.tools, ensure_ascii=False)) if tools else 0)
    )

    def check_output(result: ChatResult) -> None:
        said = [result.text, *(c["function"]["arguments"] for c in result.tool_calls)]
        if not all(safety.output_allowed(caller.tenant, text) for text in said):
            result.text = str(_("The answer was withheld by the content safety filter."))
            result.tool_calls = []
            result.finish_reason = "content_filter"

    return run_call(
        caller,
        Capability.CHAT,
        model=model,
        reserve=token_units(prompt_tokens, max_tokens),
        invoke=lambda b: cast(ChatBackend, b).chat(
            checked,
            passages=masked,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
            tools=tools,
        ),
        measure=lambda r: token_units(r.prompt_tokens, r.completion_tokens),
        check_output=check_output,
    )


def chat_json(
    caller: Caller,
    messages: list[ChatMessage],
    schema: dict,
    *,
    name: str,
    max_tokens: int,
    temperature: float = 0.0,
) -> JsonReply:
    """A JSON object from the tenant's language model, decoded under `schema` (named `name` in
    the request). Never raises for the model: no language model, a refused input, a failed or
    timed-out model, a withheld or unreadable answer all give `data=None` with the reason, so
    each feature falls back to its rules or template and labels it. The caller still checks the
    values: a server that ignores the schema can write anything."""
    if not registry.language_model_configured(caller.tenant):
        return JsonReply(None, failure=JsonFailure.NOT_CONFIGURED)
    try:
        served = chat(
            caller,
            messages,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=json_schema_format(name, schema),
        )
    except (InvalidInput, ContentBlocked) as exc:
        return _no_json(caller, name, JsonFailure.REFUSED, error=exc.message)
    except AiError as exc:
        return _no_json(caller, name, JsonFailure.UNAVAILABLE, error=exc.message)
    info = served.info
    if not info.generative:
        return _no_json(caller, name, JsonFailure.NOT_GENERATIVE, model=info.model)
    if served.value.finish_reason == "content_filter":
        return _no_json(caller, name, JsonFailure.BLOCKED, model=info.model)
    data = parse_object(served.value.text)
    if data is None:
        return _no_json(caller, name, JsonFailure.INVALID, model=info.model)
    return JsonReply(data, model=info.model, engine=info.engine, fallback=info.fallback)


def _no_json(
    caller: Caller, name: str, failure: JsonFailure, *, error: str = "", model: str = ""
) -> JsonReply:
    # The reply and the prompt may hold what a citizen said: the log names only the call.
    _logger.warning(
        "JSON answer %s for tenant %s: %s%s",
        name,
        caller.tenant.slug,
        failure,
        f" ({model})" if model else "",
    )
    return JsonReply(None, model=model, failure=failure, error=error)


@metered(Capability.EMBED)
def embed(
    caller: Caller, texts: list[str], *, model: str | None = None, kind: str = "passage"
) -> Served[EmbedResult]:
    if not texts:
        raise InvalidInput(_("Nothing to embed: the input is empty."), param="input")
    texts = [require_text(t, "input") for t in texts]
    if kind not in ("query", "passage"):
        raise InvalidInput(_("kind must be query or passage."), param="kind")
    estimate = sum(estimate_tokens(t) for t in texts)
    return run_call(
        caller,
        Capability.EMBED,
        model=model,
        reserve={Unit.TOKENS: estimate},
        invoke=lambda b: cast(EmbedBackend, b).embed(texts, kind=kind),
        measure=lambda r: {Unit.TOKENS: min(r.tokens, estimate) if r.tokens else estimate},
    )


def _labelled(result: ImageResult, info_provider: str, content_id: str) -> ImageResult:
    from .labelling import label_image

    result.unlabelled = [img.convert("RGB") for img in result.images]
    result.images = [
        label_image(img, provider=info_provider, content_id=content_id) for img in result.images
    ]
    return result


@metered(Capability.GENERATE_IMAGE)
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
    on_step: StepCallback | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> Served[ImageResult]:
    """`on_step` hears the engine's steps (on the engine's thread); `while_waiting` runs on
    this thread about once a second until the picture is made, e.g. to report them."""
    from .labelling import new_content_id

    prompt = require_text(prompt, "prompt")
    safety.check_input(caller.tenant, prompt, field="prompt")
    if negative_prompt:
        safety.check_input(caller.tenant, negative_prompt, field="negative_prompt")
    _check_size(width, height, n)
    content_id = new_content_id()
    served = run_call(
        caller,
        Capability.GENERATE_IMAGE,
        model=model,
        reserve={Unit.IMAGES: n},
        invoke=lambda b: cast(ImageBackend, b).generate(
            prompt,
            negative_prompt=negative_prompt,
            width=width,
            height=height,
            steps=steps,
            seed=seed,
            style=style,
            n=n,
            **_step_hook(on_step),
        ),
        measure=lambda r: {Unit.IMAGES: len(r.images)},
        content_id=content_id,
        while_waiting=while_waiting,
    )
    _labelled(served.value, served.info.engine, content_id)
    return served


@metered(Capability.EDIT_IMAGE)
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
    on_step: StepCallback | None = None,
    while_waiting: Callable[[], None] | None = None,
) -> Served[ImageResult]:
    """`on_step` and `while_waiting` as for generate_image."""
    from .labelling import new_content_id

    picture = as_image(image)
    if prompt:
        safety.check_input(caller.tenant, prompt, field="prompt")
    if not prompt and not style:
        raise InvalidInput(_("Give a prompt or a style for the edit."), param="prompt")
    if not 0.0 < strength <= 1.0:
        raise InvalidInput(_("Strength must be above 0 and at most 1."), param="strength")
    _check_size(picture.width, picture.height, n)
    content_id = new_content_id()
    served = run_call(
        caller,
        Capability.EDIT_IMAGE,
        model=model,
        reserve={Unit.IMAGES: n},
        invoke=lambda b: cast(ImageBackend, b).edit(
            picture,
            prompt,
            negative_prompt=negative_prompt,
            strength=strength,
            steps=steps,
            seed=seed,
            style=style,
            n=n,
            **_step_hook(on_step),
        ),
        measure=lambda r: {Unit.IMAGES: len(r.images)},
        content_id=content_id,
        while_waiting=while_waiting,
    )
    _labelled(served.value, served.info.engine, content_id)
    return served


def _step_hook(on_step: StepCallback | None) -> dict:
    # Only when asked: an operator's engine written before the hook need not accept it.
    return {"on_step": on_step} if on_step is not None else {}


MAX_IMAGES_PER_CALL = 4


def _check_size(width: int, height: int, n: int) -> None:
    if not 1 <= n <= MAX_IMAGES_PER_CALL:
        raise InvalidInput(
            _("n must be between 1 and %(max)s.") % {"max": MAX_IMAGES_PER_CALL}, param="n"
        )
    if not (64 <= width <= 2048 and 64 <= height <= 2048):
        raise InvalidInput(_("Image sides must be between 64 and 2048 pixels."), param="size")


@metered(Capability.DETECT)
def detect(
    caller: Caller, frame: np.ndarray | bytes, *, model: str | None = None, min_score: float = 0.5
) -> Served[list[Detection]]:
    pixels = as_frame(frame)
    return run_call(
        caller,
        Capability.DETECT,
        model=model,
        reserve={Unit.FRAMES: 1},
        invoke=lambda b: cast(DetectBackend, b).detect(pixels, min_score=min_score),
        measure=lambda r: {Unit.FRAMES: 1},
    )


@metered(Capability.OCR)
def ocr(
    caller: Caller, image: np.ndarray | bytes, *, model: str | None = None
) -> Served[list[OcrLine]]:
    pixels = as_frame(image)
    return run_call(
        caller,
        Capability.OCR,
        model=model,
        reserve={Unit.IMAGES: 1},
        invoke=lambda b: cast(OcrBackend, b).ocr(pixels),
        measure=lambda r: {Unit.IMAGES: 1},
    )
