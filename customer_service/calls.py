"""Customer service on a live call: each final utterance goes through agent assist, the result
is stored on the utterance and streamed to the agent desktop (tenant-scoped WebSocket group).
With spoken replies on, the assistant holds the call as it holds a chat: the same dialogue
(knowledge-base answers, slots, confirmation, a ticket, a handoff) answers, and its reply is
spoken back into the call.

The wire protocols, transcription and resume are the suite's (suite/telephony); this module is
the product's `CallHandler`, mounted in routing.py.
"""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.streams import StreamEvent
from suite.privacy import mask_text
from suite.realtime.publish import tenant_group_send
from suite.telephony.handlers import CallHandler, Turn
from suite.telephony.models import Call, CallUtterance
from suite.telephony.selectors import call_summary, call_utterances, calls_active
from suite.telephony.services import call_utterance_annotate
from suite.tenancy.models import Tenant

from .assist import assist_utterance, model_passage_ids
from .models import ConversationStatus, EscalationReason, TurnRole
from .nlu import ANGER_THRESHOLD
from .selectors import asr_prompt as tenant_asr_prompt
from .selectors import turns as conversation_turns
from .services import dialogue, voice
from .services.assist_replies import (
    CONTEXT_TURNS,
    conversation_lines,
    replies_generate,
    template_replies,
)
from .speech import speakable

PRODUCT = "customer_service"
logger = logging.getLogger("customer_service.calls")
# The agent desktop's group, per tenant (suite.realtime.publish.group_name adds the tenant).
CALLS_GROUP = "cs.calls"
# How many earlier caller utterances assist sees for context.
HISTORY = 3


@dataclass
class CallAnswer:
    spoken: str
    events: list[dict]


def publish(call: Call, event: dict) -> None:
    tenant_group_send(call.tenant_id, CALLS_GROUP, {**event, "call_id": str(call.id)})


