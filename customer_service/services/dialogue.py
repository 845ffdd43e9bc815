"""The multi-turn dialogue: one customer message in, the assistant's reply out.

Per message: identify the dialect and normalise to Mandarin, classify intent and sentiment,
then, in this order:
1. a pending confirmation is answered (yes: the ticket is created; no: the slots are re-asked);
2. escalation to a human agent on an explicit request, anger, low ASR confidence, or two
   consecutive messages the assistant could not answer;
3. a business flow (fault repair, complaint, plan change, package order, suspension) collects
   its slots, then asks the customer to confirm them;
4. anything else is answered from the knowledge base through `gateway.chat` with the retrieved
   articles as passages (a configured chat model generates from them; without one the embedded
   extractive answerer quotes them and says so), with citations.
The dialect is stored on every turn; replies to a dialect speaker name the dialect voice.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import AiError, ContentBlocked
from suite.ai.search import (
    CITATION,
    NO_ANSWER,
    bigram_share,
    supporting,
    ungrounded_anchors,
)
from suite.ai.types import ChatMessage, Passage
from suite.audit.services import audit_record
from suite.privacy import mask_phone
from suite.realtime.publish import tenant_group_send
from suite.tenancy.models import Tenant

from .. import knowledge, nlu, selectors, understanding
from ..models import (
    ArticleSource,
    ArticleStatus,
    Channel,
    Conversation,
    ConversationStatus,
    EscalationReason,
    KbArticle,
    Ticket,
    Turn,
    TurnRole,
)
from ..summary import INTENT_TICKET_TYPE, summarize, summarize_lines
from . import slot_reading
from .knowledge import article_create
from .tickets import ticket_create

logger = logging.getLogger(__name__)

QUEUE_GROUP = "customer_service.queue"
MAX_TEXT = 1000
LOW_ASR_CONFIDENCE = 0.4
FAILURES_BEFORE_HANDOFF = 2
FLOW_MIN_CONFIDENCE = 0.45
# Flows that fix a problem: asked about with no answer in the knowledge base, they are offered.
PROBLEM_FLOWS = ("fault_repair", "complaint", "suspension")
KB_PASSAGES = 3
MODEL_PASSAGES = 4
KB_SYSTEM = "你是电信运营商的在线客服，语气礼貌、简洁。"
CHOICE_RULES = (
    "请按JSON格式回答：先判断资料是否真的回答了用户的问题，填在“资料能回答”里；"
    "资料只是话题相关、并没有回答这个问题时填false，“编号”填0。"
    "能回答时在“编号”中填写那条资料的编号，"
    "再在“回答”中用一两句话回答，照抄资料中的价格、数量、条件、短信指令和号码。"
)
KB_ANSWER_TOKENS = 160
_CAMERA = "[1] 看家摄像头服务：看家摄像头每月15元，含7天云端录像回看，可在App“看家”页面开通。"
_REAL_NAME = "[2] 手机实名登记：新入网需机主本人携带身份证办理实名登记。"
_SMS = (
    "[1] 国内短信资费：国内短信每条0.1元，套餐内短信用完后按此计费。\n"
    "[2] 短信发送频率限制：同一号码每小时最多发送200条短信，超过后暂停发送1小时。"
)
# Worked examples in the exact shape of a request (passages, then the question), made up so that
# no answer can come from them: a small model judges everyday wording against the passages more
# reliably from examples than from rules alone, and as part of the fixed prefix they are served
# from the model server's prompt cache.
CHOICE_EXAMPLES: tuple[tuple[str, dict], ...] = (
    (
        f"资料：\n{_CAMERA}\n{_REAL_NAME}\n\n问题：家里那个手机上能看的摄像头，录像能存几天？",
        {"资料能回答": True, "编号": 1, "回答": "看家摄像头含7天云端录像回看，每月15元。"},
    ),
    (
        f"资料：\n{_SMS}\n\n问题：我给客户发通知，发着发着怎么突然发不出去了",
        {
            "资料能回答": True,
            "编号": 2,
            "回答": "同一号码每小时最多发送200条短信，超过后会暂停发送1小时。",
        },
    ),
    (
        f"资料：\n{_CAMERA}\n{_REAL_NAME}\n\n问题：摄像头坏了你们能上门修吗？",
        {"资料能回答": False, "编号": 0, "回答": ""},
    ),
)
_EXAMPLES_TEXT = "\n".join(f"{asked}\n{answered['回答']}" for asked, answered in CHOICE_EXAMPLES)

# Slots each business flow needs before it can be confirmed.
FLOW_SLOTS: dict[str, tuple[str, ...]] = {
    "fault_repair": ("phone", "address", "time"),
    "complaint": ("phone",),
    "plan_change": ("phone", "plan"),
    "package_order": ("phone", "plan"),
    "suspension": ("phone",),
}


def slot_questions() -> dict[str, str]:
    return {
        "phone": _("Which mobile number is this about?"),
        "address": _("What is the installation address (city, district, street and number)?"),
        "time": _("When is a good time for the engineer to come (e.g. tomorrow morning)?"),
        "plan": _("Which plan or package would you like (e.g. 5G畅享套餐)?"),
    }


def slot_labels() -> dict[str, str]:
    return {
        "phone": _("phone"),
        "address": _("address"),
        "time": _("time"),
        "plan": _("plan"),
    }


@dataclass
class Reply:
    conversation: Conversation
    customer_turn: Turn
    bot_turn: Turn | None = None
    escalated: bool = False
    ticket_id: int | None = None
    citations: list[dict] = field(default_factory=list)


# --- turns ---------------------------------------------------------------------------------


def _next_seq(conversation: Conversation) -> int:
    last = Turn.objects.filter(conversation=conversation).aggregate(m=Max("seq"))["m"]
    return (last or 0) + 1


def _turn(conversation: Conversation, role: str, text: str, **fields) -> Turn:
    fields.setdefault("dialect", conversation.dialect)
    return Turn.objects.create(
        tenant=conversation.tenant,
        conversation=conversation,
        seq=_next_seq(conversation),
        role=role,
        text=text,
        **fields,
    )


def _publish(conversation: Conversation, event: str) -> None:
    # After the commit: an agent page that refetches on the event must find the change.
    payload = {
        "type": event,
        "conversation": conversation.pk,
        "status": conversation.status,
        "dialect": conversation.dialect,
    }
    tenant_id = conversation.tenant_id
    transaction.on_commit(lambda: tenant_group_send(tenant_id, QUEUE_GROUP, payload))


# --- lifecycle -----------------------------------------------------------------------------


@transaction.atomic
def conversation_start(
    *,
    tenant: Tenant,
    channel: str = Channel.CHAT,
    subscriber=None,
    phone: str = "",
    call_id: str = "",
) -> Conversation:
    if channel not in Channel.values:
        raise ValidationError({"channel": _("The channel must be chat or voice.")})
    phone = phone or (getattr(subscriber, "phone", "") or "")
    conversation = Conversation.objects.create(
        tenant=tenant,
        channel=channel,
        subscriber=subscriber if getattr(subscriber, "pk", None) else None,
        phone=phone,
        call_id=call_id[:64],
        state={"slots": {"phone": phone} if phone else {}, "failures": 0},
    )
    _turn(
        conversation,
        TurnRole.BOT,
        _("Hello, I am the online assistant. How can I help you today?"),
        fallback=True,
    )
    return conversation


def _check_open(conversation: Conversation) -> None:
    if conversation.status == ConversationStatus.CLOSED:
        raise ValidationError(
            {"conversation": _("This conversation has ended; start a new one to continue.")}
        )


def _clean_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError({"text": _("The message is empty.")})
    if len(text) > MAX_TEXT:
        raise ValidationError(
            {"text": _("The message is longer than %(n)d characters.") % {"n": MAX_TEXT}}
        )
    return text


def conversation_message(
    *,
    conversation: Conversation,
    text: str,
    language: str | None = None,
    asr_confidence: float | None = None,
    audio_seconds: float = 0.0,
) -> Reply:
    """Records the customer's message and, while the assistant holds the chat, its reply.

    Not one transaction: the reply asks models (retrieval, the answer), which must never hold a
    transaction's row locks while they think. Each write commits on its own, so a failed answer
    still leaves the customer's message stored."""
    _check_open(conversation)
    text = _clean_text(text)
    tenant = conversation.tenant
    understood = understanding.understand(tenant, text, language)
    dialect = understood["dialect"]
    if dialect != "mandarin" or conversation.dialect == "mandarin":
        conversation.dialect = dialect
    state = conversation.state or {}
    state.setdefault("slots", {})
    state.setdefault("failures", 0)
    customer = _turn(
        conversation,
        TurnRole.CUSTOMER,
        text,
        normalized_text=understood["normalized_text"],
        dialect=dialect,
        dialect_confidence=understood["dialect_confidence"],
        intent=understood["intent"],
        intent_confidence=understood["intent_confidence"],
        sentiment=understood["sentiment"]["label"],
        sentiment_score=understood["sentiment"]["score"],
        audio_seconds=audio_seconds,
    )
    reply = Reply(conversation, customer)
    if conversation.status != ConversationStatus.BOT:
        # An agent has (or is about to take) the conversation; the assistant stays quiet.
        customer.answered = None
        customer.save(update_fields=["answered"])
        conversation.state = state
        conversation.save()
        _publish(conversation, "conversation.message")
        return reply

    normalized = understood["normalized_text"]
    intent = understood["intent"]
    new_slots = nlu.extract_slots(normalized, selectors.published_plan_names(tenant))

    if state.get("pending"):
        confirmation = nlu.confirmation(normalized)
        if confirmation is True:
            return _confirmed(reply, state)
        if confirmation is False:
            flow = state["pending"]
            state["pending"] = None
            # Whatever was wrong is asked again, the phone number included.
            state["slots"] = dict(new_slots)
            state.pop("asked", None)
            state.pop("read_by", None)
            return _ask_next_slot(reply, state, flow, prefix=_("Sorry, let us correct that."))

    reason = _escalation_reason(understood, asr_confidence)
    if reason:
        return _escalate(reply, state, reason)

    flow = state.get("flow")
    starts = _starts_flow(intent, understood["intent_confidence"], normalized)
    if starts:
        flow = state["flow"] = intent
    if flow:
        new_slots.update(_read_asked_slot(conversation, state, normalized, new_slots))
        state["slots"].update(new_slots)
        conversation.intent = flow
        kb_turn = None
        if (starts or nlu.is_question(normalized)) and not new_slots:
            # "wifi隔堵墙就没信号了": the self-help answer first (when the knowledge base has
            # one), then what the ticket needs.
            kb_turn = _kb_answer(conversation, normalized, state)
        return _ask_next_slot(reply, state, flow, kb=kb_turn)

    if intent == "greeting" and len(normalized) <= 6:
        customer.answered = True
        customer.save(update_fields=["answered"])
        conversation.state = state
        conversation.save()
        reply.bot_turn = _turn(
            conversation,
            TurnRole.BOT,
            _("Hello! Ask me about plans, bills, data, broadband, roaming or repairs."),
            fallback=True,
        )
        return reply

    if intent not in ("unknown", "greeting"):
        conversation.intent = intent
    answer = _kb_answer(conversation, normalized, state)
    if (
        answer is None
        and intent in PROBLEM_FLOWS
        and understood["intent_confidence"] >= FLOW_MIN_CONFIDENCE
    ):
        # "宽带没网了怎么办" and the knowledge base has no self-help for it: the ticket is the
        # answer, not "I could not find an answer".
        state["flow"] = intent
        state["slots"].update(new_slots)
        return _ask_next_slot(
            reply,
            state,
            intent,
            prefix=_("I found no answer to that, but I can open a ticket for you."),
        )
    if answer is None:
        state["failures"] = state.get("failures", 0) + 1
        customer.answered = False
        customer.save(update_fields=["answered"])
        if state["failures"] >= FAILURES_BEFORE_HANDOFF:
            return _escalate(reply, state, EscalationReason.REPEATED_FAILURE)
        conversation.state = state
        conversation.save()
        reply.bot_turn = _turn(
            conversation,
            TurnRole.BOT,
            _(
                "Sorry, I could not find an answer to that. Could you say it another way, "
                "or say “human agent” to talk to a person?"
            ),
            fallback=True,
        )
        return reply
    state["failures"] = 0
    customer.answered = True
    customer.save(update_fields=["answered"])
    conversation.state = state
    conversation.save()
    reply.bot_turn = answer
    reply.citations = answer.citations
    return reply


