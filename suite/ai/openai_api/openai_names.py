"""OpenAI's own model and voice names, as a stock client sends them (`model="gpt-4o-mini"`,
`model="tts-1", voice="alloy"`): each is served by the tenant's default model for the
capability, and a voice by the tenant's voice of the same gender for the text's language. A
model or voice the tenant configured under that very name, or an alias the tenant defined for
it, is used as named. The gateway stays
strict (a named model is tried alone); this is the API's reading of names the suite cannot
serve as such."""

from __future__ import annotations

from suite.tenancy.models import Tenant

from .. import registry, voice_bundle, voices
from ..capabilities import Capability
from ..models import SpeechLanguage

OPENAI_MODELS: dict[Capability, frozenset[str]] = {
    Capability.CHAT: frozenset(
        [
            "gpt-3.5-turbo",
            "gpt-4",
            "gpt-4-turbo",
            "gpt-4o",
            "gpt-4o-mini",
            "gpt-4.1",
            "gpt-4.1-mini",
            "gpt-4.1-nano",
            "gpt-5",
            "gpt-5-mini",
            "gpt-5-nano",
            "o1",
            "o1-mini",
            "o3",
            "o3-mini",
            "o4-mini",
        ]
    ),
    Capability.EMBED: frozenset(
        {"text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002"}
    ),
    Capability.TRANSCRIBE: frozenset({"whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe"}),
    Capability.SYNTHESIZE: frozenset({"tts-1", "tts-1-hd", "gpt-4o-mini-tts"}),
    Capability.GENERATE_IMAGE: frozenset({"dall-e-2", "dall-e-3", "gpt-image-1"}),
    Capability.EDIT_IMAGE: frozenset({"dall-e-2", "gpt-image-1"}),
}
# The voices OpenAI's speech endpoint offers, by the gender they are heard as.
OPENAI_VOICES = {
    "alloy": "female", "ash": "male", "ballad": "male", "coral": "female", "echo": "male",
    "fable": "male", "nova": "female", "onyx": "male", "sage": "female", "shimmer": "female",
    "verse": "male",
}  # fmt: skip


def model_for(tenant: Tenant, capability: Capability, name: str) -> str:
    """`name`, or the tenant's default model where `name` is one of OpenAI's own for the
    capability and the tenant has no model of that name."""
    if name not in OPENAI_MODELS.get(capability, ()):
        return name
    if any(m.name == name for m in registry.configured_models(tenant, capability)):
        return name
    if name in registry.aliases(tenant, capability):
        return name  # the tenant chose what it means
    return registry.DEFAULT_MODEL


def voice_for(
    tenant: Tenant, *, model: str, voice: str | None, text: str, language: str | None, dialect: str
) -> tuple[str, str | None]:
    """(model, voice) for a speech call: an OpenAI voice name becomes the tenant's first voice
    of that gender for the text's language (on the asked model, when one was named), else its
    default voice; any other voice is passed on as named."""
    gender = OPENAI_VOICES.get(voice or "")
    if gender is None or voice in _tenant_voices(tenant):
        return model, voice
    language = language or voices.speech_language(text, dialect)
    for entry, name, _label in voices.voice_options(tenant, language):
        info = voice_bundle.CATALOGUE.get(name)
        if info and info.gender == gender and model in (registry.DEFAULT_MODEL, entry):
            return entry, name
    return model, None


def _tenant_voices(tenant: Tenant) -> set[str]:
    return {
        name
        for language in SpeechLanguage.values
        for _entry, name, _label in voices.voice_options(tenant, language)
    }
