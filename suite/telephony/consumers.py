"""The two wire protocols. Both authenticate with a tenant API key holding the `callcenter`
scope (Authorization: Bearer sk-..., or ?api_key=sk-... where headers cannot be set) and refuse
a browser Origin that is not allowed. The protocol is documented in the README
("Call-center WebSocket").

A product mounts these with its handler: `NativeStreamConsumer.as_asgi(handler_class=...)`.
"""

from __future__ import annotations

import json
import logging
from typing import Any, ClassVar

from channels.generic.websocket import AsyncWebsocketConsumer
from django.conf import settings
from django.utils.translation import gettext as _

from suite.accounts.authentication import api_key_from_raw
from suite.accounts.models import ApiKeyScope
from suite.ai.errors import AiError
from suite.ai.pipeline import Caller
from suite.api.parsers import JsonBodyError, load_json
from suite.realtime.consumers import CLOSE_UNAUTHENTICATED
from suite.realtime.middleware import origin_allowed

from . import codecs
from .codecs import FrameError
from .handlers import CallHandler
from .models import Call, CallProtocol
from .services import call_end, call_resume, call_start
from .session import CallSession, in_worker, live_session

logger = logging.getLogger("suite.telephony")

# Close codes (4000-4999 are the application's). CLOSE_UNAUTHENTICATED (4401): no API key, or
# an unknown or revoked one (also mid-call, see CallSession._keepalive_loop).
CLOSE_FORBIDDEN = 4403  # the key lacks the callcenter scope, or a browser Origin is not allowed
CLOSE_UNKNOWN_CALL = 4404  # resume of a call that does not exist here (or not for this tenant)
CLOSE_TAKEN_OVER = 4409  # a newer connection resumed this call
CLOSE_QUOTA = 4429  # the tenant's audio quota ran out
CLOSE_NORMAL = 1000

NATIVE_SAMPLE_RATE = 16000
NATIVE_ENCODING = "pcm_s16le"


def parse_frame(text: str | None) -> dict[str, Any] | None:
    """A text frame's JSON object, or None: the REST API's bounds apply (nesting depth, no
    unpaired surrogates or NUL), so a frame that would exhaust the parser's stack or could not
    be stored is refused like any malformed one, and the socket stays up."""
    try:
        message = load_json(text or "")
    except JsonBodyError:
        return None
    return message if isinstance(message, dict) else None


def _has_origin(scope) -> bool:
    """Browsers always send Origin; call-center platforms do not."""
    return any(name == b"origin" for name, _value in scope.get("headers", []))