def _read_asked_slot(
    conversation: Conversation, state: dict, text: str, found: dict[str, str]
) -> dict[str, str]:
    """The slot just asked for, when the rules did not find it in the answer: read by the
    language model from everyday words ("10GB的那个"), or, once it has been asked twice, the
    customer's own words (they confirm every slot before a ticket is filed, and asking a third
    time is how a dialogue loses a customer)."""
    asking = state.get("asking")
    if not asking or asking in found or nlu.is_question(text):
        return {}
    if asking not in slot_reading.READABLE:
        return {}
    read = slot_reading.read_slot(
        gateway.Caller(tenant=conversation.tenant, user=conversation.subscriber),
        slot=asking,
        question=slot_questions()[asking],
        answer=text,
        offers=selectors.offer_names(conversation.tenant) if asking == "plan" else [],
    )
    if read:
        value, model = read
        state.setdefault("read_by", {})[asking] = model
        return {asking: value}
    if state.get("asked", {}).get(asking, 0) >= 2 and len(text) <= slot_reading.MAX_VALUE:
        state.setdefault("read_by", {})[asking] = "verbatim"
        return {asking: text.strip(" 。，,.！!")}
    return {}


def _starts_flow(intent: str, confidence: float, text: str) -> bool:
    """Whether the message asks for the business to be done. A question about it
    ("千兆宽带安装要多久", "师傅上门修网要给钱吗") is answered from the knowledge base instead:
    a ticket nobody asked for is worse than one more message."""
    if intent not in FLOW_SLOTS or confidence < FLOW_MIN_CONFIDENCE:
        return False
    return nlu.wants_action(text) or not nlu.is_question(text)


