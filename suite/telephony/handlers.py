"""What a product plugs into a call: a `CallHandler` subclass, mounted with the suite's
consumers in the product's own `routing.py`:

    path("ws/callcenter/stream/", NativeStreamConsumer.as_asgi(handler_class=MyHandler),
         name="ws-callcenter-stream")

Every method runs in a worker thread (never on the event loop), so it may use the ORM and the
model gateway directly. The suite never imports a product.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import ClassVar

from suite.ai.live_transcriber import StreamEvent
from suite.ai.pipeline import Caller

from .models import Call, CallUtterance


@dataclass
class Turn:
    """A handler's answer to one final utterance.

    `events` go to the call's client (native protocol) with the call's sequence numbers;
    `reply` is spoken back into the call when the call asked for spoken replies.
    `later` is slow follow-up work of the turn (a language model's pass, say): run in a worker
    thread after `events` went out, without holding up the call's next turns; the events it
    returns follow on the call's client. A call ends only after it returns.
    """

    events: list[dict] = field(default_factory=list)
    reply: str = ""
    dialect: str = ""
    # The reply's voice: none named means the tenant's default voice for the reply's language
    # (its Cantonese voice when `dialect` is cantonese).
    language: str | None = None
    model: str | None = None
    voice: str | None = None
    later: Callable[[], list[dict]] | None = None


class CallHandler:
    # Stored on the Call so a resume finds only this product's calls.
    product: ClassVar[str] = ""

    def __init__(self, *, call: Call, caller: Caller):
        self.call = call
        self.caller = caller

    def asr_prompt(self) -> str | None:
        """The recognition prompt for the call's speech: the product's and tenant's vocabulary
        (`suite.ai.asr_prompt.build_prompt`); None for the speech model's default. Read once
        when the call opens, before `on_start`."""
        return None

    def on_start(self, *, resumed: bool) -> None:
        """The call started (or a client resumed it)."""

    def on_partial(self, event: StreamEvent, *, index: int) -> None:
        """A partial transcript of the utterance in progress."""

    def on_final(self, utterance: CallUtterance, event: StreamEvent) -> Turn | None:
        """A final transcript, already stored as `utterance`."""
        return None

    def on_barge_in(self) -> None:
        """The caller spoke over a spoken reply, which was cut off."""

    def on_reply_spoken(self, text: str, info: dict) -> None:
        """A reply went out as speech (`info`: provider, content id, AIGC label)."""

    def on_end(self, *, dropped: bool) -> None:
        """The call ended (`dropped`: the client vanished and did not resume in time)."""
