"""Plain values that cross the gateway: inputs already validated, results of every capability."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

import numpy as np
from PIL import Image

# Re-exported: products name capabilities (task queues, metering).
from .capabilities import Capability as Capability


@dataclass(frozen=True)
class AudioClip:
    """Mono float32 samples in [-1, 1]."""

    samples: np.ndarray
    sample_rate: int

    @property
    def duration_s(self) -> float:
        return len(self.samples) / self.sample_rate if self.sample_rate else 0.0


@dataclass
class Word:
    start: float
    end: float
    word: str
    probability: float


@dataclass
class Segment:
    start: float
    end: float
    text: str
    words: list[Word] = field(default_factory=list)
    # The model's probability that the segment holds no speech (0 when it gives none).
    no_speech_prob: float = 0.0


@dataclass
class Transcript:
    text: str
    language: str
    language_probability: float
    duration_s: float
    segments: list[Segment] = field(default_factory=list)


@dataclass
class ChatMessage:
    role: Literal["system", "user", "assistant", "tool"]
    content: str
    # OpenAI's function calling: the calls an assistant message made, and on a "tool" message
    # the id of the call whose result it carries.
    tool_calls: list[dict] | None = None
    tool_call_id: str | None = None


@dataclass(frozen=True)
class ToolUse:
    """Functions the model may call (OpenAI's `tools`, already validated) and how:
    `choice` is "auto", "none", "required" or {"type": "function", "function": {"name": ...}}."""

    tools: list[dict]
    choice: str | dict = "auto"
    parallel: bool | None = None


@dataclass
class Passage:
    """A retrieved document chunk handed to chat for grounding; `source` is cited back."""

    id: str
    text: str
    source: str = ""
    score: float = 0.0


@dataclass
class ChatResult:
    text: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str = "stop"
    citations: list[str] = field(default_factory=list)
    tool_calls: list[dict] = field(default_factory=list)


@dataclass
class EmbedResult:
    vectors: np.ndarray  # (n, dim) float32, L2-normalised
    tokens: int


@dataclass
class ImageResult:
    images: list[Image.Image]
    seed: int | None = None
    # The same pixels before the gateway's visible badge, one per image, for a product that
    # composes them into media it labels itself (a video with its own fixed badge and record):
    # a badge baked into the source would move and crop with the composition. Never serve them
    # as they are.
    unlabelled: list[Image.Image] = field(default_factory=list)


@dataclass
class Detection:
    label: str
    score: float
    box: tuple[int, int, int, int]  # x, y, width, height in pixels


@dataclass
class OcrLine:
    text: str
    score: float
    box: list[tuple[int, int]]  # polygon corners


@dataclass
class CallInfo:
    """What the gateway tells the caller about how a call was served (shown in UI and API)."""

    model: str
    engine: str
    generative: bool = True
    fallback: bool = False
    fallback_reason: str = ""
    content_id: str = ""
    usage: dict[str, float] = field(default_factory=dict)


class JsonFailure(StrEnum):
    """Why a JSON answer (`gateway.chat_json`) holds no object."""

    NOT_CONFIGURED = "not_configured"  # the tenant has no language model: nothing was asked
    REFUSED = "refused"  # the input was refused (safety term, injection, invalid): see `error`
    UNAVAILABLE = "unavailable"  # every model failed or timed out, or the quota is spent
    NOT_GENERATIVE = "not_generative"  # only the embedded extractive answerer answered
    BLOCKED = "blocked"  # the output safety filter withheld the answer
    INVALID = "invalid"  # the reply holds no JSON object


@dataclass(frozen=True)
class JsonReply:
    """A language model's answer as a JSON object (`data`), and who wrote it; `data` is None
    when there is no usable answer, and `failure` says why. `fallback`: a later model in the
    tenant's list answered because an earlier one failed (an embedded engine never answers
    here: it cannot write JSON)."""

    data: dict | None
    model: str = ""
    engine: str = ""
    fallback: bool = False
    failure: JsonFailure | None = None
    error: str = ""  # the gateway's message for REFUSED and UNAVAILABLE
