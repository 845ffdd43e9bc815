"""The OpenAI-compatible API under /v1/, authenticated by a tenant API key with the maas scope.

Responses follow OpenAI's shapes so the official clients work unchanged. Each JSON response also
carries `x_suite` ({engine, generative, fallback, content_id}) and binary responses carry
X-Suite-* headers: that is how a caller knows an answer came from an embedded fallback.
"""

from __future__ import annotations

import base64
import functools
import re
import time
import uuid
from collections.abc import Callable
from typing import Literal, TypeVar, cast

import numpy as np
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest, HttpResponse, JsonResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from suite.accounts.authentication import api_key_from_raw
from suite.accounts.models import ApiKeyScope
from suite.api.parsers import JsonBodyError, load_json, too_large_message

from .. import gateway
from ..capabilities import Capability
from ..errors import AiError, BackendUnavailable, InvalidInput, RequestTooLarge
from ..metering_db import after_response
from ..quota import counts_tracked, rate_limit_headers
from ..registry import DEFAULT_MODEL, aliases, configured_models
from ..types import CallInfo, ChatMessage, ToolUse
from . import formats, moderation, openai_names, responses
from .errors import from_ai_error, openai_error

# Plain and streaming responses both get the X-Suite-* headers.
ResponseT = TypeVar("ResponseT", bound=HttpResponseBase)


def _json(data: dict, status: int = 200) -> JsonResponse:
    return JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})


def _suite_info(info: CallInfo) -> dict:
    return {
        "engine": info.engine,
        "generative": info.generative,
        "fallback": info.fallback,
        "fallback_reason": info.fallback_reason,
        "content_id": info.content_id,
    }


def _suite_headers(response: ResponseT, info: CallInfo) -> ResponseT:
    response["X-Suite-Model"] = info.model
    response["X-Suite-Engine"] = info.engine
    response["X-Suite-Generative"] = "true" if info.generative else "false"
    response["X-Suite-Fallback"] = "true" if info.fallback else "false"
    if info.content_id:
        response["X-AIGC-Content-Id"] = info.content_id
        response["X-AIGC-Label"] = "AI-generated"
    return response


