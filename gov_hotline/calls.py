"""12345 on a live call: each final utterance is published to the agent desk of the call's
tenant with a running draft of the work order (the drafting service on the transcript so far);
when the call ends its transcript and draft are kept as an intake the agent confirms on the
intake page, exactly as for an uploaded recording.

The wire protocols, transcription and resume are the suite's (suite/telephony); this module is
the product's `CallHandler`, mounted in routing.py.
"""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError
from django.urls import reverse

from suite.ai.errors import AiError
from suite.ai.streams import StreamEvent
from suite.privacy import mask_text
from suite.realtime.publish import tenant_group_send
from suite.telephony.handlers import CallHandler, Turn
from suite.telephony.models import Call, CallUtterance
from suite.telephony.selectors import call_summary, call_utterances, calls_recent
from suite.tenancy.models import Tenant

from .drafting import draft_build
from .intake import call_intake_save
from .models import RecordingIntake
from .selectors import asr_prompt as tenant_asr_prompt

PRODUCT = "gov_hotline"
logger = logging.getLogger("gov_hotline.calls")
# The hotline agent desk's group, per tenant (suite.realtime.publish.group_name adds the tenant).
CALLS_GROUP = "hotline.calls"


def desk_draft(draft: dict) -> dict:
    """The draft as the desk shows it: free text masked (the contact phone already is)."""
    shown = dict(draft)
    shown["summary"] = mask_text(draft.get("summary", ""))
    shown["address"] = mask_text(draft.get("address", ""))
    shown["evidence"] = {k: mask_text(v) for k, v in (draft.get("evidence") or {}).items()}
    return shown


def publish(call: Call, event: dict) -> None:
    tenant_group_send(call.tenant_id, CALLS_GROUP, {**event, "call_id": str(call.id)})


class HotlineCallHandler(CallHandler):
    product = PRODUCT

    def asr_prompt(self) -> str | None:
        return tenant_asr_prompt(self.call.tenant)

    def on_start(self, *, resumed: bool) -> None:
        self.draft: dict = {}
        self.drafted_text = ""
        kind = "call.resumed" if resumed else "call.started"
        publish(self.call, {"type": kind, "call": call_summary(self.call)})

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

    def _transcript(self) -> tuple[str, list[dict]]:
        utterances = list(call_utterances(call=self.call))
        segments: list[dict] = [
            {"start": round(u.start_s, 2), "end": round(u.end_s, 2), "text": u.text}
            for u in utterances
            if u.text.strip()
        ]
        return "\n".join(seg["text"] for seg in segments), segments

    def _redraft(self, text: str) -> dict | None:
        """The draft of the transcript so far; None (and the reason published) when the words so
        far cannot be drafted yet ("嗯"), which is normal early in a call."""
        if text == self.drafted_text:
            return self.draft
        try:
            draft = draft_build(caller=self.caller, text=text)
        except ValidationError as exc:
            publish(self.call, {"type": "call.draft", "draft": None, "error": _first(exc)})
            return None
        except AiError as exc:
            publish(self.call, {"type": "call.draft", "draft": None, "error": str(exc)})
            return None
        self.draft, self.drafted_text = draft, text
        return draft

    def on_final(self, utterance: CallUtterance, event: StreamEvent) -> Turn | None:
        publish(
            self.call,
            {
                "type": "call.transcript",
                "final": True,
                "utterance": utterance.index,
                "text": mask_text(utterance.text),
            },
        )
        text, _segments = self._transcript()
        draft = self._redraft(text) if text else None
        if draft is not None:
            publish(
                self.call,
                {"type": "call.draft", "utterance": utterance.index, "draft": desk_draft(draft)},
            )
        return None

    def on_end(self, *, dropped: bool) -> None:
        text, segments = self._transcript()
        draft = self._redraft(text) if text else None
        intake = call_intake_save(call=self.call, text=text, transcript=segments, draft=draft or {})
        publish(
            self.call,
            {
                "type": "call.ended",
                "dropped": dropped,
                "call": call_summary(self.call),
                "intake": {
                    "id": intake.pk,
                    "url": reverse("gov_hotline:intake_recording", args=[intake.pk]),
                    "ready": bool(intake.draft),
                },
            },
        )


def _first(exc: ValidationError) -> str:
    messages = exc.messages
    return messages[0] if messages else str(exc)


def _intake_view(intake: RecordingIntake | None) -> dict | None:
    if intake is None:
        return None
    return {
        "id": intake.pk,
        "url": reverse("gov_hotline:intake_recording", args=[intake.pk]),
        "ready": bool(intake.draft),
        "confirmed": intake.order_id is not None,
    }


def live_calls_state(*, tenant: Tenant, call: Call | None = None, limit: int = 20) -> dict:
    """What the live-calls page starts from and re-reads after a missed event: the tenant's
    recent calls of this product with their (masked) utterances, the last draft an ended call
    left, its intake link, and the ended calls whose intake no order confirms yet."""
    if call is not None:
        calls = [call]
    else:
        calls = list(calls_recent(tenant=tenant, product=PRODUCT, limit=limit))
    intakes = {
        i.call_id: i
        for i in RecordingIntake.objects.for_tenant(tenant).filter(call__in=[c.pk for c in calls])
    }
    rows = []
    for c in calls:
        intake = intakes.get(c.pk)
        rows.append(
            {
                **call_summary(c),
                "ended_at": c.ended_at.isoformat() if c.ended_at else None,
                "utterances": [
                    {"utterance": u.index, "text": mask_text(u.text)}
                    for u in call_utterances(call=c)
                    if u.text.strip()
                ],
                # A live call's running draft lives in its handler; once the call has ended the
                # intake keeps the last one.
                "draft": desk_draft(intake.draft) if intake and intake.draft else None,
                "intake": _intake_view(intake),
            }
        )
    unconfirmed = [
        r["id"] for r in rows if r["intake"] is not None and not r["intake"]["confirmed"]
    ]
    return {"calls": rows, "unconfirmed": unconfirmed}
