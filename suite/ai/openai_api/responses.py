"""OpenAI's Responses API (`/v1/responses`, the newer clients' default) for text: its input and
instructions read as chat messages, its answer and stream events written in its shape. The
call itself is the same gateway chat as `/v1/chat/completions`. Nothing is stored, so
`previous_response_id` is refused with a message that says to send the conversation."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Literal

from django.utils.translation import gettext as _

from ..errors import InvalidInput
from ..types import ChatMessage, ChatResult
from .formats import _sse

# Keyed by object: it is looked up with whatever JSON value the client sent as the role.
ROLES: dict[object, Literal["user", "assistant", "system"]] = {
    "user": "user",
    "assistant": "assistant",
    "system": "system",
    "developer": "system",
}
TEXT_PARTS = {"input_text", "output_text", "text"}


def new_id(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex}"


def messages_of(data: dict) -> list[ChatMessage]:
    if data.get("previous_response_id"):
        raise InvalidInput(
            _("This server does not keep responses: send the whole conversation in input."),
            param="previous_response_id",
        )
    if data.get("tools"):
        raise InvalidInput(
            _("Tools are served by /v1/chat/completions; /v1/responses answers text."),
            param="tools",
        )
    messages: list[ChatMessage] = []
    instructions = data.get("instructions")
    if instructions is not None:
        if not isinstance(instructions, str):
            raise InvalidInput(_("instructions must be a string."), param="instructions")
        messages.append(ChatMessage("system", instructions))
    raw = data.get("input")
    if isinstance(raw, str):
        raw = [{"role": "user", "content": raw}]
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(
            _("input must be a string or a non-empty list of messages."), param="input"
        )
    for item in raw:
        messages.append(_message(item))
    return messages


def _message(item) -> ChatMessage:
    if not isinstance(item, dict) or item.get("type", "message") != "message":
        raise InvalidInput(
            _("Each input item must be a message with a role and text content."), param="input"
        )
    role = ROLES.get(item.get("role"))
    if role is None:
        raise InvalidInput(
            _("A message's role must be user, assistant, system or developer."), param="input"
        )
    content = item.get("content")
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, dict) or part.get("type") not in TEXT_PARTS:
                raise InvalidInput(
                    _("Only text content is accepted here (input_text parts)."), param="input"
                )
            parts.append(str(part.get("text") or ""))
        content = "".join(parts)
    if not isinstance(content, str):
        raise InvalidInput(_("A message's content must be text."), param="input")
    return ChatMessage(role, content)


def text_format(data: dict) -> dict | None:
    """`text.format` as the chat backends take it (json_schema decodes under a grammar)."""
    spec = (data.get("text") or {}).get("format") if isinstance(data.get("text"), dict) else None
    if spec is None or spec.get("type") == "text":
        return None
    if spec.get("type") == "json_object":
        return {"type": "json_object"}
    if spec.get("type") == "json_schema" and isinstance(spec.get("schema"), dict):
        schema = {"name": spec.get("name") or "answer", "schema": spec["schema"]}
        if "strict" in spec:
            schema["strict"] = bool(spec["strict"])
        return {"type": "json_schema", "json_schema": schema}
    raise InvalidInput(
        _("text.format must be text, json_object or json_schema with a schema."), param="text"
    )


def body(
    response_id: str, message_id: str, created: int, model: str, result: ChatResult | None,
    text: str, status: str = "completed", extra: dict | None = None,
) -> dict:  # fmt: skip
    usage = None
    if result is not None:
        usage = {
            "input_tokens": result.prompt_tokens,
            "output_tokens": result.completion_tokens,
            "total_tokens": result.prompt_tokens + result.completion_tokens,
        }
    output = [
        {
            "type": "message",
            "id": message_id,
            "status": status,
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": []}],
        }
    ]
    return {
        "id": response_id,
        "object": "response",
        "created_at": created,
        "status": status,
        "model": model,
        "output": output if status == "completed" or text else [],
        "parallel_tool_calls": False,
        "tool_choice": "none",
        "tools": [],
        "usage": usage,
        **(extra or {}),
    }


def sse(stream, suite_info: Callable) -> Iterator[bytes]:
    """The Responses stream: created, the message and its text part opened, text deltas, both
    closed, completed (with usage); each event numbered as OpenAI numbers them."""
    response_id, message_id, created = new_id("resp"), new_id("msg"), int(time.time())
    number = iter(range(1_000_000))

    def event(kind: str, **fields) -> bytes:
        return _sse({"type": kind, "sequence_number": next(number), **fields})

    def events() -> Iterator[bytes]:
        model = stream.info.model
        yield event(
            "response.created",
            response=body(response_id, message_id, created, model, None, "", "in_progress"),
        )
        item = {"type": "message", "id": message_id, "status": "in_progress",
                "role": "assistant", "content": []}  # fmt: skip
        yield event("response.output_item.added", output_index=0, item=item)
        place = {"item_id": message_id, "output_index": 0, "content_index": 0}
        part = {"type": "output_text", "text": "", "annotations": []}
        yield event("response.content_part.added", **place, part=part)
        text = ""
        for delta in stream:
            text += delta
            yield event("response.output_text.delta", **place, delta=delta)
        yield event("response.output_text.done", **place, text=text)
        yield event("response.content_part.done", **place, part={**part, "text": text})
        done = body(response_id, message_id, created, model, stream.result, text)
        yield event("response.output_item.done", output_index=0, item=done["output"][0])
        done["x_suite"] = suite_info(stream.info)
        yield event("response.completed", response=done)

    return events()