class CallConsumer(AsyncWebsocketConsumer):
    handler_class: type[CallHandler] | None = None  # set by the product's as_asgi(...)
    protocol: ClassVar[str] = ""

    def __init__(self, *args, handler_class: type[CallHandler] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if handler_class is not None:
            self.handler_class = handler_class

    @property
    def _handler_class(self) -> type[CallHandler]:
        """The product's handler class; a consumer mounted without one cannot take a call."""
        if self.handler_class is None:
            # What calling or reading through the None would have raised, with the reason.
            raise TypeError(f"{type(self).__name__} was mounted without a handler_class.")
        return self.handler_class

    # Twilio cannot send headers or a query string on its Stream URL: it authenticates in the
    # `start` event's custom parameters instead (see TwilioMediaStreamConsumer).
    key_in_start_event: ClassVar[bool] = False

    async def connect(self) -> None:
        # Accept first, then close with a code the platform can act on (a refused handshake
        # only tells it "403").
        await self.accept()
        self.session: CallSession | None = None
        self.authenticated = False
        if _has_origin(self.scope) and not origin_allowed(self.scope):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        key = self.scope.get("api_key")
        if key is None and self.key_in_start_event and not _has_origin(self.scope):
            return  # authenticated by the start event, or closed then
        await self.authenticate(key)

    async def authenticate(self, key) -> bool:
        if key is None or key.tenant_id is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return False
        if not key.has_scope(ApiKeyScope.CALLCENTER):
            await self.close(code=CLOSE_FORBIDDEN)
            return False
        self.tenant = key.tenant
        self.caller = Caller(tenant=self.tenant, api_key=key)
        self.authenticated = True
        return True

    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        finally:
            # However the connection ended (a crash included, which skips disconnect()), the
            # call is left to resume or to expire: never held open forever.
            if getattr(self, "session", None) is not None:
                self.session.detach(self.deliver)

    async def disconnect(self, code):
        if self.session is not None:
            self.session.detach(self.deliver)

    async def websocket_receive(self, message):
        """One frame. Whatever is wrong with it is that frame's error; the call goes on."""
        text = message.get("text")
        if text is not None and len(text) > settings.TELEPHONY_MAX_TEXT_FRAME_BYTES:
            if getattr(self, "authenticated", False):
                await self.frame_error(
                    "bad_frame",
                    _("A text frame may hold at most %(n)s bytes; send audio in smaller frames.")
                    % {"n": settings.TELEPHONY_MAX_TEXT_FRAME_BYTES},
                )
            return
        try:
            await super().websocket_receive(message)
        except Exception:
            logger.exception("call socket: a frame could not be handled")
            await self.frame_error(
                "internal_error", _("The server could not handle this frame; the call goes on.")
            )

    async def deliver(self, event: dict) -> None:
        raise NotImplementedError

    # --- shared steps ---------------------------------------------------------------------

    async def close_for(self, event: dict) -> bool:
        """The session asks this connection to close (taken over, key revoked)."""
        if "close" not in event:
            return False
        await self.close(code=event["close"])
        self.session = None
        return True

    async def begin(self, call: Call, *, resumed: bool, after_seq: int | None = None) -> bool:
        session = live_session(self.tenant.pk, str(call.id))
        replay_exact = session is not None
        if session is None:
            handler = self._handler_class(call=call, caller=self.caller)
            try:
                session = await CallSession.open(
                    call=call,
                    handler=handler,
                    caller=self.caller,
                    encode=self.encoder(),
                    resumed=resumed,
                )
            except AiError as exc:
                await in_worker(call_end, call=call, dropped=True)
                await self.deliver(
                    {"type": "error", "code": exc.code, "message": str(exc), "seq": 0}
                )
                await self.close(code=CLOSE_QUOTA if exc.code == "quota_exceeded" else 1011)
                return False
            except Exception:
                logger.exception("call %s could not start", call.id)
                await in_worker(call_end, call=call, dropped=True)
                message = _("The call could not start; try again.")
                await self.deliver(
                    {"type": "error", "code": "start_failed", "message": message, "seq": 0}
                )
                await self.close(code=1011)
                return False
        else:
            session.encode = self.encoder()
        previous = session.attach(self.deliver)
        if previous is not None:
            # The old connection is half-dead or duplicated; this one owns the call now.
            await previous({"type": "taken_over", "close": CLOSE_TAKEN_OVER})
        self.session = session
        if resumed:
            replayed = (
                await session.replay(after_seq) if replay_exact and after_seq is not None else 0
            )
            await session.emit({"type": "resumed", "replayed": replayed, "exact": replay_exact})
        else:
            await session.emit(
                {
                    "type": "started",
                    "sample_rate": NATIVE_SAMPLE_RATE,
                    "protocol": self.protocol,
                }
            )
        return True

    def encoder(self):
        raise NotImplementedError

    async def frame_error(self, code: str, message: str) -> None:
        if self.session is not None:
            await self.session.error(code, message)
        else:
            await self.deliver({"type": "error", "code": code, "message": message, "seq": 0})

    async def finish(self) -> None:
        if self.session is not None:
            session, self.session = self.session, None
            await session.stop()
            session.detach(self.deliver)
        await self.close(code=CLOSE_NORMAL)


class NativeStreamConsumer(CallConsumer):
    """`/ws/callcenter/stream/`: JSON control messages, audio as 16 kHz 16-bit PCM (binary
    frames, or base64 in an `audio` message with the client's own frame `seq`)."""

    protocol = CallProtocol.STREAM

    async def deliver(self, event: dict) -> None:
        if await self.close_for(event):
            return
        await self.send(text_data=json.dumps(event, ensure_ascii=False))

    def encoder(self):
        return codecs.encode_pcm16_frames

    async def receive(self, text_data=None, bytes_data=None):
        if not getattr(self, "authenticated", False):
            return
        self.last_frame_seq = getattr(self, "last_frame_seq", 0)
        if bytes_data is not None:
            await self.audio(bytes_data, None)
            return
        message = parse_frame(text_data)
        if message is None:
            await self.frame_error("bad_frame", _("A text frame must be one JSON object."))
            return
        kind = message.get("type")
        if kind == "audio":
            try:
                samples = codecs.decode_pcm16_payload(message.get("audio"))
            except FrameError as exc:
                await self.frame_error(exc.code, exc.message)
                return
            await self.audio(samples, message.get("seq"))
        elif kind == "start":
            await self.start(message)
        elif kind == "resume":
            await self.resume(message)
        elif kind == "mark":
            if self.session is not None:
                self.session.mark_played(str(message.get("name", "")))
        elif kind == "stop":
            await self.finish()
        else:
            await self.frame_error(
                "bad_frame",
                _("Unknown message type %(type)s; expected start, resume, audio, mark or stop.")
                % {"type": json.dumps(kind)[:40]},
            )

    async def audio(self, data, seq) -> None:
        if self.session is None:
            await self.frame_error("not_started", _("Send start (or resume) before audio."))
            return
        if isinstance(data, bytes):
            try:
                data = codecs.decode_pcm16_frame(data)
            except FrameError as exc:
                await self.frame_error(exc.code, exc.message)
                return
        if seq is not None:
            if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
                await self.frame_error("bad_frame", _("seq must be a positive integer."))
                return
            if seq <= self.last_frame_seq:
                return  # a frame re-sent after a resume: already heard
            if seq > self.last_frame_seq + 1 and self.last_frame_seq:
                await self.session.error(
                    "frame_gap",
                    _("Audio frames %(first)s to %(last)s never arrived.")
                    % {"first": self.last_frame_seq + 1, "last": seq - 1},
                )
            self.last_frame_seq = seq
        self.session.feed(data)

    async def start(self, message: dict) -> None:
        if self.session is not None:
            await self.frame_error("already_started", _("This connection already carries a call."))
            return
        rate = message.get("sample_rate", NATIVE_SAMPLE_RATE)
        if rate != NATIVE_SAMPLE_RATE:
            await self.frame_error(
                "bad_sample_rate",
                _("The stream takes %(rate)s Hz audio, not %(got)s: resample and start again.")
                % {"rate": NATIVE_SAMPLE_RATE, "got": json.dumps(rate)[:20]},
            )
            return
        encoding = message.get("encoding", NATIVE_ENCODING)
        if encoding != NATIVE_ENCODING:
            await self.frame_error(
                "bad_encoding",
                _("The stream protocol takes %(encoding)s audio; got %(got)s.")
                % {"encoding": NATIVE_ENCODING, "got": json.dumps(encoding)[:20]},
            )
            return
        metadata = message.get("metadata") if isinstance(message.get("metadata"), dict) else {}
        call = await in_worker(
            call_start,
            tenant=self.tenant,
            product=self._handler_class.product,
            protocol=self.protocol,
            external_id=str(message.get("external_id") or ""),
            caller_number=str(message.get("caller") or ""),
            language=str(message.get("language") or "zh"),
            speak_replies=bool(message.get("speak_replies", False)),
            metadata=metadata,
            api_key=self.caller.api_key,
        )
        await self.begin(call, resumed=False)

    async def resume(self, message: dict) -> None:
        if self.session is not None:
            await self.frame_error("already_started", _("This connection already carries a call."))
            return
        call_id = str(message.get("call_id") or "")
        after = message.get("last_seq", 0)
        after = after if isinstance(after, int) and not isinstance(after, bool) else 0
        self.last_frame_seq = (
            message.get("last_frame_seq", 0)
            if isinstance(message.get("last_frame_seq"), int)
            else 0
        )
        call = await in_worker(
            call_resume, tenant=self.tenant, call_id=call_id, product=self._handler_class.product
        )
        if call is None:
            # A missing call, an ended one and another tenant's look exactly the same.
            await self.deliver(
                {
                    "type": "error",
                    "code": "unknown_call",
                    "message": _("No call with this id can be resumed."),
                    "seq": 0,
                }
            )
            await self.close(code=CLOSE_UNKNOWN_CALL)
            return
        await self.begin(call, resumed=True, after_seq=after)


class TwilioMediaStreamConsumer(CallConsumer):
    """`/ws/callcenter/twilio/`: Twilio Media Streams (bidirectional <Connect><Stream>).

    Twilio sends connected/start/media/mark/dtmf/stop; we send media (base64 8 kHz mu-law),
    mark and clear. Everything else a call produces (transcripts, assist) goes to the product's
    handler, not back to Twilio, which would not understand it.
    """

    protocol = CallProtocol.TWILIO
    key_in_start_event = True

    async def deliver(self, event: dict) -> None:
        kind = event.get("type")
        sid = getattr(self, "stream_sid", "")
        if await self.close_for(event):
            return
        if kind == "media":
            await self._send(
                {"event": "media", "streamSid": sid, "media": {"payload": event["payload"]}}
            )
        elif kind == "mark":
            await self._send({"event": "mark", "streamSid": sid, "mark": {"name": event["name"]}})
        elif kind == "clear":
            await self._send({"event": "clear", "streamSid": sid})
        elif kind == "error":
            logger.warning("twilio stream %s: %s", sid, event.get("code"))

    async def _send(self, message: dict) -> None:
        await self.send(text_data=json.dumps(message))

    def encoder(self):
        return codecs.encode_mulaw_frames

    async def receive(self, text_data=None, bytes_data=None):
        message = parse_frame(text_data)
        if message is None:
            if not self.authenticated:
                return
            await self.frame_error("bad_frame", _("A Twilio message must be one JSON object."))
            return
        if not self.authenticated and not await self._authenticate_from_start(message):
            return
        in_order, gap = self._in_order(message)
        if gap:
            await self.frame_error(
                "frame_gap",
                _("Twilio messages %(first)s to %(last)s never arrived.")
                % {"first": gap[0], "last": gap[1]},
            )
        if not in_order:
            return
        kind = message.get("event")
        if kind == "media":
            await self.media(message)
        elif kind == "start":
            await self.start(message)
        elif kind == "mark":
            if self.session is not None:
                name = (message.get("mark") or {}).get("name", "")
                self.session.mark_played(str(name))
        elif kind == "stop":
            await self.finish()
        elif kind not in ("connected", "dtmf"):
            await self.frame_error("bad_frame", _("Unknown Twilio event."))

    async def _authenticate_from_start(self, message: dict) -> bool:
        """Before anything else, only `connected` and a `start` carrying `api_key` in its
        custom parameters are accepted; anything else closes with 4401."""
        if message.get("event") == "connected":
            return False
        start = message.get("start") if message.get("event") == "start" else None
        params = start.get("customParameters") if isinstance(start, dict) else None
        raw = str(params.get("api_key") or "") if isinstance(params, dict) else ""
        key = await in_worker(api_key_from_raw, raw) if raw else None
        return await self.authenticate(key)

    def _in_order(self, message: dict) -> tuple[bool, tuple[int, int] | None]:
        """Twilio numbers every message; a repeated one is dropped, a gap is reported."""
        raw = message.get("sequenceNumber")
        if raw is None:
            return True, None  # as int(None)'s TypeError below would
        try:
            seq = int(raw)
        except (TypeError, ValueError):
            return True, None
        last = getattr(self, "last_frame_seq", 0)
        if seq <= last:
            return False, None
        self.last_frame_seq = seq
        gap = (last + 1, seq - 1) if last and seq > last + 1 else None
        return True, gap

    async def media(self, message: dict) -> None:
        if self.session is None:
            await self.frame_error("not_started", _("A start event must come before media."))
            return
        media = message.get("media")
        if not isinstance(media, dict):
            await self.frame_error("bad_frame", _("A media event needs a media object."))
            return
        if media.get("track", "inbound") != "inbound":
            return
        try:
            samples = codecs.decode_mulaw_frame(media.get("payload"))
        except FrameError as exc:
            await self.frame_error(exc.code, exc.message)
            return
        self.session.feed(samples)

    async def start(self, message: dict) -> None:
        if self.session is not None:
            return
        start = message.get("start")
        if not isinstance(start, dict):
            await self.frame_error("bad_frame", _("A start event needs a start object."))
            return
        media_format = start.get("mediaFormat") or {}
        if (
            media_format.get("encoding", "audio/x-mulaw") != "audio/x-mulaw"
            or int(media_format.get("sampleRate", codecs.TWILIO_RATE) or 0) != codecs.TWILIO_RATE
        ):
            await self.frame_error(
                "bad_sample_rate", _("Twilio media must be 8000 Hz audio/x-mulaw.")
            )
            return
        self.stream_sid = str(start.get("streamSid") or message.get("streamSid") or "")
        params = start.get("customParameters") or {}
        call_sid = str(start.get("callSid") or "")
        call = None
        if params.get("call_id") or call_sid:
            call = await in_worker(self._resumable, str(params.get("call_id") or ""), call_sid)
        if call is not None:
            await self.begin(call, resumed=True)
            return
        call = await in_worker(
            call_start,
            tenant=self.tenant,
            product=self._handler_class.product,
            protocol=self.protocol,
            external_id=call_sid,
            stream_id=self.stream_sid,
            caller_number=str(params.get("caller") or params.get("from") or ""),
            language=str(params.get("language") or "zh"),
            speak_replies=str(params.get("speak_replies", "")).lower() in ("1", "true", "yes"),
            metadata={k: str(v)[:200] for k, v in params.items() if k not in ("caller", "api_key")},
            api_key=self.caller.api_key,
        )
        await self.begin(call, resumed=False)

    def _resumable(self, call_id: str, call_sid: str) -> Call | None:
        """A reconnecting Twilio stream continues its call: by our call id when the TwiML
        passed it as a parameter, else by Twilio's callSid within this tenant."""
        product = self._handler_class.product
        if call_id:
            return call_resume(tenant=self.tenant, call_id=call_id, product=product)
        existing = (
            Call.objects.for_tenant(self.tenant)
            .filter(product=product, external_id=call_sid)
            .exclude(status="ended")
            .first()
        )
        if existing is None:
            return None
        return call_resume(tenant=self.tenant, call_id=existing.pk, product=product)
