"""Response formats of the OpenAI-compatible API: SSE chat chunks and transcript renderings."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Iterator

from asgiref.sync import sync_to_async
from django.http import HttpResponse, JsonResponse

from ..types import Transcript

TRANSCRIPTION_FORMATS = ("json", "text", "srt", "vtt", "verbose_json")
# OpenAI's names -> our encoder's formats ("opus" is Ogg/Opus, as OpenAI serves it).
SPEECH_FORMATS = {
    "mp3": "mp3",
    "opus": "ogg",
    "ogg": "ogg",
    "wav": "wav",
    "flac": "flac",
    "pcm": "pcm",
    "mulaw": "mulaw",
}


def _sse(payload: dict | str) -> bytes:
    data = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return f"data: {data}\n\n".encode()


def chat_sse(stream, completion_id: str, created: int, include_usage: bool, suite_info: Callable):
    def chunk(delta: dict, finish_reason: str | None) -> dict:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": stream.info.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    def events() -> Iterator[bytes]:
        yield _sse(chunk({"role": "assistant", "content": ""}, None))
        for delta in stream:
            yield _sse(chunk({"content": delta}, None))
        result = stream.result
        last = chunk({}, result.finish_reason if result else "stop")
        last["x_suite"] = {
            **suite_info(stream.info),
            "citations": result.citations if result else [],
        }
        yield _sse(last)
        if include_usage and result is not None:
            usage = {
                "prompt_tokens": result.prompt_tokens,
                "completion_tokens": result.completion_tokens,
                "total_tokens": result.prompt_tokens + result.completion_tokens,
            }
            yield _sse({**chunk({}, None), "choices": [], "usage": usage})
        yield _sse("[DONE]")

    return events()


def whole_answer_sse(
    message: dict,
    finish_reason: str,
    completion_id: str,
    created: int,
    model: str,
    x_suite: dict,
    usage: dict | None,
) -> Iterator[bytes]:
    """An answer already complete, as OpenAI streams one: the role, the content or each tool
    call (with its index), the finish, the usage when asked, [DONE]."""

    def chunk(delta: dict, finish: str | None) -> dict:
        return {
            "id": completion_id,
            "object": "chat.completion.chunk",
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    yield _sse(chunk({"role": "assistant", "content": message.get("content") or ""}, None))
    for index, call in enumerate(message.get("tool_calls") or []):
        yield _sse(chunk({"tool_calls": [{"index": index, **call}]}, None))
    yield _sse({**chunk({}, finish_reason), "x_suite": x_suite})
    if usage is not None:
        yield _sse({**chunk({}, None), "choices": [], "usage": usage})
    yield _sse("[DONE]")


async def async_chunks(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Under ASGI, Django buffers a synchronous iterator whole before sending it; handing it
    an async one makes each SSE event leave as soon as the model produces it."""
    while (chunk := await sync_to_async(_next_chunk)(chunks)) is not None:
        yield chunk


def _next_chunk(chunks: Iterator[bytes]) -> bytes | None:
    # A named function, not next(chunks, sentinel): sync_to_async types only next's first
    # overload. None works as the end mark as the chunks are bytes.
    return next(chunks, None)


def _timestamp(seconds: float, separator: str) -> str:
    millis = round(seconds * 1000)
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{separator}{millis:03d}"


def to_srt(transcript: Transcript) -> str:
    blocks = []
    for index, seg in enumerate(transcript.segments, start=1):
        start, end = _timestamp(seg.start, ","), _timestamp(seg.end, ",")
        blocks.append(f"{index}\n{start} --> {end}\n{seg.text.strip()}\n")
    return "\n".join(blocks)


def to_vtt(transcript: Transcript) -> str:
    cues = [
        f"{_timestamp(seg.start, '.')} --> {_timestamp(seg.end, '.')}\n{seg.text.strip()}\n"
        for seg in transcript.segments
    ]
    return "WEBVTT\n\n" + "\n".join(cues)


def verbose(transcript: Transcript) -> dict:
    body = {
        "task": "transcribe",
        "language": transcript.language,
        "duration": transcript.duration_s,
        "text": transcript.text,
        "segments": [
            {"id": i, "start": s.start, "end": s.end, "text": s.text}
            for i, s in enumerate(transcript.segments)
        ],
    }
    words = [w for s in transcript.segments for w in s.words]
    if words:
        body["words"] = [{"word": w.word, "start": w.start, "end": w.end} for w in words]
    return body


def transcription_response(served, response_format: str, suite_info, suite_headers):
    transcript: Transcript = served.value
    response: HttpResponse
    if response_format == "json":
        response = JsonResponse(
            {"text": transcript.text, "x_suite": suite_info(served.info)},
            json_dumps_params={"ensure_ascii": False},
        )
    elif response_format == "verbose_json":
        response = JsonResponse(
            {**verbose(transcript), "x_suite": suite_info(served.info)},
            json_dumps_params={"ensure_ascii": False},
        )
    elif response_format == "srt":
        response = HttpResponse(
            to_srt(transcript), content_type="application/x-subrip; charset=utf-8"
        )
    elif response_format == "vtt":
        response = HttpResponse(to_vtt(transcript), content_type="text/vtt; charset=utf-8")
    else:
        response = HttpResponse(transcript.text, content_type="text/plain; charset=utf-8")
    return suite_headers(response, served.info)
