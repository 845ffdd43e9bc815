from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Capability(models.TextChoices):
    TRANSCRIBE = "transcribe", _("Speech recognition")
    SYNTHESIZE = "synthesize", _("Speech synthesis")
    CHAT = "chat", _("Chat")
    EMBED = "embed", _("Embeddings")
    GENERATE_IMAGE = "generate_image", _("Text to image")
    EDIT_IMAGE = "edit_image", _("Image to image")
    DETECT = "detect", _("Vision detection")
    OCR = "ocr", _("Text recognition (OCR)")


def capability_label(value: str) -> str:
    """ "语音识别" for "transcribe"; a code this release does not know shows as itself."""
    try:
        return str(Capability(value).label)
    except ValueError:
        return value


class Unit(models.TextChoices):
    REQUESTS = "requests", _("Requests")
    TOKENS = "tokens", _("Tokens")
    AUDIO_SECONDS = "audio_seconds", _("Audio seconds")
    CHARACTERS = "characters", _("Characters")
    IMAGES = "images", pgettext_lazy("count", "Images")
    FRAMES = "frames", _("Frames")
    # Money, counted in micro-yuan (0.000001元) so a call's cost is exact and a counter is an
    # integer; pages and forms show and take yuan. A quota in this unit is a budget.
    SPEND = "spend", _("Spend (yuan)")


MICRO_YUAN = 1_000_000  # per yuan


class PriceUnit(models.TextChoices):
    """What a price book charges for. Chat is priced by input and output tokens apart (output
    costs more on every market price list); embeddings by tokens."""

    INPUT_TOKENS = "input_tokens", _("Input tokens")
    OUTPUT_TOKENS = "output_tokens", _("Output tokens")
    TOKENS = "tokens", _("Tokens")
    AUDIO_SECONDS = "audio_seconds", _("Audio seconds")
    CHARACTERS = "characters", _("Characters")
    IMAGES = "images", pgettext_lazy("count", "Images")
    FRAMES = "frames", _("Frames")
    REQUESTS = "requests", _("Requests")


# Which Celery queue runs heavy inference for a capability (settings.CELERY_QUEUES).
QUEUE_FOR = {
    Capability.TRANSCRIBE: "asr",
    Capability.SYNTHESIZE: "tts",
    Capability.CHAT: "default",
    Capability.EMBED: "default",
    Capability.GENERATE_IMAGE: "image",
    Capability.EDIT_IMAGE: "image",
    Capability.DETECT: "vision",
    Capability.OCR: "vision",
}