def _escalation_reason(understood: dict, asr_confidence: float | None) -> str:
    if understood["intent"] == "human_agent":
        return EscalationReason.EXPLICIT
    if understood["angry"]:
        return EscalationReason.ANGER
    if asr_confidence is not None and asr_confidence < LOW_ASR_CONFIDENCE:
        return EscalationReason.LOW_CONFIDENCE
    return ""


def _kb_answer(conversation: Conversation, question: str, state: dict) -> Turn | None:
    """A grounded answer with citations, or None when the knowledge base has nothing relevant.

    With a language model the best passages go to it whatever words they share with the
    question (it reads paraphrases; it says NO_ANSWER when they do not answer). The extractive
    fallback cannot tell, so it only gets hits that share words with the question."""
    tenant = conversation.tenant
    if gateway.language_model_configured(tenant):
        # A short follow-up ("那一天要多少钱") is searched with what the subscriber said before.
        query = understanding.search_query(question, _earlier_questions(conversation))
        hits = knowledge.search_for_model(tenant, query, k=MODEL_PASSAGES)
    else:
        hits, _vectors = knowledge.search(tenant, question, k=KB_PASSAGES)
        hits = [h for h in hits if knowledge.relevant(h)]
    if not hits:
        return None
    articles = {
        a.pk: a for a in KbArticle.objects.for_tenant(tenant).filter(pk__in=[h.id for h in hits])
    }
    passages = [
        Passage(
            id=str(h.id),
            text=f"{h.title}：{articles[h.id].body}",
            source=f"KB-{h.id} {h.title}",
            score=h.score,
        )
        for h in hits
        if h.id in articles
    ]
    history = [
        ChatMessage(
            role="user" if t.role == TurnRole.CUSTOMER else "assistant",
            content=t.normalized_text or t.text,
        )
        for t in Turn.objects.filter(conversation=conversation)
        .exclude(role=TurnRole.SYSTEM)
        # The canned greeting before the first question is not context (and is in the UI's
        # language, which would steer the model's).
        .filter(seq__gte=_first_customer_seq(conversation))
        .order_by("-seq")[1:5]
        # A refused message must not poison every later question of the conversation.
        if not _refused(t.normalized_text or t.text)
    ][::-1]
    model = gateway.language_model_configured(tenant)
    examples = [
        message
        for asked, answered in (CHOICE_EXAMPLES if model else ())
        for message in (
            ChatMessage(role="user", content=asked),
            ChatMessage(role="assistant", content=json.dumps(answered, ensure_ascii=False)),
        )
    ]
    messages = [
        ChatMessage(role="system", content=KB_SYSTEM + (CHOICE_RULES if model else "")),
        *examples,
        *history,
        ChatMessage(role="user", content=question),
    ]
    caller = gateway.Caller(tenant=tenant, user=conversation.subscriber)
    try:
        served = gateway.chat(
            caller,
            messages,
            passages=passages,
            max_tokens=KB_ANSWER_TOKENS,
            temperature=0.0,
            response_format=_choice_format(len(passages)) if model else None,
        )
    except ContentBlocked:
        return _turn(
            conversation,
            TurnRole.BOT,
            _(
                "I can only help with questions about our services, such as plans, bills, "
                "broadband and repairs."
            ),
            fallback=True,
        )
    except AiError as exc:
        logger.warning("chat failed for conversation %s: %s", conversation.pk, exc)
        relevant = [h for h in hits if knowledge.relevant(h)]
        if not relevant:
            return None
        best = relevant[0]
        text = _("(Knowledge-base extract; the answering model is unavailable.)") + (
            f"\n{best.snippet}[1]"
        )
        return _turn(
            conversation,
            TurnRole.BOT,
            text,
            citations=[{"id": best.id, "title": best.title}],
            fallback=True,
        )
    result = served.value
    if served.info.generative and model and result.finish_reason != "content_filter":
        chosen = _chosen_answer(result.text, passages)
        if chosen is None or _off_the_question(tenant, query, chosen[1]):
            # The model's refusal stands: a lexical extract offered after it answered wrong
            # three times for every time it answered right (bench/kb_answers.py).
            return None
        passage, answer = chosen
        # The number a small model picks is checked against what its answer says, like any
        # [n] marker: the reader is sent to the passage the answer really quotes.
        used = supporting(f"{answer}[{passages.index(passage) + 1}]", passages)
        return _turn(
            conversation,
            TurnRole.BOT,
            answer + "".join(f"[{n}]" for n in range(1, len(used) + 1)),
            citations=_citations(used),
            fallback=served.info.fallback,
            model=served.info.model,
        )
    if served.info.generative and (NO_ANSWER in result.text or not _said_something(result.text)):
        return None
    if not served.info.generative and (not result.citations or not knowledge.relevant(hits[0])):
        # The extractive answerer found nothing worth quoting: that is not an answer.
        return None
    # Only the sources the answer draws on (suite.ai.citations checked the markers): an
    # answer that quotes no passage is shown without a source rather than with a wrong one.
    used = [p for source in result.citations for p in passages if p.source == source]
    return _turn(
        conversation,
        TurnRole.BOT,
        _renumbered(result.text, passages, used),
        citations=_citations(used),
        fallback=served.info.fallback or not served.info.generative,
        model=served.info.model if served.info.generative else "",
    )


