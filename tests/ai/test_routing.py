"""Routing: several servers of one model share its load and a failing one sits out; a model
that failed is tried after its fallbacks for a while, so a dead server costs one caller its
timeout instead of every caller."""

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from suite.ai import gateway
from suite.ai.capabilities import Capability
from suite.ai.errors import BackendUnavailable
from suite.ai.loader import unload_all
from suite.ai.models import AiModel
from suite.ai.replicas import Replicas
from suite.ai.types import ChatMessage
from tests.llm import ScriptedModel

pytestmark = pytest.mark.django_db


class FailingServer:
    """Answers every request with a 503 and counts them."""

    def __init__(self) -> None:
        self.hits = 0
        owner = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                owner.hits += 1
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(503)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    made: list = []

    def make(kind):
        server = kind()
        made.append(server)
        return server

    yield make
    for server in made:
        server.close()
    unload_all()


def url_of(scripted: ScriptedModel) -> str:
    return scripted.entry["options"]["base_url"]


def replicated_model(tenant, urls: list[str], name: str = "qwen") -> None:
    AiModel.objects.create(
        tenant=tenant,
        name=name,
        capability=Capability.CHAT,
        engine="openai-compatible",
        options={"base_urls": urls, "model": "qwen", "timeout": 5},
    )


def ask(tenant) -> gateway.Served:
    return gateway.chat(gateway.Caller(tenant=tenant), [ChatMessage("user", "话费怎么查")])


def test_the_servers_of_one_model_take_turns(tenant_a, servers):
    first, second = servers(ScriptedModel), servers(ScriptedModel)
    first.reply = second.reply = "发送CXHF到10086。"
    replicated_model(tenant_a, [url_of(first), url_of(second)])
    for _ in range(10):
        assert ask(tenant_a).info.model == "qwen"
    assert (len(first.requests), len(second.requests)) == (5, 5)


def test_a_failing_server_is_passed_over_and_sits_out(tenant_a, servers):
    down, up = servers(FailingServer), servers(ScriptedModel)
    up.reply = "发送CXHF到10086。"
    replicated_model(tenant_a, [down.url, url_of(up)])
    answers = [ask(tenant_a) for _ in range(6)]
    assert all(a.info.model == "qwen" and not a.info.fallback for a in answers)
    assert len(up.requests) == 6
    assert down.hits == 1  # once, then in cooldown


def test_the_least_busy_server_is_chosen_first():
    replicas = Replicas(["http://a/v1", "http://b/v1"], cooldown_s=30)
    with replicas.lease("http://a/v1"):
        assert [replicas.order()[0] for _ in range(3)] == ["http://b/v1"] * 3
    with pytest.raises(BackendUnavailable), replicas.lease("http://b/v1"):
        raise BackendUnavailable("down")
    assert replicas.order() == ["http://a/v1", "http://b/v1"]  # b cools down


def test_a_failed_model_is_tried_after_its_fallback_until_its_cooldown_ends(
    tenant_a, servers, settings
):
    settings.AI_COOLDOWN_S = 30
    down = servers(FailingServer)
    replicated_model(tenant_a, [down.url], name="gpu-llm")
    first = ask(tenant_a)
    assert first.info.engine == "extractive" and "gpu-llm" in first.info.fallback_reason
    second = ask(tenant_a)
    assert second.info.engine == "extractive" and second.info.fallback
    assert down.hits == 1  # the second call did not wait for the dead server
    assert "gpu-llm" in second.info.fallback_reason

    from suite.ai.pipeline import cooldown_clear

    cooldown_clear()  # the cooldown is over: the model is tried first again
    ask(tenant_a)
    assert down.hits == 2
