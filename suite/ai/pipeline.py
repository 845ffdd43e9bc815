"""The mechanics every gateway call shares: who is calling, the fallback loop with timeouts,
quota reserve/settle around the backend, and the usage row and audit entry of each call."""

from __future__ import annotations

import functools
import hashlib
import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from PIL import Image

from suite.audit.services import audit_entry, audit_logged
from suite.tenancy.models import Tenant

from . import metering_db, pricing, quota, registry, safety
from .backends import REMOTE_ENGINES
from .backends.base import Backend
from .capabilities import Capability, PriceUnit, Unit
from .errors import AiError, BackendTimeout, BackendUnavailable, InvalidInput, ModelNotPermitted
from .loader import get_backend
from .models import CallStatus, UsageRecord
from .transactions import refuse_inside_transaction
from .types import (
    AudioClip,
    CallInfo,
    ChatMessage,
    Passage,
)

logger = logging.getLogger("suite.ai")
T = TypeVar("T")

# Backends run here so a call can time out; the thread of a timed-out call finishes on its own.
_executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="ai-backend")


@dataclass(frozen=True)
class Caller:
    """Who is calling: the tenant always; a user or an API key when there is one."""

    tenant: Tenant
    user: Any = None
    api_key: Any = None
    request: Any = None


@dataclass
class Served(Generic[T]):
    value: T
    info: CallInfo


@dataclass
class Attempt:
    model: registry.ResolvedModel
    backend: Backend
    fallback: bool
    reason: str = ""

    def info(self, *, content_id: str = "", usage: dict | None = None) -> CallInfo:
        """What the caller is told. An embedded (non-generative) engine always counts as a
        fallback, so the UI and the API label its results."""
        generative = bool(getattr(self.backend, "generative", True))
        return CallInfo(
            model=self.model.name,
            engine=self.model.spec.engine,
            generative=generative,
            fallback=self.fallback or not generative,
            fallback_reason=self.reason,
            content_id=content_id,
            usage={str(k): v for k, v in (usage or {}).items()},
        )


def record_call(
    caller: Caller,
    capability: Capability,
    *,
    status: str,
    units: dict[str, float],
    started: float,
    model: str = "",
    engine: str = "",
    fallback: bool = False,
    generative: bool = True,
    content_id: str = "",
    error: str = "",
    reservation: quota.Reservation | None = None,
) -> None:
    """The reservation settled to `units`, with the call's usage row and audit entry, all or
    none: one statement on PostgreSQL, which every call pays for; the /v1 API writes it after
    its response (`metering_db.after_response`)."""
    latency_ms = (time.perf_counter() - started) * 1000
    refunds = quota.refunds_due(reservation, units)

    def save() -> None:
        user = caller.user if getattr(caller.user, "pk", None) else None
        usage = UsageRecord(
            tenant=caller.tenant,
            capability=capability,
            model=model,
            engine=engine,
            status=status,
            fallback=fallback,
            generative=generative,
            requests=1,
            tokens=int(units.get(Unit.TOKENS, 0)),
            input_tokens=int(units.get(PriceUnit.INPUT_TOKENS, 0)),
            output_tokens=int(units.get(PriceUnit.OUTPUT_TOKENS, 0)),
            audio_seconds=float(units.get(Unit.AUDIO_SECONDS, 0)),
            characters=int(units.get(Unit.CHARACTERS, 0)),
            images=int(units.get(Unit.IMAGES, 0)),
            frames=int(units.get(Unit.FRAMES, 0)),
            latency_ms=latency_ms,
            cost=pricing.yuan(units.get(Unit.SPEND, 0)),
            content_id=content_id,
            api_key=caller.api_key,
            user=user,
            error=error[:300],
        )
        entry = audit_entry(
            action=f"ai.{capability}",
            tenant=caller.tenant,
            request=caller.request,
            actor=user,
            actor_label=_actor_label(caller),
            data={
                "model": model,
                "status": status,
                "fallback": fallback,
                "latency_ms": latency_ms,
            },
        )
        quota.refund(refunds, saving=[usage, entry])
        audit_logged(entry)

    metering_db.write(save)