def _earlier_questions(conversation: Conversation) -> list[str]:
    """What the subscriber said just before this question (the latest customer turn); refused
    messages left out."""
    said = (
        Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER)
        .order_by("-seq")
        .values_list("normalized_text", "text")[1:2]
    )
    return [text for normal, raw in said if not _refused(text := normal or raw)]


def _choice_format(count: int) -> dict:
    """The model names the passage that answers before it writes the answer (0: none), so a
    small model decides on its source first and cannot cite one it did not use."""
    return {
        "type": "json_schema",
        "json_schema": {
            "name": "kb_answer",
            "schema": {
                "type": "object",
                "properties": {
                    "资料能回答": {"type": "boolean"},
                    "编号": {"type": "integer", "enum": list(range(count + 1))},
                    "回答": {"type": "string"},
                },
                "required": ["资料能回答", "编号", "回答"],
            },
        },
    }


def _chosen_answer(text: str, passages: list[Passage]) -> tuple[Passage, str] | None:
    """(passage, answer) from the model's JSON, or None when it chose none, said nothing,
    stated a code or number no passage holds, or answered from the worked examples."""
    try:
        data = json.loads(text)
        number, answer = int(data["编号"]), str(data["回答"])
    except (ValueError, TypeError, KeyError):
        return None
    if data.get("资料能回答") is False:
        return None
    answer = CITATION.sub("", answer).strip()
    if not 1 <= number <= len(passages) or NO_ANSWER in answer or not _said_something(answer):
        return None
    if ungrounded_anchors(answer, passages):
        return None
    drawn_on = max(bigram_share(answer, p.text) for p in passages)
    if bigram_share(answer, _EXAMPLES_TEXT) > drawn_on:
        return None  # "看家摄像头每月15元…" for a question about cloud storage
    return passages[number - 1], answer


