"""What one customer utterance says (dialect, Mandarin text, intent, sentiment) and what to
search the knowledge base with; rule-based, shared by the dialogue and agent assist."""

from __future__ import annotations

from suite.tenancy.models import Tenant

from . import dialect as dialects
from . import nlu, selectors


def understand(tenant: Tenant, text: str, language: str | None = None) -> dict:
    """Dialect, normalised text, intent and sentiment of one utterance."""
    overrides = selectors.lexicon_overrides(tenant)
    extra = {d: list(terms) for d, terms in overrides.items()}
    found = dialects.identify(text, asr_language=language, extra_markers=extra)
    lexicon = dialects.lexicon_for(found.dialect, overrides.get(found.dialect))
    normalized = dialects.normalize(text, lexicon) if found.dialect != dialects.MANDARIN else text
    intent = nlu.classify_intent(normalized)
    # Dialect swear words vanish in normalisation; the raw text keeps them.
    sentiment = min(
        nlu.analyse_sentiment(normalized), nlu.analyse_sentiment(text), key=lambda s: s.score
    )
    return {
        "dialect": found.dialect,
        "dialect_confidence": found.confidence,
        "dialect_markers": found.markers,
        "normalized_text": normalized,
        "intent": intent.intent,
        "intent_confidence": intent.confidence,
        "sentiment": {"label": sentiment.label, "score": sentiment.score},
        "angry": sentiment.angry,
    }


def search_query(normalized: str, history: list[str] | None) -> str:
    # A short follow-up ("那怎么收费?") is searched with the previous utterance for context.
    if history and len(normalized) < 8:
        return f"{history[-1]} {normalized}"
    return normalized
