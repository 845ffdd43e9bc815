"""The OpenAI-compatible chat backend against a real local HTTP server, and the extractive one."""

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from suite.ai.backends import engine_class
from suite.ai.backends.base import BackendSpec
from suite.ai.backends.chat_extractive import ExtractiveAnswerBackend, not_found
from suite.ai.backends.chat_openai import OpenAICompatibleChatBackend
from suite.ai.citations import extract_notice as notice
from suite.ai.errors import BackendTimeout, BackendUnavailable, InvalidInput
from suite.ai.tokens import estimate_tokens
from suite.ai.types import ChatMessage, ChatResult, Passage

PASSAGES = [
    Passage(
        "kb-1", "国内流量用完后可以订购流量加油包，10元1GB，当月有效。", "知识库/流量加油包", 0.9
    ),
    Passage("kb-2", "出国前可以开通国际漫游功能。日本每天25元不限量。", "知识库/国际漫游", 0.7),
]


class FakeOpenAI(BaseHTTPRequestHandler):
    """Implements POST /v1/chat/completions; the test sets `mode` and reads `requests`."""

    mode = "ok"
    requests: list[dict] = []
    answer_parts = ["您可以订购", "流量加油包", "，10元1GB [1]。"]

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if self.path != "/v1/chat/completions":
            return self._json(404, {"error": {"message": "not found"}})
        if self.mode == "bad-request":
            return self._json(400, {"error": {"message": "max_tokens is too large: 99999"}})
        if self.mode == "old-server" and "stream_options" in body:
            return self._json(400, {"object": "error", "message": "stream_options: not permitted"})
        if self.mode == "server-error":
            return self._json(500, {"error": {"message": "CUDA out of memory"}})
        if self.mode == "slow":
            time.sleep(1.5)
        if body.get("stream"):
            return self._stream(include_usage=self.mode not in ("no-usage", "old-server"))
        text = "".join(self.answer_parts)
        return self._json(
            200,
            {
                "id": "cmpl-1",
                "object": "chat.completion",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 123, "completion_tokens": 17, "total_tokens": 140},
            },
        )

    def _json(self, status, data):
        payload = json.dumps(data).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _stream(self, include_usage: bool):
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        events = [{"choices": [{"index": 0, "delta": {"role": "assistant"}}]}]
        events += [{"choices": [{"index": 0, "delta": {"content": p}}]} for p in self.answer_parts]
        events.append({"choices": [{"index": 0, "delta": {}, "finish_reason": "length"}]})
        if include_usage:
            events.append({"choices": [], "usage": {"prompt_tokens": 99, "completion_tokens": 5}})
        self.wfile.write(b": keep-alive\n\n")
        for event in events:
            self.wfile.write(f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request, client_address):
        pass  # the timeout test hangs up on a slow handler on purpose


@pytest.fixture
def server():
    FakeOpenAI.mode = "ok"
    FakeOpenAI.requests = []
    httpd = QuietServer(("127.0.0.1", 0), FakeOpenAI)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


def backend(base_url: str, **options) -> OpenAICompatibleChatBackend:
    b = OpenAICompatibleChatBackend(
        BackendSpec("openai-compatible", options={"base_url": base_url, "model": "qwen", **options})
    )
    b.load()
    return b


QUESTION = [ChatMessage("user", "流量用完了怎么办？")]


def test_engines_are_registered():
    assert engine_class("openai-compatible") is OpenAICompatibleChatBackend
    assert engine_class("extractive") is ExtractiveAnswerBackend
    assert ExtractiveAnswerBackend.generative is False
    assert OpenAICompatibleChatBackend.generative is True