def _actor_label(caller: Caller) -> str:
    if getattr(caller.user, "pk", None):
        return caller.user.get_username()
    if caller.api_key is not None:
        return f"api-key {caller.api_key.prefix}…"
    return "system"


def _status_of(exc: AiError) -> str:
    return {
        "invalid_input": CallStatus.INVALID,
        "content_blocked": CallStatus.BLOCKED,
        "quota_exceeded": CallStatus.QUOTA,
    }.get(exc.code, CallStatus.FAILED)


@contextmanager
def _recorded_failures(caller: Caller, capability: Capability, model: str | None = ""):
    """Input and safety refusals are calls too: they get a usage row and an audit entry."""
    started = time.perf_counter()
    try:
        yield
    except AiError as exc:
        if not getattr(exc, "recorded", False):
            record_call(
                caller,
                capability,
                status=_status_of(exc),
                units={},
                started=started,
                model=model or "",
                error=exc.message,
            )
            exc.recorded = True
        raise


def metered(capability: Capability):
    def decorate(fn):
        @functools.wraps(fn)
        def wrapper(caller: Caller, *args, **kwargs):
            refuse_inside_transaction(capability.value)
            with _recorded_failures(caller, capability, kwargs.get("model")):
                return fn(caller, *args, **kwargs)

        return wrapper

    return decorate


WAITING_TICK_S = 1.0


def _call_with_timeout(
    fn: Callable[[], T], timeout_s: float, while_waiting: Callable[[], None] | None = None
) -> T:
    """`while_waiting` runs on the caller's thread about every WAITING_TICK_S while the model
    works (a job reporting the engine's steps: the caller's thread holds its database
    connection); an exception it raises ends the wait."""
    future = _executor.submit(fn)
    deadline = time.monotonic() + timeout_s
    while True:
        left = deadline - time.monotonic()
        try:
            return future.result(timeout=min(left, WAITING_TICK_S) if while_waiting else left)
        except FutureTimeout as exc:
            if time.monotonic() >= deadline:
                raise BackendTimeout(
                    _("The model did not answer within %(seconds)s seconds.")
                    % {"seconds": timeout_s}
                ) from exc
        # Without while_waiting the wait above lasts until the deadline, so this is reached
        # only with one.
        if while_waiting is not None:
            while_waiting()


_cooled: set[str] = set()  # keys this process set, for cooldown_clear


def _cooldown_key(model: registry.ResolvedModel) -> str:
    digest = hashlib.sha1(repr(model.spec.cache_key()).encode(), usedforsecurity=False)
    return "ai-cooldown:" + digest.hexdigest()


def cooldown_clear() -> None:
    """Forget the cooldowns this process set (tests start each case without any)."""
    cache.delete_many(list(_cooled))
    _cooled.clear()


def _healthy_first(
    candidates: list[registry.ResolvedModel], reasons: list[str]
) -> list[registry.ResolvedModel]:
    """Models whose server failed in the last AI_COOLDOWN_S seconds (in any process: the mark
    is in the shared cache) are tried after the others, so a server that is down costs one
    caller its timeout, not every caller."""
    if len(candidates) < 2:
        return candidates
    keys = [_cooldown_key(model) for model in candidates]
    cooling = cache.get_many(keys)
    if not cooling:
        return candidates
    later = [model for model, key in zip(candidates, keys, strict=True) if key in cooling]
    reasons += [_("%(model)s: cooling down after a failure") % {"model": m.name} for m in later]
    return [model for model in candidates if model not in later] + later