def openai_endpoint(method: str, capability: Capability | None = None):
    """Authenticate the API key, check the method, turn AiErrors into OpenAI errors; for a
    model call, say how much of the tightest request and token limits is left, as OpenAI's
    x-ratelimit-* headers do."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @functools.wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs):
            header = request.headers.get("Authorization", "")
            raw = header[7:].strip() if header.lower().startswith("bearer ") else ""
            key = api_key_from_raw(raw) if raw else None
            if key is None:
                return openai_error(
                    401,
                    _("Incorrect or missing API key. Send a tenant API key as a Bearer token."),
                    code="invalid_api_key",
                )
            if not key.has_scope(ApiKeyScope.MAAS):
                return openai_error(
                    403,
                    _("This API key lacks the maas scope needed for the model API."),
                    code="insufficient_scope",
                )
            if request.method != method:
                return openai_error(
                    405,
                    _("Use %(method)s for this endpoint.") % {"method": method},
                    code="method_not_allowed",
                )
            caller = gateway.Caller(tenant=key.tenant, api_key=key, request=request)
            with counts_tracked() as counts, after_response() as deferred:
                try:
                    response = view(request, caller, *args, **kwargs)
                except AiError as exc:
                    response = from_ai_error(exc)
                if capability is not None:
                    limits = rate_limit_headers(key.tenant, capability, key.pk, known=counts)
                    for name, value in limits.items():
                        response[name] = value
            deferred.attach(response)
            return response

        return wrapper

    return decorate


def _body(request: HttpRequest) -> dict:
    try:
        data = load_json(request.body or b"{}")
    except RequestDataTooBig as exc:
        raise RequestTooLarge(too_large_message()) from exc
    except JsonBodyError as exc:
        if exc.status == 413:
            raise RequestTooLarge(exc.message) from exc
        raise InvalidInput(exc.message) from exc
    if not isinstance(data, dict):
        raise InvalidInput(_("The request body must be a JSON object."))
    return data


def _model(data: dict, caller: gateway.Caller, capability: Capability) -> str:
    """The asked model; one of OpenAI's own names means the tenant's default (openai_names)."""
    model = data.get("model") or DEFAULT_MODEL
    if not isinstance(model, str):
        raise InvalidInput(_("model must be a string."), param="model")
    return openai_names.model_for(caller.tenant, capability, model)


def _number(data: dict, key: str, default, kind=float, low=None, high=None):
    value = data.get(key, default)
    if value is None:
        return default
    try:
        value = kind(value)
    except (TypeError, ValueError) as exc:
        raise InvalidInput(_("%(key)s must be a number.") % {"key": key}, param=key) from exc
    if (low is not None and value < low) or (high is not None and value > high):
        raise InvalidInput(
            _("%(key)s must be between %(low)s and %(high)s.")
            % {"key": key, "low": low, "high": high},
            param=key,
        )
    return value


@openai_endpoint("GET")
def list_models(request: HttpRequest, caller: gateway.Caller) -> JsonResponse:
    created = int(time.time())
    data = []
    for capability in Capability:
        for model in configured_models(caller.tenant, capability):
            data.append(
                {
                    "id": model.name,
                    "object": "model",
                    "created": created,
                    "owned_by": caller.tenant.slug,
                    "capability": capability.value,
                    "engine": model.spec.engine,
                }
            )
        for alias, target in aliases(caller.tenant, capability).items():
            data.append(
                {
                    "id": alias,
                    "object": "model",
                    "created": created,
                    "owned_by": caller.tenant.slug,
                    "capability": capability.value,
                    "alias_of": target,
                }
            )
    return _json({"object": "list", "data": data})


def _messages(data: dict) -> list[ChatMessage]:
    raw = data.get("messages")
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(_("messages must be a non-empty list."), param="messages")
    messages = []
    for item in raw:
        if not isinstance(item, dict):
            raise InvalidInput(_("Each message must be an object."), param="messages")
        content = item.get("content") or ""
        if isinstance(content, list):  # content parts: keep the text ones
            content = "".join(
                part.get("text", "")
                for part in content
                if isinstance(part, dict) and part.get("type") == "text"
            )
        if not isinstance(content, str):
            raise InvalidInput(_("Message content must be text."), param="messages")
        role = item.get("role")
        if role == "developer":
            role = "system"
        tool_call_id = item.get("tool_call_id")
        if tool_call_id is not None and not isinstance(tool_call_id, str):
            raise InvalidInput(_("tool_call_id must be a string."), param="messages")
        messages.append(
            ChatMessage(
                # Unchecked here: the gateway refuses any role but these (checked_messages).
                role=cast(Literal["system", "user", "assistant", "tool"], role),
                content=content,
                tool_calls=_tool_calls(item.get("tool_calls")) if role == "assistant" else None,
                tool_call_id=tool_call_id if role == "tool" else None,
            )
        )
    return messages


def _tool_calls(raw) -> list[dict] | None:
    """The calls an earlier assistant message made, as the client sends them back."""
    if raw is None:
        return None
    if not isinstance(raw, list):
        raise InvalidInput(_("tool_calls must be a list."), param="messages")
    calls = []
    for call in raw:
        function = call.get("function") if isinstance(call, dict) else None
        if (
            not isinstance(function, dict)
            or not isinstance(call.get("id"), str)
            or not isinstance(function.get("name"), str)
            or not isinstance(function.get("arguments"), str)
        ):
            raise InvalidInput(
                _(
                    "Each tool call needs an id and a function with a name and its arguments "
                    "as a JSON string."
                ),
                param="messages",
            )
        calls.append(
            {
                "id": call["id"],
                "type": "function",
                "function": {"name": function["name"], "arguments": function["arguments"]},
            }
        )
    return calls


_FUNCTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_TOOLS = 128


def _tools(data: dict) -> ToolUse | None:
    """OpenAI's `tools`, `tool_choice` and `parallel_tool_calls`, checked before any model
    sees them: a bad schema is the client's to fix (400), not the model's to guess."""
    raw = data.get("tools")
    if raw is None:
        return None
    if not isinstance(raw, list) or not raw or len(raw) > MAX_TOOLS:
        raise InvalidInput(
            _("tools must be a list of 1 to %(n)d functions.") % {"n": MAX_TOOLS}, param="tools"
        )
    tools, names = [], set()
    for tool in raw:
        function = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(function, dict) or tool.get("type") != "function":
            raise InvalidInput(
                _('Each tool must be {"type": "function", "function": {...}}.'), param="tools"
            )
        name = function.get("name")
        if not isinstance(name, str) or not _FUNCTION_NAME.match(name):
            raise InvalidInput(
                _("A function name must be 1 to 64 letters, digits, underscores or dashes."),
                param="tools",
            )
        parameters = function.get("parameters", {"type": "object", "properties": {}})
        if not isinstance(parameters, dict):
            raise InvalidInput(
                _("The parameters of %(name)s must be a JSON Schema object.") % {"name": name},
                param="tools",
            )
        names.add(name)
        spec = {"name": name, "parameters": parameters}
        if isinstance(function.get("description"), str):
            spec["description"] = function["description"]
        tools.append({"type": "function", "function": spec})
    choice = data.get("tool_choice", "auto")
    named = (
        choice["function"].get("name")
        if isinstance(choice, dict) and isinstance(choice.get("function"), dict)
        else None
    )
    if choice not in ("auto", "none", "required") and named not in names:
        raise InvalidInput(
            _(
                'tool_choice must be "auto", "none", "required" or '
                '{"type": "function", "function": {"name": ...}} naming one of the tools.'
            ),
            param="tool_choice",
        )
    parallel = data.get("parallel_tool_calls")
    if parallel is not None and not isinstance(parallel, bool):
        raise InvalidInput(_("parallel_tool_calls must be true or false."), param="tools")
    return ToolUse(tools=tools, choice=choice, parallel=parallel)


def _response_format(data: dict) -> dict | None:
    """OpenAI's response_format: text (the default), json_object, or json_schema (decoding
    constrained by the schema on servers that support it, llama.cpp and vLLM among them)."""
    value = data.get("response_format")
    if value is None:
        return None
    kind = value.get("type") if isinstance(value, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return {"type": "json_object"}
    if kind == "json_schema":
        spec = value.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise InvalidInput(
                _("response_format.json_schema needs a schema object."), param="response_format"
            )
        return {"type": "json_schema", "json_schema": spec}
    raise InvalidInput(
        _("response_format.type must be text, json_object or json_schema."),
        param="response_format",
    )


def _require_language_model(info, response_format: dict | None, tools: ToolUse | None) -> None:
    # The extractive fallback quotes the knowledge base; it can neither write JSON nor call a
    # function. A client that asked for either gets a clear 503 instead of an answer that
    # silently ignored what it asked.
    if info.generative:
        return
    if response_format:
        raise BackendUnavailable(
            _("No language model is available to answer in JSON right now; try again later.")
        )
    if tools and tools.choice != "none":
        raise BackendUnavailable(
            _("No language model is available to call functions right now; try again later.")
        )


@openai_endpoint("POST", Capability.CHAT)
def chat_completions(request: HttpRequest, caller: gateway.Caller) -> HttpResponseBase:
    data = _body(request)
    messages = _messages(data)
    max_tokens = _number(data, "max_completion_tokens", None, int, 1, 32768) or _number(
        data, "max_tokens", 512, int, 1, 32768
    )
    temperature = _number(data, "temperature", 0.7, float, 0.0, 2.0)
    completion_id = f"chatcmpl-{uuid.uuid4().hex}"
    created = int(time.time())
    response_format = _response_format(data)
    tools = _tools(data)
    if data.get("stream") and not tools:
        include_usage = bool((data.get("stream_options") or {}).get("include_usage"))
        stream = gateway.chat_stream(
            caller,
            messages,
            model=_model(data, caller, Capability.CHAT),
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
        )
        events = formats.chat_sse(stream, completion_id, created, include_usage, _suite_info)
        body = formats.async_chunks(events) if isinstance(request, ASGIRequest) else events
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return _suite_headers(response, stream.info)
    served = gateway.chat(
        caller,
        messages,
        model=_model(data, caller, Capability.CHAT),
        max_tokens=max_tokens,
        temperature=temperature,
        response_format=response_format,
        tools=tools,
    )
    _require_language_model(served.info, response_format, tools)
    result = served.value
    message: dict = {"role": "assistant", "content": result.text or None}
    if result.tool_calls:
        message["tool_calls"] = result.tool_calls
    else:
        message["content"] = result.text
    usage = {
        "prompt_tokens": result.prompt_tokens,
        "completion_tokens": result.completion_tokens,
        "total_tokens": result.prompt_tokens + result.completion_tokens,
    }
    x_suite = {**_suite_info(served.info), "citations": result.citations}
    if data.get("stream"):
        # With tools the model's answer is read whole (the calls must be parsed out of it) and
        # then sent as one stream, so a streaming client works unchanged.
        events = formats.whole_answer_sse(
            message, result.finish_reason, completion_id, created, served.info.model, x_suite,
            usage if (data.get("stream_options") or {}).get("include_usage") else None,
        )  # fmt: skip
        response = StreamingHttpResponse(events, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        return _suite_headers(response, served.info)
    body = {
        "id": completion_id,
        "object": "chat.completion",
        "created": created,
        "model": served.info.model,
        "choices": [{"index": 0, "message": message, "finish_reason": result.finish_reason}],
        "usage": usage,
        "x_suite": x_suite,
    }
    return _json(body)


@openai_endpoint("POST", Capability.CHAT)
def create_response(request: HttpRequest, caller: gateway.Caller) -> HttpResponseBase:
    """OpenAI's Responses API for text (see `responses`)."""
    data = _body(request)
    messages = responses.messages_of(data)
    max_tokens = _number(data, "max_output_tokens", 512, int, 1, 32768)
    temperature = _number(data, "temperature", 0.7, float, 0.0, 2.0)
    response_format = responses.text_format(data)
    model = _model(data, caller, Capability.CHAT)
    if data.get("stream"):
        stream = gateway.chat_stream(
            caller,
            messages,
            model=model,
            max_tokens=max_tokens,
            temperature=temperature,
            response_format=response_format,
        )
        events = responses.sse(stream, _suite_info)
        body = formats.async_chunks(events) if isinstance(request, ASGIRequest) else events
        response = StreamingHttpResponse(body, content_type="text/event-stream")
        response["Cache-Control"] = "no-cache"
        response["X-Accel-Buffering"] = "no"
        return _suite_headers(response, stream.info)
    served = gateway.chat(
        caller,
        messages,
        model=model,
        max_tokens=max_tokens,
        temperature=temperature,
        response_format=response_format,
    )
    _require_language_model(served.info, response_format, None)
    result = served.value
    answer = responses.body(
        responses.new_id("resp"),
        responses.new_id("msg"),
        int(time.time()),
        served.info.model,
        result,
        result.text,
        extra={"x_suite": {**_suite_info(served.info), "citations": result.citations}},
    )
    return _suite_headers(_json(answer), served.info)