def _off_the_question(tenant: Tenant, question: str, answer: str) -> bool:
    """A small model given close passages often answers a neighbouring article's question
    ("欠费停机超过90天…销户" for what calls over the plan cost): such an answer is further in
    meaning from the question than a right one, so below the threshold it is a refusal."""
    threshold = settings.CUSTOMER_SERVICE_ANSWER_MIN_RELEVANCE
    if threshold <= 0:
        return False
    relevance = knowledge.answer_relevance(tenant, question, answer)
    return relevance is not None and relevance < threshold


def _citations(used: list[Passage]) -> list[dict]:
    # Passage sources are "KB-<id> <title>" (see _kb_answer).
    return [{"id": int(p.id), "title": p.source.split(" ", 1)[1]} for p in used]


def _renumbered(text: str, passages: list[Passage], used: list[Passage]) -> str:
    """[n] markers point into the prompt's passages; the reader sees only the sources the answer
    draws on, so "[3]" becomes the number of that source in the list under the answer. A marker
    the citation check overruled points to the one source when there is only one."""

    def number(match: re.Match) -> str:
        n = int(match.group(1))
        if 1 <= n <= len(passages) and passages[n - 1] in used:
            return f"[{used.index(passages[n - 1]) + 1}]"
        return "[1]" if len(used) == 1 else ""

    return CITATION.sub(number, text)


