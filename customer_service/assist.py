"""Agent assist for one caller utterance: dialect, Mandarin text, intent, sentiment, suggested
replies and knowledge hits. Used by the call handler for the agent desktop and by the dialogue.

Everything here is rule-based or retrieval-based (no language model is involved), so the result
always says `"fallback": True`; the suggestions are templates filled from the knowledge base,
and `replies` labels each one as a template. Replies written by the language model are a second,
slower pass (`services.assist_replies`) that callers run off the request or the event loop.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from . import dialect as dialects
from . import knowledge, selectors
from .models import Conversation, TurnRole
from .services.assist_replies import (
    CONTEXT_TURNS,
    PASSAGES,
    Generated,
    conversation_lines,
    replies_generate,
    template_replies,
)
from .understanding import search_query, understand


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


def model_passage_ids(tenant: Tenant, result: dict, history: list[str] | None) -> list[int]:
    """The articles the model reads for its replies: the relevant hits the desk shows, then
    what either ranking puts first whatever words it shares with the caller (the model reads
    paraphrases and dialect the word-overlap test misses; grounding keeps it honest)."""
    hits = knowledge.search_for_model(
        tenant, search_query(result["normalized_text"], history), k=PASSAGES
    )
    ids = [h["id"] for h in result["knowledge_hits"]] + [h.id for h in hits]
    return list(dict.fromkeys(ids))[:PASSAGES]


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
            "replies": [],
            "knowledge_hits": [],
            "fallback": True,
        }
    hits, _vectors = knowledge.search(tenant, search_query(result["normalized_text"], history), k=3)
    hits = [h for h in hits if knowledge.relevant(h)]
    suggestions = suggestions_for(result["intent"], hits, result["angry"])
    knowledge_hits = [{"id": h.id, "title": h.title, "snippet": h.snippet} for h in hits]
    return {
        "dialect": result["dialect"],
        "dialect_confidence": result["dialect_confidence"],
        "normalized_text": result["normalized_text"],
        "intent": result["intent"],
        "intent_confidence": result["intent_confidence"],
        "sentiment": result["sentiment"],
        "suggestions": suggestions,
        # The same suggestions, each labelled as a template (the model's replies, when a
        # caller asks for them, carry the model's name instead).
        "replies": template_replies(suggestions, knowledge_hits),
        "knowledge_hits": knowledge_hits,
        "fallback": True,
    }


def conversation_replies(*, conversation: Conversation, user=None) -> dict:
    """Suggested replies for the agent handling a chat, on the agent's request: the model's
    (labelled with its name, grounded in the knowledge hits, citing them) first, then the
    templates as the labelled fallback. `generated` is False when the tenant has no language
    model or it gave nothing usable. Runs outside any transaction (it calls the model)."""
    turns = list(selectors.turns(conversation).order_by("seq"))
    customer = [t.normalized_text or t.text for t in turns if t.role == TurnRole.CUSTOMER]
    if not customer:
        raise ValidationError(_("The customer has not said anything yet: nothing to reply to."))
    last = next(t for t in reversed(turns) if t.role == TurnRole.CUSTOMER)
    history = customer[-4:-1]
    result = assist_utterance(tenant=conversation.tenant, text=last.text, history=history)
    generated = replies_generate(
        tenant=conversation.tenant,
        turns=conversation_lines(turns)[-CONTEXT_TURNS:],
        hit_ids=model_passage_ids(conversation.tenant, result, history),
        user=user,
    )
    return _merged(result, generated)


def with_generated_replies(result: dict, *, tenant: Tenant, history: list[str], text: str) -> dict:
    """An `assist_utterance` result with the model's replies put before the templates
    (`generated`, `model` say whether it wrote any)."""
    generated = None
    if result["normalized_text"]:
        lines: list[tuple[str, str]] = [(TurnRole.CUSTOMER, t) for t in [*history, text]]
        generated = replies_generate(
            tenant=tenant,
            turns=lines[-CONTEXT_TURNS:],
            hit_ids=model_passage_ids(tenant, result, history),
        )
    return _merged(result, generated)


def _merged(result: dict, generated: Generated | None) -> dict:
    replies = result["replies"]
    if generated is not None:
        replies = [r.as_dict() for r in generated.replies] + replies
    return {
        **result,
        "replies": replies,
        "generated": generated is not None,
        "model": generated.model if generated else "",
        "dropped": generated.dropped if generated else 0,
    }
