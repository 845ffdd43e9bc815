"""Which voice speaks: the caller's choice, else the tenant's default voice for the language.

`voice="default"` (or none) in `/v1/audio/speech` and in every product reply means the tenant's
default voice for the language of the text: its own choice, else its nearest ancestor's, else
the settings' AI_DEFAULT_VOICES (a native Mandarin Kokoro voice for Mandarin).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suite.tenancy.models import Tenant

from . import registry, voice_bundle
from .capabilities import Capability
from .config_cache import memoize
from .models import SpeechLanguage, VoiceDefault

DEFAULT = "default"
_HAN = re.compile(r"[\u3400-\u9fff]")
_LATIN = re.compile(r"[A-Za-z]")
# Voices each engine offers per language (engines not listed speak with their own voice).
ESPEAK_VOICES = {
    "yue": ("yue", gettext_lazy("Cantonese (espeak-ng)")),
    "en": ("en", gettext_lazy("English (espeak-ng)")),
}


@dataclass(frozen=True)
class Speaker:
    model: str | None
    voice: str | None
    language: str


def speech_language(text: str, dialect: str = "") -> str:
    if dialect == "cantonese":
        return SpeechLanguage.CANTONESE
    if not _HAN.search(text) and _LATIN.search(text):
        return SpeechLanguage.ENGLISH
    return SpeechLanguage.MANDARIN


def default_voice(tenant: Tenant, language: str) -> tuple[str, str] | None:
    """(model entry, voice) the tenant speaks `language` with, or None."""

    def compute() -> tuple[str, str] | None:
        chain = registry.ancestor_ids(tenant)
        rows = {
            row.tenant_id: row
            for row in VoiceDefault.objects.filter(tenant_id__in=chain, language=language)
        }
        nearest = next((rows[pk] for pk in chain if pk in rows), None)
        if nearest is not None:
            return nearest.model, nearest.voice
        entry = settings.AI_DEFAULT_VOICES.get(language)
        return (entry["model"], entry.get("voice", "")) if entry else None

    return memoize(("voice", tenant.pk, tenant.path, language), compute)


def speaker(
    tenant: Tenant,
    text: str,
    *,
    model: str | None,
    voice: str | None,
    language: str | None,
    dialect: str = "",
) -> Speaker:
    """The model entry, voice and language a synthesis call uses. A caller that names a model
    or a voice gets exactly that; otherwise the tenant's default voice for the language, as long
    as the tenant still has that model (else its model list's own default voice)."""
    language = language or speech_language(text, dialect)
    model = None if model in (None, "", DEFAULT) else model
    voice = None if voice in (None, "", DEFAULT) else voice
    if model or voice:
        return Speaker(model, voice, language)
    chosen = default_voice(tenant, language)
    if chosen and chosen[0] in _model_names(tenant):
        return Speaker(chosen[0], chosen[1] or None, language)
    return Speaker(None, None, language)


def _model_names(tenant: Tenant) -> set[str]:
    return {m.name for m in registry.configured_models(tenant, Capability.SYNTHESIZE)}


def voice_options(tenant: Tenant, language: str) -> list[tuple[str, str, str]]:
    """(model entry, voice, label) the tenant can choose from for a language."""
    options = []
    for entry in registry.configured_models(tenant, Capability.SYNTHESIZE):
        engine = entry.spec.engine
        if engine == "kokoro":
            for info in voice_bundle.OFFERED.values():
                if info.language == language:
                    options.append((entry.name, info.name, str(info.label)))
        elif engine == "espeak-ng":
            if language in ESPEAK_VOICES:
                name, label = ESPEAK_VOICES[language]
                options.append((entry.name, name, str(label)))
        else:
            options.append((entry.name, "", _("%(model)s's own voice") % {"model": entry.name}))
    return options