def _first_customer_seq(conversation: Conversation) -> int:
    seqs = Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER)
    return seqs.order_by("seq").values_list("seq", flat=True).first() or 0


def _said_something(text: str) -> bool:
    # Small models sometimes answer with a bare citation ("[1]"): that is not an answer.
    return bool(CITATION.sub("", text).strip(" 。，,.\n"))


def _refused(text: str) -> bool:
    try:
        gateway.check_injection(text)
    except ContentBlocked:
        return True
    return False


def _missing(flow: str, slots: dict) -> list[str]:
    return [s for s in FLOW_SLOTS[flow] if not slots.get(s)]


def _ask_next_slot(
    reply: Reply, state: dict, flow: str, prefix: str = "", kb: Turn | None = None
) -> Reply:
    conversation = reply.conversation
    reply.customer_turn.answered = True
    reply.customer_turn.save(update_fields=["answered"])
    missing = _missing(flow, state["slots"])
    if missing:
        question = slot_questions()[missing[0]]
        state["asking"] = missing[0]
        asked = state.setdefault("asked", {})
        asked[missing[0]] = asked.get(missing[0], 0) + 1
        text = f"{prefix} {question}".strip()
    else:
        state["asking"] = None
        state["pending"] = flow
        labels = slot_labels()
        listed = _("; ").join(
            _("%(label)s: %(value)s")
            % {
                "label": labels[s],
                "value": mask_phone(state["slots"][s]) if s == "phone" else state["slots"][s],
            }
            for s in FLOW_SLOTS[flow]
        )
        text = _("Please confirm: %(details)s. Is that right? (yes / no)") % {"details": listed}
    conversation.state = state
    conversation.save()
    if kb is not None:
        reply.citations = kb.citations
    reply.bot_turn = _turn(conversation, TurnRole.BOT, text, fallback=True)
    return reply