@openai_endpoint("POST")
def moderations(request: HttpRequest, caller: gateway.Caller) -> JsonResponse:
    texts = moderation.texts_of(_body(request).get("input"))
    return _json(moderation.moderate(caller.tenant, texts))


@openai_endpoint("POST", Capability.EMBED)
def embeddings(request: HttpRequest, caller: gateway.Caller) -> JsonResponse:
    data = _body(request)
    raw = data.get("input")
    texts = [raw] if isinstance(raw, str) else raw
    if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
        raise InvalidInput(_("input must be a string or a list of strings."), param="input")
    if len(texts) > 2048:
        raise InvalidInput(_("At most 2048 inputs per request."), param="input")
    encoding = data.get("encoding_format") or "float"
    if encoding not in ("float", "base64"):
        raise InvalidInput(_("encoding_format must be float or base64."), param="encoding_format")
    model = _model(data, caller, Capability.EMBED)
    served = gateway.embed(caller, texts, model=model, kind="passage")
    vectors = np.asarray(served.value.vectors, dtype=np.float32)
    items = []
    for index, vector in enumerate(vectors):
        embedding = (
            base64.b64encode(vector.astype("<f4").tobytes()).decode()
            if encoding == "base64"
            else vector.tolist()
        )
        items.append({"object": "embedding", "index": index, "embedding": embedding})
    tokens = int(served.info.usage.get("tokens", 0))
    return _json(
        {
            "object": "list",
            "data": items,
            "model": served.info.model,
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            "x_suite": _suite_info(served.info),
        }
    )


