"""The contract every backend implements, and the engine registry the loader reads.

A backend is constructed from a `BackendSpec` (engine name, local path, options) and loaded
once per process by `suite.ai.loader`. Backends do no metering, quotas or safety: the gateway
does that around them. A backend never downloads anything: a missing file is a
`BackendUnavailable` with the path in the message.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image

from ..capabilities import Capability
from ..errors import InvalidInput
from ..types import (
    AudioClip,
    ChatMessage,
    ChatResult,
    Detection,
    EmbedResult,
    ImageResult,
    OcrLine,
    Passage,
    ToolUse,
    Transcript,
)


@dataclass(frozen=True)
class BackendSpec:
    engine: str
    path: str = ""
    options: dict[str, Any] = field(default_factory=dict)

    def cache_key(self) -> tuple:
        return (self.engine, self.path, repr(sorted(self.options.items())))


class Backend:
    engine: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]]
    # False for the embedded fallbacks (extractive answers, OpenCV stylisation, templates):
    # the gateway labels their results as non-generative in the UI and the API.
    generative: ClassVar[bool] = True
    # Heavy engines (whose runs hold the GIL for long) load in a model process of their
    # capability instead of a process that serves sockets: see suite.ai.model_processes.
    heavy: ClassVar[bool] = False

    def __init__(self, spec: BackendSpec):
        self.spec = spec
        self.options = dict(spec.options)

    def load(self) -> None:
        """Heavy work (reading weights). Called once per process, under a lock, by the loader."""


class TranscribeBackend(Backend):
    def transcribe(
        self,
        audio: AudioClip,
        *,
        language: str | None = None,
        prompt: str | None = None,
        word_timestamps: bool = False,
        vad: bool = True,
    ) -> Transcript:
        raise NotImplementedError

    def transcribe_utterance(
        self, audio: AudioClip, *, language: str | None = None, prompt: str | None = None
    ) -> Transcript:
        """One endpointed utterance of a live call: text only, as fast as the engine allows.
        Engines with a cheaper path for short audio override this."""
        return self.transcribe(audio, language=language, prompt=prompt, vad=False)


class SynthesizeBackend(Backend):
    def voices(self) -> list[str]:
        return []

    def synthesize(
        self, text: str, *, voice: str | None = None, language: str = "zh", speed: float = 1.0
    ) -> AudioClip:
        raise NotImplementedError


class ChatBackend(Backend):
    def chat(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,
        tools: ToolUse | None = None,
    ) -> ChatResult:
        """`response_format` is OpenAI's (json_schema: constrained decoding); `tools` the
        functions the model may call. A backend that cannot honour them ignores them, and the
        caller sees from CallInfo that no model answered."""
        raise NotImplementedError

    def chat_stream(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,
    ) -> Iterator[str | ChatResult]:
        """Yields text deltas, then exactly one final ChatResult with the whole text and usage."""
        result = self.chat(
            messages,
            passages=passages,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
        )
        yield result.text
        yield result


class EmbedBackend(Backend):
    dimensions: int = 0

    def embed(self, texts: list[str], *, kind: str = "passage") -> EmbedResult:
        """kind is "query" or "passage" (e5-style models prefix them differently)."""
        raise NotImplementedError


# (denoising steps done, steps in all): how far one image has come.
StepCallback = Callable[[int, int], None]


class ImageBackend(Backend):
    """`on_step`, when an engine works in steps, is called after each one (on the thread that
    runs the engine); engines that make a picture at once ignore it."""

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self.max_images = int(self.options.get("max_images", 4))

    def check_request(self, n: int, strength: float | None = None) -> None:
        """The limits every image engine shares; callers may use a backend without the gateway."""
        if not 1 <= n <= self.max_images:
            raise InvalidInput(
                _("You can ask for 1 to %(max)s images at a time.") % {"max": self.max_images},
                param="n",
            )
        if strength is not None and not 0.0 < strength <= 1.0:
            raise InvalidInput(_("strength must be between 0 and 1."), param="strength")

    @staticmethod
    def seed(seed: int | None) -> int:
        """The seed to use (a random one when none is asked), so results can be reproduced."""
        if seed is None:
            return secrets.randbelow(2**31)
        if not 0 <= seed < 2**32:
            raise InvalidInput(_("seed must be an integer from 0 to 4294967295."), param="seed")
        return int(seed)

    def generate(
        self,
        prompt: str,
        *,
        negative_prompt: str = "",
        width: int = 512,
        height: int = 512,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        raise NotImplementedError

    def edit(
        self,
        image: Image.Image,
        prompt: str = "",
        *,
        negative_prompt: str = "",
        strength: float = 0.6,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        raise NotImplementedError


class DetectBackend(Backend):
    labels: ClassVar[tuple[str, ...]] = ()

    def detect(self, frame: np.ndarray, *, min_score: float = 0.5) -> list[Detection]:
        """frame is an HxWx3 uint8 BGR array (OpenCV order)."""
        raise NotImplementedError


class OcrBackend(Backend):
    def ocr(self, frame: np.ndarray) -> list[OcrLine]:
        raise NotImplementedError


ENGINES: dict[str, type[Backend]] = {}


def register(cls: type[Backend]) -> type[Backend]:
    ENGINES[cls.engine] = cls
    return cls


ProgressCallback = Callable[[float], None]
