"""What the subscriber gets when the language model says the passages hold no answer.

The model here is a scripted OpenAI-compatible server that always refuses: the path under test
is the dialogue's handling of a refusal, not the model's judgement (tests/customer_service/
test_llm_answers.py covers the real model)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from customer_service.services import dialogue
from customer_service.services.knowledge import article_create
from suite.ai.backends.chat_openai import NO_ANSWER
from suite.ai.config_cache import invalidate
from suite.ai.models import UsageRecord

pytestmark = pytest.mark.django_db


class AlwaysRefuses(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        body = json.dumps(
            {
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": f"抱歉，{NO_ANSWER}。"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 50, "completion_tokens": 8},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def refusing_model(settings):
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), AlwaysRefuses)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [
            {
                "name": "refuser",
                "engine": "openai-compatible",
                "options": {
                    "base_url": f"http://127.0.0.1:{httpd.server_address[1]}/v1",
                    "model": "refuser",
                },
            },
            {"name": "extractive-answerer", "engine": "extractive"},
        ],
    }
    invalidate()
    yield
    httpd.shutdown()
    httpd.server_close()
    invalidate()


@pytest.fixture
def roaming(tenant_a):
    return article_create(
        tenant=tenant_a, title="国际漫游开通", category="漫游", status="published",
        body="出国前发送短信KTGJMY到10086开通国际漫游，日本每天25元不限量。",
    )  # fmt: skip


def ask(tenant, text):
    conversation = dialogue.conversation_start(tenant=tenant)
    return dialogue.conversation_message(conversation=conversation, text=text)


def test_a_refusal_over_an_article_sharing_the_questions_words_gives_the_labelled_extract(
    tenant_a, roaming, refusing_model
):
    reply = ask(tenant_a, "出国前怎么开通国际漫游？")
    assert "KTGJMY" in reply.bot_turn.text
    assert reply.bot_turn.citations == [{"id": roaming.pk, "title": "国际漫游开通"}]
    assert reply.bot_turn.fallback is True and reply.bot_turn.model == ""
    assert reply.customer_turn.answered is True
    used = UsageRecord.objects.filter(tenant=tenant_a, capability="chat").order_by("pk")
    assert [u.model for u in used] == ["refuser", "extractive-answerer"]


def test_a_refusal_with_nothing_relevant_stands(tenant_a, roaming, refusing_model):
    reply = ask(tenant_a, "在你们这买新手机能分期免息吗")
    assert reply.customer_turn.answered is False
    assert reply.bot_turn.citations == []
    assert "KTGJMY" not in reply.bot_turn.text