def _confirmed(reply: Reply, state: dict) -> Reply:
    conversation = reply.conversation
    flow = state.pop("pending")
    slots = state["slots"]
    customer_lines = list(
        Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER).values_list(
            "normalized_text", flat=True
        )
    )
    prefill = summarize(
        conversation.tenant, customer_lines, slots=slots, intent=flow, dialect=conversation.dialect
    )
    ticket = ticket_create(
        tenant=conversation.tenant,
        type=INTENT_TICKET_TYPE[flow],
        summary=prefill["summary"],
        priority=prefill["ticket"]["priority"],
        category=prefill["ticket"]["category"],
        phone=slots.get("phone", ""),
        address=slots.get("address", ""),
        conversation=conversation,
        call_id=conversation.call_id,  # filed during a call: the recording is one click away
    )
    state["flow"] = None
    state["slots"] = {k: v for k, v in slots.items() if k == "phone"}
    state.pop("asked", None)
    state.pop("read_by", None)
    state["failures"] = 0
    state.setdefault("tickets", []).append(ticket.pk)
    reply.customer_turn.answered = True
    reply.customer_turn.save(update_fields=["answered"])
    conversation.state = state
    conversation.save()
    reply.ticket_id = ticket.pk
    reply.bot_turn = _turn(
        conversation,
        TurnRole.BOT,
        _(
            "Done. Ticket %(number)s has been created; we will handle it by %(due)s. "
            "You can follow it under “My tickets”."
        )
        % {
            "number": ticket.number,
            "due": timezone.localtime(ticket.sla_due).strftime("%Y-%m-%d %H:%M"),
        },
        fallback=True,
    )
    return reply


def _escalate(reply: Reply, state: dict, reason: str) -> Reply:
    conversation = reply.conversation
    reply.customer_turn.answered = reason != EscalationReason.REPEATED_FAILURE
    reply.customer_turn.save(update_fields=["answered"])
    conversation.state = state
    conversation_escalate(conversation=conversation, reason=reason)
    reply.escalated = True
    reply.bot_turn = Turn.objects.filter(conversation=conversation).order_by("-seq").first()
    return reply


@transaction.atomic
def conversation_escalate(*, conversation: Conversation, reason: str) -> Conversation:
    _check_open(conversation)
    messages: dict[str, str] = {
        EscalationReason.EXPLICIT: _("Of course. I am transferring you to a human agent."),
        EscalationReason.ANGER: _(
            "I am sorry for the trouble. I am transferring you to a human agent right away."
        ),
        EscalationReason.REPEATED_FAILURE: _(
            "I could not answer that, so I am transferring you to a human agent."
        ),
        EscalationReason.LOW_CONFIDENCE: _(
            "I did not hear that clearly, so I am transferring you to a human agent."
        ),
    }
    # Assist mode is a way a call is taken, not a reason to queue a conversation.
    if reason not in messages:
        raise ValidationError({"reason": _("Unknown escalation reason.")})
    if conversation.status in (ConversationStatus.QUEUED, ConversationStatus.AGENT):
        return conversation
    conversation.status = ConversationStatus.QUEUED
    conversation.escalation_reason = reason
    conversation.queued_at = timezone.now()
    conversation.save()
    text = messages[reason]
    if conversation.dialect != "mandarin":
        text += " " + _("An agent who speaks %(dialect)s will take over.") % {
            "dialect": conversation.get_dialect_display()
        }
    _turn(conversation, TurnRole.BOT, text, fallback=True)
    _publish(conversation, "conversation.queued")
    return conversation


@transaction.atomic
def conversation_accept(*, conversation: Conversation, agent) -> Conversation:
    if conversation.status != ConversationStatus.QUEUED:
        raise ValidationError({"conversation": _("This conversation is not waiting in the queue.")})
    conversation.status = ConversationStatus.AGENT
    conversation.agent = agent
    conversation.save()
    _turn(
        conversation,
        TurnRole.SYSTEM,
        _("Agent %(name)s has joined the conversation.") % {"name": str(agent)},
    )
    _publish(conversation, "conversation.accepted")
    return conversation


@transaction.atomic
def conversation_agent_reply(*, conversation: Conversation, agent, text: str) -> Turn:
    _check_open(conversation)
    text = _clean_text(text)
    if conversation.status != ConversationStatus.AGENT or conversation.agent_id != agent.pk:
        raise ValidationError({"conversation": _("Accept the conversation before replying.")})
    turn = _turn(conversation, TurnRole.AGENT, text)
    _publish(conversation, "conversation.message")
    return turn


