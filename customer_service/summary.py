"""After-chat / after-call summary and ticket pre-fill from the transcript.

The rules always run: the intent, the customer's key sentences (the ones that carry the intent
or a slot), the slots and the outcome. When the tenant has a language model, it then rewrites the
summary as one sentence that states the problem and what the customer asks for, and judges the
priority, in JSON constrained by a schema; the result says which model wrote it. Without one (or
when it fails) the rules' summary stands, labelled as rule-based. Phone numbers and ID numbers are
masked in the summary and in the prompt; the pre-filled ticket keeps the phone number itself for
the agent to confirm.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from suite.ai import gateway
from suite.ai.types import ChatMessage
from suite.privacy import mask_text

from . import nlu
from .models import Dialect

INTENT_TICKET_TYPE = {
    "complaint": "complaint",
    "fault_repair": "fault_repair",
    "plan_change": "business",
    "package_order": "business",
    "suspension": "business",
    "consultation": "consultation",
}
INTENT_CATEGORY = {
    "complaint": gettext_lazy("Complaint"),
    "fault_repair": gettext_lazy("Fault repair"),
    "plan_change": gettext_lazy("Plan change"),
    "package_order": gettext_lazy("Package order"),
    "suspension": gettext_lazy("Suspension / resumption"),
    "consultation": gettext_lazy("Consultation"),
}
MAX_KEY_SENTENCES = 3


def _dialect_label(dialect: str) -> str:
    """粤语 for "cantonese" (the summary is read by people, not parsed)."""
    try:
        return str(Dialect(dialect).label)
    except ValueError:
        return dialect


def summarize_lines(
    customer_lines: list[str],
    *,
    slots: dict[str, str] | None = None,
    intent: str = "",
    dialect: str = "mandarin",
    outcome: str = "",
) -> dict:
    """Summary and ticket pre-fill from what the customer said (already normalised to Mandarin).

    Returns {"summary", "ticket": {"type", "category", "summary", "phone", "address",
    "priority"}, "intent", "rule_based": True}.
    """
    lines = [line.strip() for line in customer_lines if line and line.strip()]
    found: dict[str, str] = {}
    for line in lines:
        for slot, value in nlu.extract_slots(line).items():
            found.setdefault(slot, value)
    found.update({k: v for k, v in (slots or {}).items() if v})
    if not intent or intent in ("unknown", "greeting", "human_agent"):
        totals: dict[str, float] = {}
        for line in lines:
            for name, score in nlu.classify_intent(line).scores.items():
                totals[name] = totals.get(name, 0.0) + score
        candidates = {k: v for k, v in totals.items() if k in INTENT_TICKET_TYPE and v > 0}
        intent = max(candidates, key=lambda k: candidates[k]) if candidates else "consultation"
    key = [
        line
        for line in lines
        if nlu.classify_intent(line).intent == intent or nlu.extract_slots(line)
    ][:MAX_KEY_SENTENCES] or lines[:MAX_KEY_SENTENCES]
    angry = any(nlu.analyse_sentiment(line).angry for line in lines)
    category = str(INTENT_CATEGORY.get(intent, _("Consultation")))
    parts = [_("[%(category)s]") % {"category": category}]
    if dialect and dialect != "mandarin":
        parts.append(_("Dialect: %(d)s.") % {"d": _dialect_label(dialect)})
    if key:
        parts.append(_("Customer: %(text)s") % {"text": " / ".join(key)})
    if found.get("plan"):
        parts.append(_("Plan: %(v)s.") % {"v": found["plan"]})
    if found.get("time"):
        parts.append(_("Preferred time: %(v)s.") % {"v": found["time"]})
    if angry:
        parts.append(_("The customer was upset."))
    if outcome:
        parts.append(outcome)
    summary = mask_text(" ".join(str(p) for p in parts))
    priority = "high" if angry or intent == "complaint" else "normal"
    return {
        "summary": summary,
        "intent": intent,
        "rule_based": True,
        "ticket": {
            "type": INTENT_TICKET_TYPE.get(intent, "consultation"),
            "category": category,
            "summary": summary,
            "phone": found.get("phone", ""),
            "address": found.get("address", ""),
            "priority": priority,
        },
    }


SUMMARY_SCHEMA = {
    "type": "object",
    "properties": {
        "summary": {"type": "string", "maxLength": 80},
        "priority": {"type": "string", "enum": ["normal", "high"]},
    },
    "required": ["summary", "priority"],
}
SUMMARY_PROMPT = (
    "你是电信运营商的客服主管。根据客户在对话中说的话，用一句中文写工单摘要："
    "客户遇到了什么问题、要求我们做什么；不写电话号码和身份证号，不编造客户没说的内容。"
    "priority：客户生气、投诉或问题影响正常使用时为 high，否则为 normal。"
)


def summarize(tenant, customer_lines: list[str], **rules) -> dict:
    """The rules' summary, rewritten by the tenant's language model when it has one.
    Call it outside a transaction: it may ask a model."""
    result = summarize_lines(customer_lines, **rules)
    lines = [line.strip() for line in customer_lines if line and line.strip()]
    if not lines:
        return result
    reply = gateway.chat_json(
        gateway.Caller(tenant=tenant),
        [ChatMessage("system", SUMMARY_PROMPT), ChatMessage("user", "\n".join(lines[-12:]))],
        SUMMARY_SCHEMA,
        name="summary",
        max_tokens=120,
    )
    data = reply.data
    if data is None or not str(data.get("summary") or "").strip():
        return result
    category = result["ticket"]["category"]
    written = mask_text(str(data["summary"]).strip())
    summary = _("[%(category)s]") % {"category": category} + " " + written
    if rules.get("outcome"):
        summary += " " + rules["outcome"]
    result.update(summary=summary, rule_based=False, model=reply.model)
    result["ticket"]["summary"] = summary
    if data.get("priority") == "high":
        result["ticket"]["priority"] = "high"
    return result


def call_prefill(call) -> dict:
    """After-call summary and ticket pre-fill from a finished (or live) call's caller turns."""
    from suite.telephony.models import Speaker
    from suite.telephony.selectors import call_utterances

    lines = [
        (u.details or {}).get("normalized_text") or u.text
        for u in call_utterances(call=call)
        if u.speaker == Speaker.CALLER
    ]
    dialects = [u.dialect for u in call_utterances(call=call) if u.dialect]
    dialect = call.dialect or (max(set(dialects), key=dialects.count) if dialects else "mandarin")
    result = summarize(call.tenant, lines, dialect=dialect)
    if not result["ticket"]["phone"] and call.caller_number:
        result["ticket"]["phone"] = "".join(c for c in call.caller_number if c.isdigit())[-11:]
    return result