def _upload(request: HttpRequest, field: str) -> bytes:
    upload = request.FILES.get(field)
    if upload is None:
        raise InvalidInput(
            _("Attach the %(field)s as multipart/form-data.") % {"field": field}, param=field
        )
    # A parsed upload always has its size; the stubs allow None for File in general.
    if cast(int, upload.size) > settings.AI_MAX_UPLOAD_BYTES:
        raise InvalidInput(
            _("The %(field)s is %(size)s bytes; the limit is %(limit)s bytes.")
            % {"field": field, "size": upload.size, "limit": settings.AI_MAX_UPLOAD_BYTES},
            param=field,
        )
    return upload.read()


@openai_endpoint("POST", Capability.TRANSCRIBE)
def audio_transcriptions(request: HttpRequest, caller: gateway.Caller) -> HttpResponse:
    audio = _upload(request, "file")
    form = request.POST
    response_format = form.get("response_format") or "json"
    if response_format not in formats.TRANSCRIPTION_FORMATS:
        raise InvalidInput(
            _("response_format must be one of %(formats)s.")
            % {"formats": ", ".join(formats.TRANSCRIPTION_FORMATS)},
            param="response_format",
        )
    granularities = form.getlist("timestamp_granularities[]") or form.getlist(
        "timestamp_granularities"
    )
    served = gateway.transcribe(
        caller,
        audio,
        model=_model(form, caller, Capability.TRANSCRIBE),
        language=form.get("language") or None,
        prompt=form.get("prompt") or None,
        word_timestamps="word" in granularities,
        itn=form.get("itn") in ("1", "true"),
        dialect=form.get("dialect") or "",
    )
    return formats.transcription_response(served, response_format, _suite_info, _suite_headers)