def test_chat_sends_grounded_request_and_maps_citations(server):
    result = backend(server, api_key="sk-test").chat(
        QUESTION, passages=PASSAGES, max_tokens=64, temperature=0.2
    )
    request = FakeOpenAI.requests[-1]
    body = request["body"]
    assert request["path"] == "/v1/chat/completions"
    assert request["auth"] == "Bearer sk-test"
    assert body["model"] == "qwen"
    assert body["max_tokens"] == 64 and body["temperature"] == 0.2
    assert body["stream"] is False
    system, user = body["messages"]
    # The rules in the system message (a cacheable prefix), the passages with the question.
    assert system["role"] == "system" and "[1]" in system["content"]
    assert "流量加油包" not in system["content"]
    assert user["role"] == "user"
    assert "[1] 国内流量用完后可以订购流量加油包" in user["content"]
    assert "[2] 出国前可以开通国际漫游功能" in user["content"]
    assert user["content"].endswith("问题：流量用完了怎么办？")
    assert "知识库/" not in user["content"]  # source labels would be copied into answers
    assert result.text == "您可以订购流量加油包，10元1GB [1]。"
    assert (result.prompt_tokens, result.completion_tokens) == (123, 17)
    assert result.citations == ["知识库/流量加油包"]


def test_chat_without_passages_sends_messages_unchanged(server):
    backend(server).chat([ChatMessage("system", "简短回答"), *QUESTION])
    body = FakeOpenAI.requests[-1]["body"]
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert body["messages"][0]["content"] == "简短回答"
    assert FakeOpenAI.requests[-1]["auth"] is None


def test_stream_reassembles_deltas_and_usage(server):
    items = list(backend(server).chat_stream(QUESTION, passages=PASSAGES))
    deltas, final = items[:-1], items[-1]
    assert deltas == FakeOpenAI.answer_parts
    assert isinstance(final, ChatResult)
    assert final.text == "".join(deltas)
    assert (final.prompt_tokens, final.completion_tokens) == (99, 5)
    assert final.finish_reason == "length"
    assert final.citations == ["知识库/流量加油包"]
    body = FakeOpenAI.requests[-1]["body"]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}


def test_stream_without_usage_estimates_tokens(server):
    FakeOpenAI.mode = "no-usage"
    final = list(backend(server).chat_stream(QUESTION))[-1]
    assert final.completion_tokens == estimate_tokens(final.text) > 0
    assert final.prompt_tokens >= estimate_tokens(QUESTION[0].content)


def test_stream_retries_without_stream_options_on_old_servers(server):
    FakeOpenAI.mode = "old-server"
    final = list(backend(server).chat_stream(QUESTION))[-1]
    assert final.text == "".join(FakeOpenAI.answer_parts)
    assert "stream_options" in FakeOpenAI.requests[0]["body"]
    assert "stream_options" not in FakeOpenAI.requests[1]["body"]
    assert final.completion_tokens == estimate_tokens(final.text)


def test_400_is_invalid_input_with_the_server_message(server):
    FakeOpenAI.mode = "bad-request"
    with pytest.raises(InvalidInput, match="max_tokens is too large"):
        backend(server).chat(QUESTION)
    with pytest.raises(InvalidInput, match="max_tokens is too large"):
        list(backend(server).chat_stream(QUESTION))


def test_5xx_and_unknown_path_are_unavailable(server):
    FakeOpenAI.mode = "server-error"
    with pytest.raises(BackendUnavailable, match="500"):
        backend(server).chat(QUESTION)
    FakeOpenAI.mode = "ok"
    with pytest.raises(BackendUnavailable, match="404"):
        backend(server.removesuffix("/v1") + "/wrong").chat(QUESTION)


def test_server_down_is_unavailable():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(BackendUnavailable):
        backend(f"http://127.0.0.1:{port}/v1").chat(QUESTION)
    with pytest.raises(BackendUnavailable):
        list(backend(f"http://127.0.0.1:{port}/v1").chat_stream(QUESTION))


def test_timeout_is_backend_timeout(server):
    FakeOpenAI.mode = "slow"
    with pytest.raises(BackendTimeout):
        backend(server, timeout=0.3).chat(QUESTION)


def test_misconfiguration_is_unavailable():
    with pytest.raises(BackendUnavailable):
        OpenAICompatibleChatBackend(BackendSpec("openai-compatible", options={})).load()
    with pytest.raises(BackendUnavailable):
        OpenAICompatibleChatBackend(
            BackendSpec("openai-compatible", options={"base_url": "http://127.0.0.1:1/v1"})
        ).load()


# --- extractive -----------------------------------------------------------------------------