def served_by(
    caller: Caller,
    capability: Capability,
    candidates: list[registry.ResolvedModel],
    invoke: Callable[[Backend], T],
    while_waiting: Callable[[], None] | None = None,
) -> tuple[T, Attempt]:
    """Try each candidate in order (those cooling down after a failure last); input errors stop
    at once, backend failures fall through and put the model in cooldown."""
    reasons: list[str] = []
    ordered = _healthy_first(candidates, reasons)
    for model in ordered:
        try:
            backend = get_backend(model.spec)
            value = _call_with_timeout(
                functools.partial(invoke, backend), model.timeout_s, while_waiting
            )
        except BackendUnavailable as exc:
            if len(candidates) > 1 and model.spec.engine in REMOTE_ENGINES:
                # A server that is down costs each caller its timeout; a local engine that
                # failed (a model process that died) is restarted by the next call instead.
                key = _cooldown_key(model)
                cache.set(key, 1, settings.AI_COOLDOWN_S)
                _cooled.add(key)
            logger.warning(
                "%s: %s unavailable for %s: %s",
                capability,
                model.name,
                caller.tenant.slug,
                exc.message,
            )
            reasons.append(f"{model.name}: {exc.message}")
            continue
        return value, Attempt(model, backend, model is not candidates[0], "; ".join(reasons))
    raise BackendUnavailable(
        _("No model could serve %(capability)s: %(reasons)s")
        % {"capability": capability.label, "reasons": "; ".join(reasons) or _("none configured")}
    )


def run_call(
    caller: Caller,
    capability: Capability,
    *,
    model: str | None,
    reserve: dict[str, float],
    invoke: Callable[[Backend], T],
    measure: Callable[[T], dict[str, float]],
    dialect: str = "",
    check_output: Callable[[T], None] | None = None,
    content_id: str = "",
    while_waiting: Callable[[], None] | None = None,
) -> Served[T]:
    started = time.perf_counter()
    reserve = {Unit.REQUESTS: 1, **reserve}
    reservation = None
    try:
        candidates = candidates_for(caller, capability, model, dialect=dialect)
        reservation = reserve_units(caller, capability, candidates, reserve)
        value, attempt = served_by(caller, capability, candidates, invoke, while_waiting)
        if check_output is not None:
            check_output(value)
    except Exception:
        # The failure itself is recorded by @metered around the capability function.
        if reservation:
            quota.release(reservation)
        raise
    used = {Unit.REQUESTS: 1, **measure(value)}
    info = attempt.info(content_id=content_id)
    finish_call(caller, capability, info, used=used, started=started, reservation=reservation)
    return Served(value, info)


def reserve_units(
    caller: Caller,
    capability: Capability,
    candidates: list[registry.ResolvedModel],
    amounts: dict[str, float],
) -> quota.Reservation:
    """The call's units and what they cost at the dearest candidate, reserved against the
    quotas and budgets of the tenant and every ancestor."""
    names = [model.name for model in candidates]
    return quota.reserve(
        caller.tenant,
        capability,
        pricing.with_spend(caller.tenant, capability, names, amounts),
        api_key_id=getattr(caller.api_key, "pk", None),
    )


def candidates_for(
    caller: Caller, capability: Capability, model: str | None, *, dialect: str = ""
) -> list[registry.ResolvedModel]:
    """The models that may serve the call, in order: the tenant's, narrowed to the API key's
    allow-list when the key has one (its fallbacks too: a key limited to one model never
    gets another's answer)."""
    candidates = registry.resolve(caller.tenant, capability, model, dialect=dialect)
    listed = set(getattr(caller.api_key, "allowed_models", None) or ())
    if not listed:
        return candidates
    # A listed alias allows the model it means.
    allowed = listed | {registry.unalias(caller.tenant, capability, name) for name in listed}
    asked = {model, registry.unalias(caller.tenant, capability, model)}
    if model and model != registry.DEFAULT_MODEL and not asked & allowed:
        raise ModelNotPermitted(
            _("This API key may not use the model %(model)s; it may use: %(allowed)s.")
            % {"model": model, "allowed": ", ".join(sorted(listed))},
            param="model",
        )
    kept = [candidate for candidate in candidates if candidate.name in allowed]
    if not kept:
        raise ModelNotPermitted(
            _("This API key may use only %(allowed)s, and none of them serves %(capability)s.")
            % {"allowed": ", ".join(sorted(listed)), "capability": capability.label},
            param="model",
        )
    return kept


def token_units(prompt: int, completion: int) -> dict[str, float]:
    """A chat call's tokens: their sum for quotas, the parts for the price book."""
    return {
        Unit.TOKENS: prompt + completion,
        PriceUnit.INPUT_TOKENS: prompt,
        PriceUnit.OUTPUT_TOKENS: completion,
    }


