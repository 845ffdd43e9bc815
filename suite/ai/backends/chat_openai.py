"""Chat through any OpenAI-compatible server (vLLM, Ollama, a cloud endpoint) over HTTP.

Options: `base_url` (e.g. http://gpu-1:8000/v1; a full .../chat/completions URL also works) or
`base_urls` (several servers of the same model, balanced by `suite.ai.replicas`), `model`,
optional `api_key`, `timeout` (seconds) and `cooldown` (seconds a failed server sits out).
Transport failures, timeouts, 5xx and the 4xx that mean "this server cannot serve us" (auth,
unknown model, rate limit) raise BackendUnavailable so the next server, then the gateway's next
model, answers; other 4xx are the caller's input (InvalidInput).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from django.utils.translation import gettext as _

from ..capabilities import Capability
from ..citations import NO_ANSWER, supporting
from ..errors import BackendTimeout, BackendUnavailable, InvalidInput
from ..replicas import Replicas
from ..tokens import estimate_tokens
from ..types import ChatMessage, ChatResult, Passage, ToolUse
from .base import BackendSpec, ChatBackend, register

DEFAULT_TIMEOUT_S = 60.0
DEFAULT_COOLDOWN_S = 30.0
# Status codes that say the server (not the request) is the problem: fall back.
UNAVAILABLE_4XX = frozenset({401, 403, 404, 408, 409, 429})

# Written for small models (a 1.5B follows it): short and concrete.
GROUNDING_RULES = (
    "请只根据用户消息中编号的资料回答问题，不要使用资料以外的知识，不要编造。"
    "用户的说法可能和资料的措辞不同，先理解意思再找对应的资料。"
    "回答简洁，照抄资料中的价格、数量、条件、短信指令和号码，并在句末用方括号标注所用资料的编号，例如[1]。"
    f"如果资料中没有答案，请直接回答“抱歉，{NO_ANSWER}。”"
)


def passages_block(passages: list[Passage]) -> str:
    # The passage text only: source labels ("KB-15") would be copied into the answer.
    lines = [f"[{n}] {passage.text.strip()}" for n, passage in enumerate(passages, start=1)]
    return "资料：\n" + "\n".join(lines)


def cited_sources(text: str, passages: list[Passage] | None) -> list[str]:
    """Sources of the passages the answer draws on (its [n] markers, checked against its words)."""
    return [p.source or p.id for p in supporting(text, passages)]


@register
class OpenAICompatibleChatBackend(ChatBackend):
    engine = "openai-compatible"
    capabilities = frozenset({Capability.CHAT})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self._client: httpx.Client | None = None
        self._servers: Replicas | None = None

    def load(self) -> None:
        listed = self.options.get("base_urls")
        if not (isinstance(listed, list) and listed):
            listed = [self.options.get("base_url") or self.spec.path or ""]
        urls = [_completions_url(str(base)) for base in listed]
        if not self.options.get("model"):
            raise BackendUnavailable(_("No model name is configured for the chat server."))
        cooldown = float(self.options.get("cooldown") or DEFAULT_COOLDOWN_S)
        self._servers = Replicas(urls, cooldown_s=cooldown)
        headers = {"Accept": "application/json"}
        if self.options.get("api_key"):
            headers["Authorization"] = f"Bearer {self.options['api_key']}"
        timeout = float(self.options.get("timeout") or DEFAULT_TIMEOUT_S)
        self._client = httpx.Client(
            headers=headers, timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0))
        )

    def _payload(
        self,
        messages: list[ChatMessage],
        passages: list[Passage] | None,
        max_tokens: int,
        temperature: float,
        stream: bool,
        response_format: dict | None = None,
        tools: ToolUse | None = None,
    ) -> dict[str, Any]:
        if not messages:
            raise InvalidInput(_("The conversation has no messages."), param="messages")
        wire = [_wire(m) for m in messages]
        if passages:
            # The rules join the caller's system message (the same prefix for every request, so
            # the server's prompt cache keeps it); the passages go with the question, where a
            # small model reads them most reliably.
            system = GROUNDING_RULES
            if wire[0]["role"] == "system":
                system = wire.pop(0)["content"] + "\n" + system
            wire.insert(0, {"role": "system", "content": system})
            question = wire[-1]
            question["content"] = passages_block(passages) + "\n\n问题：" + question["content"]
        payload: dict[str, Any] = {
            "model": self.options["model"],
            "messages": wire,
            "max_tokens": max_tokens,
            "temperature": temperature,
            "stream": stream,
        }
        if stream:
            payload["stream_options"] = {"include_usage": True}
        if response_format:
            payload["response_format"] = response_format
        if tools:
            payload["tools"] = tools.tools
            payload["tool_choice"] = tools.choice
            if tools.parallel is not None:
                payload["parallel_tool_calls"] = tools.parallel
        return payload

    def _ensure_loaded(self) -> tuple[httpx.Client, Replicas]:
        if self._client is None:
            self.load()
        assert self._client is not None and self._servers is not None
        return self._client, self._servers

    def chat(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,
        tools: ToolUse | None = None,
    ) -> ChatResult:
        client, servers = self._ensure_loaded()
        payload = self._payload(
            messages, passages, max_tokens, temperature, False, response_format, tools
        )

        def send(url: str) -> httpx.Response:
            with _transport_errors(url):
                response = client.post(url, json=payload)
            _raise_for_status(response.status_code, response.text)
            return response

        response = servers.first_answer(send)
        try:
            data = response.json()
            choice = data["choices"][0]
            text = choice["message"].get("content") or ""
            calls = [_tool_call(c) for c in choice["message"].get("tool_calls") or []]
            if tools and not calls and (written := _call_written_as_text(text, tools)):
                calls, text = [written], ""
        except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
            raise BackendUnavailable(
                _("The chat server returned a response that is not OpenAI-compatible.")
            ) from exc
        prompt_tokens, completion_tokens = _usage(data.get("usage"), payload, text)
        return ChatResult(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            # Also for a call read out of the text (the server saw an answer and said "stop").
            finish_reason="tool_calls" if calls else choice.get("finish_reason") or "stop",
            citations=cited_sources(text, passages),
            tool_calls=calls,
        )

    def chat_stream(
        self,
        messages: list[ChatMessage],
        *,
        passages: list[Passage] | None = None,
        max_tokens: int = 512,
        temperature: float = 0.7,
        response_format: dict | None = None,
    ) -> Iterator[str | ChatResult]:
        client, servers = self._ensure_loaded()
        payload = self._payload(messages, passages, max_tokens, temperature, True, response_format)
        parts: list[str] = []
        state: dict[str, Any] = {"usage": None, "finish_reason": "stop"}
        opened: dict[str, str] = {}

        def open_on(url: str) -> httpx.Response:
            with _transport_errors(url):
                response = self._open_stream(client, url, payload)
            opened["url"] = url
            return response

        response = servers.first_answer(open_on)
        url = opened["url"]
        with servers.lease(url), _transport_errors(url):
            try:
                for event in _sse_events(response.iter_lines()):
                    if event.get("error"):
                        raise BackendUnavailable(
                            _("The chat server failed mid-answer: %(message)s")
                            % {"message": _error_message(event)}
                        )
                    for delta in _apply_event(event, state):
                        parts.append(delta)
                        yield delta
            finally:
                response.close()
        text = "".join(parts)
        prompt_tokens, completion_tokens = _usage(state["usage"], payload, text)
        yield ChatResult(
            text=text,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            finish_reason=state["finish_reason"],
            citations=cited_sources(text, passages),
        )

    def _open_stream(
        self, client: httpx.Client, url: str, payload: dict[str, Any]
    ) -> httpx.Response:
        """Opens the SSE response; retries once without stream_options for servers that
        reject the field (older vLLM and some proxies answer 400 to it)."""
        response = client.send(client.build_request("POST", url, json=payload), stream=True)
        if response.status_code < 400:
            return response
        body = response.read().decode("utf-8", "replace")
        response.close()
        if response.status_code == 400 and "stream_options" in body:
            retry = {key: value for key, value in payload.items() if key != "stream_options"}
            return self._open_stream(client, url, retry)
        _raise_for_status(response.status_code, body)
        raise AssertionError("unreachable")


def _wire(message: ChatMessage) -> dict[str, Any]:
    wire: dict[str, Any] = {"role": message.role, "content": message.content}
    if message.tool_calls:
        wire["tool_calls"] = message.tool_calls
    if message.tool_call_id:
        wire["tool_call_id"] = message.tool_call_id
    return wire


def _tool_call(call: dict[str, Any]) -> dict[str, Any]:
    """One call as OpenAI writes it; `arguments` is a JSON string (some servers send an
    object)."""
    function = call["function"]
    arguments = function.get("arguments") or "{}"
    if not isinstance(arguments, str):
        arguments = json.dumps(arguments, ensure_ascii=False)
    return {
        # The client answers a call by its id: one the server left out is made up here.
        "id": str(call.get("id") or f"call_{uuid.uuid4().hex[:24]}"),
        "type": "function",
        "function": {"name": str(function["name"]), "arguments": arguments},
    }


_FENCED = re.compile(r"^```(?:json)?\s*(.*?)\s*```$", re.DOTALL)


def _call_written_as_text(text: str, tools: ToolUse) -> dict[str, Any] | None:
    """A call the model wrote as its whole answer instead of in its template's call tags.

    Qwen2.5-Coder-1.5B answers "帮我查一下深圳今天的天气" with a ```json block holding
    {"name": "get_weather", "arguments": {...}}: the format its template asks for, minus the
    <tool_call> tags the server parses. Taken as a call only when the answer is nothing else
    and names an offered function; anything looser would turn an explanation into an action."""
    if tools.choice == "none":
        return None
    body = text.strip()
    if fenced := _FENCED.match(body):
        body = fenced.group(1)
    try:
        data = json.loads(body)
    except ValueError:
        return None
    offered = {t["function"]["name"] for t in tools.tools}
    if (
        not isinstance(data, dict)
        or set(data) != {"name", "arguments"}
        or data["name"] not in offered
        or not isinstance(data["arguments"], dict | str)
    ):
        return None
    return _tool_call({"function": data})


def _apply_event(event: dict[str, Any], state: dict[str, Any]) -> list[str]:
    """Content deltas of one stream event; records usage and finish_reason in `state`."""
    state["usage"] = event.get("usage") or state["usage"]
    deltas = []
    for choice in event.get("choices") or []:
        delta = (choice.get("delta") or {}).get("content")
        if delta:
            deltas.append(delta)
        state["finish_reason"] = choice.get("finish_reason") or state["finish_reason"]
    return deltas


def _completions_url(base: str) -> str:
    url = base.strip().rstrip("/")
    if not url.startswith(("http://", "https://")):
        raise BackendUnavailable(
            _("The chat server URL %(url)s is not an http(s) URL.") % {"url": url}
        )
    return url if url.endswith("/chat/completions") else url + "/chat/completions"


@contextmanager
def _transport_errors(url: str) -> Iterator[None]:
    """Maps httpx transport failures (also those raised while streaming) to our errors."""
    try:
        yield
    except httpx.TimeoutException as exc:
        raise BackendTimeout(
            _("The chat server at %(url)s did not answer in time.") % {"url": url}
        ) from exc
    except httpx.HTTPError as exc:
        raise BackendUnavailable(
            _("The chat server at %(url)s cannot be reached.") % {"url": url}
        ) from exc


def _sse_events(lines: Iterator[str]) -> Iterator[dict[str, Any]]:
    for line in lines:
        if not line.startswith("data:"):
            continue  # blank separators, comments (":"), event:/id: fields
        data = line[5:].strip()
        if data == "[DONE]":
            return
        try:
            event = json.loads(data)
        except ValueError as exc:
            raise BackendUnavailable(_("The chat server sent a malformed stream.")) from exc
        if isinstance(event, dict):
            yield event


def _raise_for_status(status: int, body: str) -> None:
    if status < 400:
        return
    try:
        message = _error_message(json.loads(body))
    except ValueError:
        message = body.strip()[:500]
    message = message or f"HTTP {status}"
    if status >= 500 or status in UNAVAILABLE_4XX:
        raise BackendUnavailable(
            _("The chat server answered %(status)d: %(message)s")
            % {"status": status, "message": message}
        )
    raise InvalidInput(
        _("The chat server rejected the request: %(message)s") % {"message": message}
    )


def _error_message(data: Any) -> str:
    if isinstance(data, dict):
        error = data.get("error", data.get("detail", data.get("message", "")))
        if isinstance(error, dict):
            return str(error.get("message") or error)
        return str(error)
    return str(data)[:500]


def _usage(usage: Any, payload: dict[str, Any], text: str) -> tuple[int, int]:
    if isinstance(usage, dict) and "prompt_tokens" in usage:
        return int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0)
    # The server reported no usage (older servers ignore stream_options): estimate.
    prompt = sum(estimate_tokens(m["content"] or "") + 4 for m in payload["messages"])
    return prompt, estimate_tokens(text)