@openai_endpoint("POST", Capability.SYNTHESIZE)
def audio_speech(request: HttpRequest, caller: gateway.Caller) -> HttpResponseBase:
    from suite.media.audio_codecs import MEDIA_TYPES, encode_audio

    from ..labelling import audio_metadata

    data = _body(request)
    text = data.get("input")
    if not isinstance(text, str):
        raise InvalidInput(_("input must be text."), param="input")
    fmt = formats.SPEECH_FORMATS.get(data.get("response_format") or "mp3")
    if fmt is None:
        raise InvalidInput(
            _("response_format must be one of %(formats)s.")
            % {"formats": ", ".join(formats.SPEECH_FORMATS)},
            param="response_format",
        )
    sample_rate = _number(data, "sample_rate", None, int, 8000, 48000)
    if fmt == "mulaw" and sample_rate is None:
        sample_rate = 8000
    stream_format = data.get("stream_format") or "file"
    if stream_format not in ("file", "audio"):
        raise InvalidInput(_("stream_format must be audio or file."), param="stream_format")
    if stream_format == "audio":
        return _speech_stream(request, caller, data, text, fmt, sample_rate)
    model, voice = _speaker(data, caller, text)
    served = gateway.synthesize(
        caller,
        text,
        model=model,
        voice=voice,
        language=data.get("language") or None,
        speed=_number(data, "speed", 1.0, float, 0.25, 4.0),
        dialect=data.get("dialect") or "",
    )
    payload = encode_audio(
        served.value,
        fmt,
        sample_rate=sample_rate,
        metadata=audio_metadata(provider=served.info.engine, content_id=served.info.content_id),
    )
    response = HttpResponse(payload, content_type=MEDIA_TYPES[fmt])
    return _suite_headers(response, served.info)


def _speaker(data: dict, caller: gateway.Caller, text: str) -> tuple[str, str | None]:
    voice = data.get("voice") or None
    if voice is not None and not isinstance(voice, str):
        raise InvalidInput(_("voice must be a string."), param="voice")
    return openai_names.voice_for(
        caller.tenant,
        model=_model(data, caller, Capability.SYNTHESIZE),
        voice=voice,
        text=text,
        language=data.get("language") or None,
        dialect=data.get("dialect") or "",
    )