def finish_call(
    caller: Caller,
    capability: Capability,
    info: CallInfo,
    *,
    used: dict[str, float],
    started: float,
    reservation: quota.Reservation | None = None,
) -> None:
    """A successful call's end: its cost at the price of the model that answered, the
    reservation settled to what was used, one usage row and one audit entry, all or none."""
    used = pricing.with_spend(caller.tenant, capability, [info.model], used)
    info.usage = {str(k): v for k, v in used.items()}
    record_call(
        caller,
        capability,
        status=CallStatus.OK,
        units=used,
        started=started,
        model=info.model,
        engine=info.engine,
        fallback=info.fallback,
        generative=info.generative,
        content_id=info.content_id,
        reservation=reservation,
    )


# --- helpers ----------------------------------------------------------------------------


def require_text(text: str, field_name: str) -> str:
    text = (text or "").strip()
    if not text:
        raise InvalidInput(_("The %(field)s is empty.") % {"field": field_name}, param=field_name)
    if len(text) > settings.AI_MAX_TEXT_CHARS:
        raise InvalidInput(
            _("The %(field)s is %(n)s characters long; the limit is %(limit)s.")
            % {"field": field_name, "n": len(text), "limit": settings.AI_MAX_TEXT_CHARS},
            param=field_name,
        )
    return text


def checked_speech_text(caller: Caller, text: str, speed: float) -> str:
    text = require_text(text, "input")
    if not 0.25 <= speed <= 4.0:
        raise InvalidInput(_("Speed must be between 0.25 and 4.0."), param="speed")
    safety.check_input(caller.tenant, text)
    return text


def as_audio(audio: bytes | AudioClip) -> AudioClip:
    if isinstance(audio, AudioClip):
        if audio.duration_s > settings.AI_MAX_AUDIO_SECONDS:
            raise InvalidInput(
                _("The audio is %(n).0f seconds long; the limit is %(limit)s seconds.")
                % {"n": audio.duration_s, "limit": settings.AI_MAX_AUDIO_SECONDS}
            )
        return audio
    from suite.media.audio import decode_audio

    return decode_audio(audio)


def as_image(image: bytes | Image.Image) -> Image.Image:
    if isinstance(image, Image.Image):
        if image.width * image.height > settings.AI_MAX_IMAGE_PIXELS:
            raise InvalidInput(_("The image has too many pixels."))
        return image.convert("RGB")
    from suite.media.images import load_image

    return load_image(image)


def as_frame(frame: np.ndarray | bytes) -> np.ndarray:
    if isinstance(frame, np.ndarray):
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise InvalidInput(_("A frame must be an HxWx3 uint8 BGR array."))
        if frame.shape[0] * frame.shape[1] > settings.AI_MAX_IMAGE_PIXELS:
            raise InvalidInput(_("The image has too many pixels."))
        return frame
    image = as_image(frame)
    return np.ascontiguousarray(np.asarray(image)[:, :, ::-1])


# --- capabilities -----------------------------------------------------------------------


def checked_messages(caller: Caller, messages: list[ChatMessage]) -> list[ChatMessage]:
    if not messages:
        raise InvalidInput(_("At least one message is required."), param="messages")
    checked = []
    for message in messages:
        if message.role not in ("system", "user", "assistant", "tool"):
            raise InvalidInput(
                _("Unknown message role %(role)s.") % {"role": message.role}, param="messages"
            )
        if message.role == "tool" and not message.tool_call_id:
            raise InvalidInput(
                _("A tool message needs the tool_call_id of the call it answers."),
                param="messages",
            )
        content = (
            require_text(message.content, "messages")
            if message.role == "user"
            else (message.content or "")
        )
        safety.check_input(caller.tenant, content, field="messages")
        for call in message.tool_calls or []:
            safety.check_input(caller.tenant, call["function"]["arguments"], field="messages")
        if message.role == "user":
            safety.check_injection(content)
        checked.append(
            ChatMessage(
                message.role,
                safety.mask_for_model(content),
                tool_calls=message.tool_calls,
                tool_call_id=message.tool_call_id,
            )
        )
    return checked


def masked_passages(passages: list[Passage] | None) -> list[Passage] | None:
    if passages is None:
        return None
    return [Passage(p.id, safety.mask_for_model(p.text), p.source, p.score) for p in passages]