class CustomerServiceCallHandler(CallHandler):
    product = PRODUCT
    # Set by on_start; None when it never completed (the database refused it), and the end of
    # such a call must still be handled.
    conversation = None

    def asr_prompt(self) -> str | None:
        return tenant_asr_prompt(self.call.tenant)

    def on_start(self, *, resumed: bool) -> None:
        # The call is also a voice conversation, so analytics and tickets cover calls too.
        self.conversation = voice.conversation_for_call(
            tenant=self.call.tenant, call_id=str(self.call.id), phone=self.call.caller_number
        )
        publish(
            self.call,
            {
                "type": "call.resumed" if resumed else "call.started",
                "call": call_summary(self.call),
            },
        )

    def on_partial(self, event: StreamEvent, *, index: int) -> None:
        publish(
            self.call,
            {
                "type": "call.transcript",
                "final": False,
                "utterance": index,
                "text": mask_text(event.text),
            },
        )

    def on_final(self, utterance: CallUtterance, event: StreamEvent) -> Turn:
        history = [
            u.text for u in call_utterances(call=self.call).filter(index__lt=utterance.index)
        ][-HISTORY:]
        result = assist_utterance(
            tenant=self.call.tenant,
            text=utterance.text,
            language=self.call.language or None,
            history=history,
        )
        sentiment = result.get("sentiment") or {}
        angry = float(sentiment.get("score", 0.0)) <= ANGER_THRESHOLD
        call_utterance_annotate(
            utterance=utterance,
            dialect=result["dialect"],
            dialect_confidence=result["dialect_confidence"],
            intent=result["intent"],
            sentiment=sentiment.get("label", ""),
            details={
                "normalized_text": result["normalized_text"],
                "intent_confidence": result["intent_confidence"],
                "sentiment_score": sentiment.get("score", 0.0),
                "suggestions": result["suggestions"],
                "replies": result["replies"],
                "knowledge_hits": result["knowledge_hits"],
                "fallback": result["fallback"],
            },
        )
        audio_seconds = max(0.0, utterance.end_s - utterance.start_s)
        answer = None
        if self.call.speak_replies:
            answer = self._dialogue(utterance, audio_seconds)
        else:
            # An agent talks to the caller: the turn is recorded with what assist made of it.
            self._record(
                voice.conversation_add_call_turn,
                conversation=self.conversation,
                text=utterance.text,
                normalized_text=result["normalized_text"],
                dialect=result["dialect"],
                dialect_confidence=result["dialect_confidence"],
                intent=result["intent"],
                intent_confidence=result["intent_confidence"],
                sentiment=sentiment.get("label", ""),
                sentiment_score=float(sentiment.get("score", 0.0)),
                answered=bool(result["knowledge_hits"]),
                fallback=result["fallback"],
                audio_seconds=audio_seconds,
            )
        assist = {
            "utterance": utterance.index,
            "text": mask_text(utterance.text),
            "dialect": result["dialect"],
            "dialect_confidence": result["dialect_confidence"],
            "normalized_text": mask_text(result["normalized_text"]),
            "intent": result["intent"],
            "intent_confidence": result["intent_confidence"],
            "sentiment": sentiment,
            "suggestions": result["suggestions"],
            "replies": result["replies"],
            "knowledge_hits": result["knowledge_hits"],
            # Rule- and retrieval-based, no language model: labelled as such everywhere.
            "fallback": result["fallback"],
            # The model's replies follow as a second event for this utterance (a model call
            # takes seconds; the templates above must not wait for it), for an agent on the
            # call only: while the assistant speaks, its own answer is the model's work.
            "generating": bool(result["normalized_text"])
            and self._agent_on_call()
            and gateway.language_model_configured(self.call.tenant),
        }
        publish(self.call, {"type": "call.transcript", "final": True, **assist})
        if angry:
            publish(
                self.call,
                {
                    "type": "call.alert",
                    "utterance": utterance.index,
                    "kind": "sentiment",
                    "message": _("The caller sounds upset: consider taking over or apologising."),
                    "score": sentiment.get("score", 0.0),
                },
            )
        events = [{"type": "assist", **assist}]
        if answer is None:
            # No conversation to hold the dialogue (its record failed): the top suggestion.
            reply = result["suggestions"][0] if result["suggestions"] else ""
        else:
            reply = answer.spoken
            events += answer.events
        later = None
        if assist["generating"]:
            later = functools.partial(
                self._generated_replies,
                utterance,
                self._recent_turns(history, result["normalized_text"]),
                result,
                history,
            )
        # The tenant's default voice for the caller's dialect speaks (Cantonese has its own).
        return Turn(
            events=events,
            reply=reply,
            dialect=result["dialect"],
            later=later,
        )

    def _dialogue(self, utterance: CallUtterance, audio_seconds: float) -> CallAnswer | None:
        """The chat's dialogue on the caller's words: what the assistant says back (every
        reply of the turn, as speech), and the platform's handoff event when it hands over."""
        if self.conversation is None:
            return None
        try:
            answered = dialogue.conversation_message(
                conversation=self.conversation,
                text=utterance.text,
                language=self.call.language or None,
                audio_seconds=audio_seconds,
            )
        except ValidationError as exc:
            logger.warning("call %s: the dialogue refused the turn: %s", self.call.id, exc)
            return None
        said = conversation_turns(self.conversation).filter(
            role=TurnRole.BOT, seq__gt=answered.customer_turn.seq
        )
        spoken = " ".join(filter(None, (speakable(t.text) for t in said)))
        events: list[dict] = []
        if answered.escalated:
            reason = self.conversation.escalation_reason
            # The platform transfers the call; the desk is told who is coming and why.
            events.append({"type": "handoff", "reason": reason})
            publish(
                self.call,
                {
                    "type": "call.alert",
                    "utterance": utterance.index,
                    "kind": "handoff",
                    "message": _("The assistant is handing this caller to an agent."),
                    "reason": reason,
                },
            )
        if answered.ticket_id is not None:
            events.append({"type": "ticket", "ticket_id": answered.ticket_id})
        return CallAnswer(spoken=spoken, events=events)

    def _agent_on_call(self) -> bool:
        if not self.call.speak_replies:
            return True
        status = getattr(self.conversation, "status", None)
        return status in (ConversationStatus.QUEUED, ConversationStatus.AGENT)

    def _recent_turns(self, history: list[str], text: str) -> list[tuple[str, str]]:
        """What the model reads: the call's conversation (caller and spoken bot turns, the
        utterance just recorded last), or the caller's earlier utterances without one."""
        if self.conversation is not None:
            recorded = conversation_lines(
                reversed(conversation_turns(self.conversation).order_by("-seq")[:CONTEXT_TURNS])
            )
            if recorded:
                return recorded
        return [(TurnRole.CUSTOMER, t) for t in [*history, text]]

    def _generated_replies(
        self, utterance: CallUtterance, turns: list, result: dict, history: list[str]
    ) -> list[dict]:
        """The second pass for one utterance (a worker thread, no transaction): the model's
        replies, stored with the utterance and sent to the desk; the templates stay after them
        as the labelled fallback. Without usable replies the desk is told so."""
        tenant = self.call.tenant
        generated = replies_generate(
            tenant=tenant,
            turns=turns,
            hit_ids=model_passage_ids(tenant, result, history),
        )
        templates = result["replies"]
        event: dict = {
            "utterance": utterance.index,
            "replies": templates,
            "generated": False,
            "model": "",
        }
        if generated is not None:
            payload = generated.as_dict()
            event = {
                **event,
                "replies": payload["replies"] + templates,
                "generated": True,
                "model": generated.model,
                "dropped": generated.dropped,
            }
            call_utterance_annotate(
                utterance=utterance,
                dialect=utterance.dialect,
                dialect_confidence=utterance.dialect_confidence,
                intent=utterance.intent,
                sentiment=utterance.sentiment,
                details={**(utterance.details or {}), "replies": event["replies"]},
            )
        publish(self.call, {"type": "call.assist_replies", **event})
        return [{"type": "assist_replies", **event}]

    def _record(self, write, **fields) -> None:
        """The conversation record must not cost the caller the call: a call resumed after its
        conversation was closed (dropped past the resume window) keeps going unrecorded."""
        if self.conversation is None:
            logger.warning("call %s: no conversation to record into", self.call.id)
            return
        try:
            write(**fields)
        except ValidationError as exc:
            logger.warning("call %s: not recorded as a conversation: %s", self.call.id, exc)

    def on_barge_in(self) -> None:
        publish(self.call, {"type": "call.barge_in"})

    def on_reply_spoken(self, text: str, info: dict) -> None:
        # The dialogue stored the reply as the conversation's bot turn when it wrote it.
        publish(self.call, {"type": "call.bot_reply", "text": text, **info})

    def on_end(self, *, dropped: bool) -> None:
        # Without spoken replies an agent talked to the caller: the call was not contained.
        # With them, it was unless the dialogue handed the caller over (its reason stays).
        if self.call.speak_replies:
            reason = self.conversation.escalation_reason if self.conversation else ""
        else:
            reason = EscalationReason.AGENT_ASSISTED
        self._record(
            voice.conversation_close_call,
            conversation=self.conversation,
            handed_to_agent=bool(reason),
            escalation_reason=reason,
        )
        publish(
            self.call, {"type": "call.ended", "dropped": dropped, "call": call_summary(self.call)}
        )


def _utterance_view(utterance: CallUtterance) -> dict:
    details = utterance.details or {}
    return {
        "utterance": utterance.index,
        "text": mask_text(utterance.text),
        "dialect": utterance.dialect,
        "dialect_confidence": utterance.dialect_confidence,
        "intent": utterance.intent,
        "sentiment": {"label": utterance.sentiment, "score": details.get("sentiment_score", 0.0)},
        "suggestions": details.get("suggestions", []),
        "replies": details.get("replies")
        or template_replies(details.get("suggestions", []), details.get("knowledge_hits", [])),
        "knowledge_hits": details.get("knowledge_hits", []),
        "fallback": details.get("fallback", True),
    }


def live_call_state(*, tenant: Tenant, call: Call | None) -> dict:
    """What the live-call page starts from (and re-reads after a missed event): the tenant's
    active calls and, for the chosen call, its stored turns. Phone numbers are masked."""
    active = [call_summary(c) for c in calls_active(tenant=tenant, product=PRODUCT)[:50]]
    state: dict = {"calls": active, "call": None, "utterances": []}
    if call is not None:
        state["call"] = call_summary(call)
        state["utterances"] = [_utterance_view(u) for u in call_utterances(call=call)]
    return state