def _speech_stream(
    request: HttpRequest,
    caller: gateway.Caller,
    data: dict,
    text: str,
    fmt: str,
    sample_rate: int | None,
) -> HttpResponseBase:
    """Raw audio sentence by sentence: the first sentence plays while the rest are made.
    Only headerless formats can be cut at sentence boundaries and still play."""
    from suite.media.audio_codecs import MEDIA_TYPES, encode_audio

    if fmt not in ("pcm", "mulaw"):
        raise InvalidInput(
            _("Streaming speech needs response_format pcm or mulaw."), param="response_format"
        )
    model, voice = _speaker(data, caller, text)
    stream = gateway.synthesize_stream(
        caller,
        text,
        model=model,
        voice=voice,
        language=data.get("language") or None,
        speed=_number(data, "speed", 1.0, float, 0.25, 4.0),
        dialect=data.get("dialect") or "",
    )
    # One rate for the whole stream, whatever the backend's native rate.
    rate = sample_rate or 24000
    chunks = (encode_audio(clip, fmt, sample_rate=rate) for clip in stream)
    body = formats.async_chunks(chunks) if isinstance(request, ASGIRequest) else chunks
    response = StreamingHttpResponse(body, content_type=MEDIA_TYPES[fmt])
    response["X-Suite-Sample-Rate"] = str(rate)
    return _suite_headers(response, stream.info)


def _size(value: str | None) -> tuple[int, int]:
    value = value or "512x512"
    try:
        width, height = (int(v) for v in value.lower().split("x"))
    except ValueError as exc:
        raise InvalidInput(_("size must look like 512x512."), param="size") from exc
    return width, height


def _check_image_format(response_format: str) -> None:
    # URLs would mean hosting generated files for anonymous download; callers get the bytes.
    if response_format != "b64_json":
        raise InvalidInput(
            _("Only response_format=b64_json is supported."), param="response_format"
        )


def _image_response(served: gateway.Served) -> JsonResponse:
    from ..labelling import image_bytes_with_metadata

    data = [
        {
            "b64_json": base64.b64encode(
                image_bytes_with_metadata(
                    img, provider=served.info.engine, content_id=served.info.content_id
                )
            ).decode()
        }
        for img in served.value.images
    ]
    return _json({"created": int(time.time()), "data": data, "x_suite": _suite_info(served.info)})


@openai_endpoint("POST", Capability.GENERATE_IMAGE)
def image_generations(request: HttpRequest, caller: gateway.Caller) -> JsonResponse:
    data = _body(request)
    prompt = data.get("prompt")
    if not isinstance(prompt, str):
        raise InvalidInput(_("prompt must be text."), param="prompt")
    _check_image_format(data.get("response_format") or "b64_json")
    width, height = _size(data.get("size"))
    served = gateway.generate_image(
        caller,
        prompt,
        model=_model(data, caller, Capability.GENERATE_IMAGE),
        negative_prompt=data.get("negative_prompt") or "",
        width=width,
        height=height,
        steps=_number(data, "steps", None, int, 1, 150),
        seed=_number(data, "seed", None, int, 0, 2**32 - 1),
        style=data.get("style") or None,
        n=_number(data, "n", 1, int, 1, gateway.MAX_IMAGES_PER_CALL),
    )
    return _image_response(served)


@openai_endpoint("POST", Capability.EDIT_IMAGE)
def image_edits(request: HttpRequest, caller: gateway.Caller) -> JsonResponse:
    image = _upload(request, "image")
    form = request.POST
    if "mask" in request.FILES:
        raise InvalidInput(_("Masked edits (inpainting) are not supported."), param="mask")
    _check_image_format(form.get("response_format") or "b64_json")
    served = gateway.edit_image(
        caller,
        image,
        form.get("prompt") or "",
        model=_model(form, caller, Capability.EDIT_IMAGE),
        negative_prompt=form.get("negative_prompt") or "",
        strength=_number(form, "strength", 0.6, float, 0.01, 1.0),
        steps=_number(form, "steps", None, int, 1, 150),
        seed=_number(form, "seed", None, int, 0, 2**32 - 1),
        style=form.get("style") or None,
        n=_number(form, "n", 1, int, 1, gateway.MAX_IMAGES_PER_CALL),
    )
    return _image_response(served)


def not_found(request: HttpRequest, path: str = "") -> JsonResponse:
    return openai_error(404, _("Unknown endpoint /v1/%(path)s.") % {"path": path}, code="not_found")
