"""A live call, independent of the wire protocol: transcription with endpointing, the product's
handler, spoken replies with barge-in, per-call sequence numbers and resume.

Nothing slow runs on the event loop. Audio frames are queued; one task per call drains the
queue and feeds whatever has arrived to the transcriber in a worker thread (so a busy call
catches up in one model run instead of falling further behind). Handler turns and spoken
replies run in a second task per call, in order, so the next utterance is transcribed while the
previous one is being answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections import deque
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from django.conf import settings
from django.db import close_old_connections
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import AiError, ModelNotFound
from suite.ai.labelling import LABEL_TEXT
from suite.ai.live_transcriber import StreamEvent
from suite.ai.pipeline import Caller
from suite.ai.streams import TranscriptionStream
from suite.ai.types import AudioClip
from suite.realtime.consumers import CLOSE_UNAUTHENTICATED  # the key is no longer valid

from .handlers import CallHandler, Turn
from .models import Call
from .selectors import call_next_utterance_index
from .services import call_end, call_keepalive, call_utterance_add

logger = logging.getLogger("suite.telephony")

FRAME = 320  # 20 ms at 16 kHz
# Barge-in: this much loud audio while a reply is playing cuts the reply off.
BARGE_IN_S = 0.2
BARGE_IN_RMS = 0.02

Sender = Callable[[dict], Awaitable[None]]
Encoder = Callable[[AudioClip], list[str]]


_executor: ThreadPoolExecutor | None = None


def executor() -> ThreadPoolExecutor:
    """Model and database work of all calls in this process. Bounded: more threads than cores
    only add contention for CPU-bound inference."""
    global _executor
    if _executor is None:
        workers = settings.TELEPHONY_WORKER_THREADS or max(8, (os.cpu_count() or 2) * 4)
        _executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="telephony")
    return _executor


def _with_connection(fn, *args, **kwargs):
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


async def in_worker(fn, *args, **kwargs):
    loop = asyncio.get_running_loop()
    call = functools.partial(_with_connection, fn, *args, **kwargs)
    return await loop.run_in_executor(executor(), call)


def _open_transcription(handler: CallHandler, caller: Caller, **options) -> TranscriptionStream:
    """The call's transcription stream, prompted with the product's vocabulary."""
    return gateway.transcription_stream(caller, prompt=handler.asr_prompt(), **options)


# The partial interval of a call whose audio is behind: partials of stale audio help no one.
NO_PARTIALS_S = 1e9


# Live sessions of this process, by call id. A resume looks here first (exact replay of what
# the client missed), then falls back to the database (finals only).
SESSIONS: dict[str, CallSession] = {}


def live_session(tenant_id: int, call_id: str) -> CallSession | None:
    session = SESSIONS.get(str(call_id))
    # Another tenant's call is simply not there.
    if session is None or session.call.tenant_id != tenant_id or session.finished:
        return None
    return session


class CallSession:
    def __init__(
        self,
        *,
        call: Call,
        handler: CallHandler,
        caller: Caller,
        encode: Encoder,
        next_index: int = 0,
    ):
        self.call = call
        self.handler = handler
        self.caller = caller
        self.encode = encode
        self.seq = 0
        self.log: deque[dict] = deque(maxlen=settings.TELEPHONY_REPLAY_EVENTS)
        self.sender: Sender | None = None
        # (arrival time, samples); None ends the call.
        self.audio: asyncio.Queue[tuple[float, np.ndarray] | None] = asyncio.Queue()
        self.turns: asyncio.Queue[tuple | None] = asyncio.Queue()
        self.next_index = next_index
        self.stream: TranscriptionStream | None = None
        self.finished = False
        self.failed: AiError | None = None
        self.audio_seconds = 0.0
        self._tasks: list[asyncio.Task] = []
        # Follow-up work of turns (Turn.later), awaited before the call ends.
        self._later: set[asyncio.Task] = set()
        self._expiry: asyncio.Task | None = None
        self._keepalive: asyncio.Task | None = None
        self._marks: set[str] = set()
        self._speaking = False
        self._cut = False
        self._loud = 0
        self._replies = 0
        self._stopping = False
        self.partial_s = settings.TELEPHONY_PARTIAL_INTERVAL_S

    # --- lifecycle ------------------------------------------------------------------------

    @classmethod
    async def open(
        cls, *, call: Call, handler: CallHandler, caller: Caller, encode: Encoder, resumed: bool
    ) -> CallSession:
        index = await in_worker(call_next_utterance_index, call=call) if resumed else 0
        session = cls(call=call, handler=handler, caller=caller, encode=encode, next_index=index)
        stream: TranscriptionStream = await in_worker(
            _open_transcription,
            handler,
            caller,
            language=call.language or None,
            dialect=call.dialect,
            partial_interval_s=session.partial_s,
            silence_s=settings.TELEPHONY_SILENCE_S,
            partial_max_load=settings.TELEPHONY_PARTIAL_MAX_LOAD,
        )
        session.stream = stream
        try:
            # Before the call goes live: a handler that could not start (its database
            # unreachable, say) leaves nothing running that would later end a half-made call.
            await in_worker(handler.on_start, resumed=resumed)
        except Exception:
            await in_worker(stream.close)
            raise
        SESSIONS[str(call.id)] = session
        session._tasks = [
            asyncio.create_task(session._audio_loop(stream)),
            asyncio.create_task(session._turn_loop()),
        ]
        session._keepalive = asyncio.create_task(session._keepalive_loop())
        return session

    def attach(self, sender: Sender) -> Sender | None:
        """A connection takes the call over; returns the sender it replaced, if any."""
        previous, self.sender = self.sender, sender
        if self._expiry is not None:
            self._expiry.cancel()
            self._expiry = None
        return previous

    def detach(self, sender: Sender) -> None:
        """The connection went away without `stop`: keep the call for a resume, for a while."""
        if self.sender != sender:  # bound methods: equal, never identical
            return  # already taken over by a newer connection
        self.sender = None
        if not self.finished:
            self._expiry = asyncio.create_task(self._expire())

    async def _expire(self) -> None:
        await asyncio.sleep(settings.TELEPHONY_RESUME_WINDOW_S)
        if self.sender is None:
            await self.stop(dropped=True)

    async def _keepalive_loop(self) -> None:
        """Renews the call's mark for the orphan sweep, and ends the call if its API key was
        revoked: revocation takes effect on open calls within one interval."""
        interval = float(settings.TELEPHONY_KEEPALIVE_S)
        while not self._stopping:
            await asyncio.sleep(interval)
            if self._stopping:
                return
            try:
                key_active = await in_worker(call_keepalive, call=self.call)
            except Exception:
                logger.exception("call %s: keepalive failed", self.call.id)
                continue
            if not key_active:
                await self.error(
                    "key_revoked", _("The API key of this call was revoked; the call ends.")
                )
                await self.stop()
                await self._deliver({"type": "closing", "close": CLOSE_UNAUTHENTICATED})
                return

    async def stop(self, *, dropped: bool = False) -> None:
        """End of the call: the last utterance becomes final, every turn is answered."""
        if self._stopping:
            return
        self._stopping = True
        if self._keepalive is not None and self._keepalive is not asyncio.current_task():
            self._keepalive.cancel()
        await self.audio.put(None)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await asyncio.gather(*self._later, return_exceptions=True)
        self.finished = True
        SESSIONS.pop(str(self.call.id), None)
        await in_worker(call_end, call=self.call, dropped=dropped, audio_seconds=self.audio_seconds)
        try:
            await in_worker(self.handler.on_end, dropped=dropped)
        except Exception:
            # The call is ended either way; the client still gets its `stopped`.
            logger.exception("call %s: the handler's on_end failed", self.call.id)
        await self.emit({"type": "stopped", "dropped": dropped})

    # --- outbound -------------------------------------------------------------------------

    async def emit(self, event: dict) -> dict:
        """Send one event with the call's next sequence number, and keep it for a resume."""
        self.seq += 1
        event = {**event, "call_id": str(self.call.id), "seq": self.seq}
        self.log.append(event)
        await self._deliver(event)
        return event

    async def _deliver(self, event: dict) -> None:
        if self.sender is None:
            return
        try:
            await self.sender(event)
        except Exception:
            # The socket died under us; the client resumes by seq and gets it then.
            logger.info("call %s: delivery failed, kept for resume", self.call.id)

    async def replay(self, after_seq: int) -> int:
        """Re-send what a resuming client missed; returns how many events were replayed."""
        missed = [e for e in self.log if e["seq"] > after_seq]
        for event in missed:
            await self._deliver(event)
        return len(missed)

    async def error(self, code: str, message: str) -> None:
        await self.emit({"type": "error", "code": code, "message": message})

    # --- inbound audio --------------------------------------------------------------------

    def feed(self, samples: np.ndarray) -> None:
        """Queue a decoded frame (float32, 16 kHz). Never blocks."""
        if self._stopping or self.finished:
            return
        self._check_barge_in(samples)
        self.audio.put_nowait((time.monotonic(), samples))

    def mark_played(self, name: str) -> None:
        """The client played the audio up to this mark."""
        self._marks.discard(name)

    @property
    def speaking(self) -> bool:
        return self._speaking or bool(self._marks)

    def _check_barge_in(self, samples: np.ndarray) -> None:
        if not self.speaking:
            self._loud = 0
            return
        for start in range(0, samples.size - FRAME + 1, FRAME):
            frame = samples[start : start + FRAME]
            if float(np.sqrt(np.mean(frame * frame))) > BARGE_IN_RMS:
                self._loud += 1
            else:
                self._loud = 0
            if self._loud * FRAME / 16000 >= BARGE_IN_S:
                self._loud = 0
                asyncio.get_running_loop().create_task(self._barge_in())
                return

    async def _barge_in(self) -> None:
        if not self.speaking:
            return
        self._cut = True
        self._marks.clear()
        await self.emit({"type": "clear"})
        await in_worker(self.handler.on_barge_in)

    async def _audio_loop(self, stream: TranscriptionStream) -> None:
        """`stream`: the call's transcription stream (self.stream), open before this starts."""
        limit = settings.TELEPHONY_MAX_CALL_S
        while True:
            item = await self.audio.get()
            stop = item is None
            oldest = time.monotonic() if item is None else item[0]
            chunks = [] if item is None else [item[1]]
            while not stop and not self.audio.empty():
                more = self.audio.get_nowait()
                if more is None:
                    stop = True
                else:
                    chunks.append(more[1])
            events: list[StreamEvent] = []
            try:
                if chunks and self.failed is None:
                    samples = np.concatenate(chunks)
                    if self.audio_seconds + samples.size / 16000 > limit:
                        await self.error(
                            "call_too_long",
                            _("The call passed the limit of %(s)s s; later audio is ignored.")
                            % {"s": int(limit)},
                        )
                        # A flag for the loop: the client already has the message above.
                        self.failed = AiError("call too long")
                    else:
                        waited = time.monotonic() - oldest
                        events += await self._feed(stream, samples, waited)
                        self.audio_seconds = stream.seconds
                if stop:
                    events += await in_worker(stream.close)
            except AiError as exc:
                # Quota exhausted or the model failed: say so; the socket stays up so the
                # client can stop cleanly (and the platform can route the call to a human).
                self.failed = exc
                await self.error(getattr(exc, "code", "model_error"), str(exc))
            for event in events:
                await self._transcript(event)
            if stop:
                break
        await self.turns.put(None)

    async def _feed(
        self, stream: TranscriptionStream, samples: np.ndarray, waited: float
    ) -> list[StreamEvent]:
        """`waited`: how long the oldest of these frames sat in the queue. A call that has
        fallen behind (frames waited, or arrived in bulk) catches up on finals first. Under
        load the transcriber itself skips partials (suite.ai.streaming)."""
        behind = waited > self.partial_s / 2 or samples.size / 16000 > self.partial_s
        stream.partial_interval_s = NO_PARTIALS_S if behind else self.partial_s
        return await in_worker(stream.feed, samples)

    async def _transcript(self, event: StreamEvent) -> None:
        text = event.text.strip()
        final = event.kind == "final"
        if final and not text:
            return
        index = self.next_index
        if final:
            self.next_index += 1
        await self.emit(
            {
                "type": "transcript",
                "final": final,
                "utterance": index,
                "text": text,
                "start_s": round(event.start_s, 3),
                "end_s": round(event.end_s, 3),
            }
        )
        await self.turns.put((index, event))

    # --- turns and replies ----------------------------------------------------------------

    async def _turn_loop(self) -> None:
        while (item := await self.turns.get()) is not None:
            index, event = item
            try:
                if event.kind == "partial":
                    await in_worker(self.handler.on_partial, event, index=index)
                    continue
                turn = await in_worker(self._final, index, event)
            except Exception:
                # A handler bug must not end the caller's call.
                logger.exception("call %s: handler failed", self.call.id)
                await self.error("handler_error", _("The assistant could not process this turn."))
                continue
            if turn is None:
                continue
            for extra in turn.events:
                await self.emit(extra)
            if turn.later is not None:
                task = asyncio.create_task(self._follow_up(turn.later))
                self._later.add(task)
                task.add_done_callback(self._later.discard)
            if turn.reply and self.call.speak_replies:
                await self.speak(turn)

    async def _follow_up(self, work: Callable[[], list[dict]]) -> None:
        try:
            events = await in_worker(work)
        except Exception:
            # Follow-up work only adds to a turn already answered: the call goes on.
            logger.exception("call %s: a turn's follow-up failed", self.call.id)
            return
        for event in events or []:
            await self.emit(event)

    def _final(self, index: int, event: StreamEvent) -> Turn | None:
        utterance = call_utterance_add(
            call=self.call,
            index=index,
            text=event.text.strip(),
            start_s=event.start_s,
            end_s=event.end_s,
        )
        return self.handler.on_final(utterance, event)

    async def speak(self, turn: Turn) -> None:
        """Synthesise sentence by sentence and stream each as 20 ms media frames plus a mark;
        barge-in stops it between sentences and between frames."""
        try:
            try:
                stream = await in_worker(
                    gateway.synthesize_stream,
                    self.caller,
                    turn.reply,
                    model=turn.model,
                    voice=turn.voice,
                    language=turn.language,
                    dialect=turn.dialect,
                )
            except ModelNotFound:
                # The tenant's own voice list has no such model: its default voice speaks.
                stream = await in_worker(
                    gateway.synthesize_stream, self.caller, turn.reply, dialect=turn.dialect
                )
        except AiError as exc:
            await self.error("speech_failed", str(exc))
            return
        self._replies += 1
        reply = self._replies
        info = {
            "label": LABEL_TEXT,
            "provider": stream.info.engine,
            "model": stream.info.model,
            "content_id": stream.info.content_id,
            "fallback": stream.info.fallback,
        }
        await self.emit({"type": "reply", "reply": reply, "text": turn.reply, **info})
        self._speaking = True
        self._cut = False
        clips = iter(stream)
        try:
            part = 0
            while not self._cut:
                clip = await in_worker(next, clips, None)
                if clip is None or self._cut:
                    break
                for chunk, payload in enumerate(self.encode(clip)):
                    if self._cut:
                        break
                    await self._deliver(
                        {"type": "media", "reply": reply, "chunk": chunk, "payload": payload}
                    )
                if not self._cut:
                    name = f"reply-{reply}-{part}"
                    self._marks.add(name)
                    await self._deliver({"type": "mark", "name": name})
                part += 1
        finally:
            self._speaking = False
            # Closing the generator writes the usage row for what was actually spoken.
            await in_worker(_close, clips)
        if not self._cut:
            await in_worker(self.handler.on_reply_spoken, turn.reply, info)


def _close(iterator) -> None:
    with contextlib.suppress(Exception):
        iterator.close()