KB = [
    Passage(
        "a1",
        "流量加油包10元1GB，当月有效。国内流量用完后会按每GB5元计费。夜间流量包每月9元。",
        "流量说明",
        0.8,
    ),
    Passage(
        "a2",
        "宽带无法上网时，请先重启光猫和路由器。如果光猫LOS灯为红色，请拨打10086报修。"
        "千兆宽带每月199元。",
        "宽带故障处理",
        0.7,
    ),
    Passage(
        "a3",
        "出国前可以开通国际漫游功能。日本和韩国漫游流量包每天25元。回国后漫游功能不会自动关闭。",
        "国际漫游指南",
        0.6,
    ),
    Passage("a4", "电子发票可以在App的账单页面开具，支持按月下载PDF。", "发票", 0.5),
]


@pytest.fixture(scope="module")
def extractive():
    b = ExtractiveAnswerBackend(BackendSpec("extractive"))
    b.load()
    return b


@pytest.mark.parametrize(
    ("question", "source", "marker", "must_contain"),
    [
        ("光猫LOS灯红色怎么办", "宽带故障处理", "[2]", "拨打10086报修"),
        ("去日本漫游流量包多少钱", "国际漫游指南", "[3]", "每天25元"),
        ("流量加油包多少钱", "流量说明", "[1]", "10元1GB"),
        ("怎么开电子发票", "发票", "[4]", "账单页面开具"),
    ],
)
def test_extractive_cites_the_right_passage(extractive, question, source, marker, must_contain):
    result = extractive.chat(
        [ChatMessage("user", "你好"), ChatMessage("user", question)], passages=KB
    )
    assert result.text.startswith(notice())
    assert must_contain in result.text
    assert marker in result.text
    assert result.citations[0] == source
    assert f"{marker} {source}" in result.text  # the sources list
    body = result.text.split("\n\n")[0]
    assert body.count("[") <= 3  # at most three quoted sentences
    assert result.completion_tokens == estimate_tokens(result.text)


PLANS = [
    Passage("p1", "4G飞享套餐每月38元，包含5GB国内通用流量和100分钟国内通话。", "4G飞享套餐", 1.0),
    Passage(
        "p2", "校园套餐每月29元。办理时需提供学生证，毕业后自动转为4G飞享套餐。", "校园套餐", 0.9
    ),
]


def test_extractive_leaves_out_an_article_that_only_mentions_the_product(extractive):
    result = extractive.chat([ChatMessage("user", "4G飞享套餐每月多少钱")], passages=PLANS)
    assert "38元" in result.text
    assert "学生证" not in result.text and "校园套餐" not in result.text
    assert result.citations == ["4G飞享套餐"]


def test_extractive_keeps_a_second_article_that_answers_more_of_the_question(extractive):
    asked = "4G飞享套餐和校园套餐每月多少钱"
    result = extractive.chat([ChatMessage("user", asked)], passages=PLANS)
    assert "38元" in result.text and "29元" in result.text
    assert result.citations == ["4G飞享套餐", "校园套餐"]


def test_extractive_refuses_irrelevant_questions(extractive):
    result = extractive.chat([ChatMessage("user", "今天北京天气怎么样")], passages=KB)
    assert result.text == not_found()
    assert result.citations == []
    assert notice() not in result.text


def test_extractive_without_passages_says_so(extractive):
    result = extractive.chat(QUESTION, passages=None)
    assert result.text == not_found()
    assert result.citations == []


def test_extractive_answers_only_the_last_user_message(extractive):
    messages = [
        ChatMessage("user", "光猫LOS灯红色怎么办"),
        ChatMessage("assistant", "请重启光猫。"),
        ChatMessage("user", "电子发票在哪里开"),
    ]
    assert extractive.chat(messages, passages=KB).citations == ["发票"]


def test_extractive_stream_yields_sentences_then_result(extractive):
    items = list(extractive.chat_stream([ChatMessage("user", "流量加油包多少钱")], passages=KB))
    chunks, final = items[:-1], items[-1]
    assert len(chunks) >= 3  # notice, at least one sentence, sources
    assert all(isinstance(c, str) for c in chunks)
    assert isinstance(final, ChatResult)
    assert "".join(chunks) == final.text
    assert final.citations == ["流量说明"]


def test_extractive_needs_a_question(extractive):
    with pytest.raises(InvalidInput):
        extractive.chat([ChatMessage("assistant", "您好")], passages=KB)
