"""Agent assist for one caller utterance: dialect, Mandarin text, intent, sentiment, suggested
replies and knowledge hits. Used by the call handler for the agent desktop and by the dialogue.

Everything here is rule-based or retrieval-based (no language model is involved), so the result
always says `"fallback": True`; the suggestions are templates filled from the knowledge base.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from . import dialect as dialects
from . import knowledge, nlu, selectors


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


def suggestions_for(intent: str, hits: list[knowledge.KnowledgeHit], angry: bool) -> list[str]:
    out: list[str] = []
    if angry:
        out.append(_("I am very sorry for the trouble. I will follow this up for you right away."))
    if hits:
        out.append(hits[0].snippet)
    templates = {
        "fault_repair": _(
            "Please restart the optical modem and router first; if it still fails, I will "
            "book a repair visit. May I have your address and a convenient time?"
        ),
        "complaint": _(
            "I have recorded your complaint and will open a ticket; a supervisor will call "
            "you back within 24 hours."
        ),
        "plan_change": _(
            "A plan change takes effect on the 1st of next month. Which plan would you like?"
        ),
        "package_order": _("I can order that for you now. Please confirm the mobile number."),
        "suspension": _(
            "For a lost phone I will suspend the number immediately; please confirm the "
            "number and the ID holder's name."
        ),
        "human_agent": _("Transferring you to an agent now, please hold."),
        "consultation": _("Is there anything else about this I can explain?"),
        "greeting": _("Hello, how can I help you today?"),
    }
    if intent in templates:
        out.append(str(templates[intent]))
    if not out:
        out.append(_("Could you tell me a little more about the problem?"))
    return list(dict.fromkeys(out))[:3]


def assist_utterance(
    *,
    tenant: Tenant,
    text: str,
    language: str | None = None,
    history: list[str] | None = None,
) -> dict:
    text = (text or "").strip()
    result = understand(tenant, text, language) if text else None
    if result is None:
        return {
            "dialect": dialects.MANDARIN,
            "dialect_confidence": 0.0,
            "normalized_text": "",
            "intent": "unknown",
            "intent_confidence": 0.0,
            "sentiment": {"label": "neutral", "score": 0.0},
            "suggestions": [],
            "knowledge_hits": [],
            "fallback": True,
        }
    # A short follow-up ("那怎么收费?") is searched with the previous utterance for context.
    query = result["normalized_text"]
    if history and len(query) < 8:
        query = f"{history[-1]} {query}"
    hits, _vectors = knowledge.search(tenant, query, k=3)
    hits = [h for h in hits if knowledge.relevant(h)]
    return {
        "dialect": result["dialect"],
        "dialect_confidence": result["dialect_confidence"],
        "normalized_text": result["normalized_text"],
        "intent": result["intent"],
        "intent_confidence": result["intent_confidence"],
        "sentiment": result["sentiment"],
        "suggestions": suggestions_for(result["intent"], hits, result["angry"]),
        "knowledge_hits": [{"id": h.id, "title": h.title, "snippet": h.snippet} for h in hits],
        "fallback": True,
    }