def _summary(conversation: Conversation, escalation_reason: str) -> dict:
    """The after-conversation summary and ticket prefill, from the customer's turns (by the
    tenant's language model when it has one: call outside a transaction)."""
    lines = list(
        Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER).values_list(
            "normalized_text", flat=True
        )
    )
    outcome = ""
    if escalation_reason:
        outcome = _("Handed to an agent: %(reason)s.") % {
            "reason": EscalationReason(escalation_reason).label
        }
    return summarize(
        conversation.tenant,
        lines,
        slots=(conversation.state or {}).get("slots"),
        intent=conversation.intent,
        dialect=conversation.dialect,
        outcome=outcome,
    )


def conversation_close(*, conversation: Conversation, user=None) -> Conversation:
    """Ends the conversation, writes the summary and asks for a satisfaction rating."""
    _check_open(conversation)
    result = _summary(conversation, conversation.escalation_reason)  # may ask a model
    with transaction.atomic():
        return _closed(conversation, result)


def _closed(conversation: Conversation, result: dict) -> Conversation:
    conversation.summary = result["summary"]
    conversation.status = ConversationStatus.CLOSED
    conversation.closed_at = timezone.now()
    state = conversation.state or {}
    state["prefill"] = result["ticket"]
    state["summary_model"] = result.get("model", "")
    state["awaiting_survey"] = True
    conversation.state = state
    conversation.save()
    _turn(
        conversation,
        TurnRole.SYSTEM,
        _("The conversation has ended. How satisfied were you, from 1 (poor) to 5 (excellent)?"),
    )
    _publish(conversation, "conversation.closed")
    return conversation


@transaction.atomic
def conversation_rate(*, conversation: Conversation, score: int, comment: str = "") -> Conversation:
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": _("The rating must be a whole number from 1 to 5.")})
    if conversation.status != ConversationStatus.CLOSED:
        raise ValidationError({"score": _("The survey opens when the conversation has ended.")})
    if conversation.satisfaction is not None:
        raise ValidationError({"score": _("This conversation has already been rated.")})
    conversation.satisfaction = score
    conversation.satisfaction_comment = (comment or "").strip()[:500]
    state = conversation.state or {}
    state["awaiting_survey"] = False
    conversation.state = state
    conversation.save()
    return conversation


@transaction.atomic
def ticket_from_conversation(
    *, conversation: Conversation, user=None, **fields
) -> tuple[Ticket, dict]:
    """The agent confirms (and may edit) the pre-filled ticket of a conversation."""
    state = conversation.state or {}
    prefill = dict(state.get("prefill") or {})
    if not prefill:
        lines = list(
            Turn.objects.filter(conversation=conversation, role=TurnRole.CUSTOMER).values_list(
                "normalized_text", flat=True
            )
        )
        prefill = summarize_lines(lines, slots=state.get("slots"), intent=conversation.intent)[
            "ticket"
        ]
    prefill.update({k: v for k, v in fields.items() if v not in (None, "")})
    ticket = ticket_create(
        tenant=conversation.tenant,
        type=prefill.get("type", "consultation"),
        summary=prefill.get("summary", ""),
        priority=prefill.get("priority", "normal"),
        category=prefill.get("category", ""),
        phone=prefill.get("phone", ""),
        address=prefill.get("address", ""),
        conversation=conversation,
        user=user,
    )
    return ticket, prefill


@transaction.atomic
def article_draft_from_question(*, tenant: Tenant, question: str, user=None) -> KbArticle:
    """One click from "top unanswered questions": a draft article titled with the question."""
    question = _clean_text(question)[:200]
    article = article_create(
        tenant=tenant,
        title=question,
        body=_("(Draft) Customers asked: “%(q)s”. Write the answer here.") % {"q": question},
        category=_("Unanswered questions"),
        status=ArticleStatus.DRAFT,
        source=ArticleSource.UNANSWERED,
        user=user,
    )
    audit_record(
        action="customer_service.article_draft",
        tenant=tenant,
        actor=user if getattr(user, "pk", None) else None,
        obj=article,
    )
    return article
