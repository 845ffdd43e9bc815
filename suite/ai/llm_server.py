"""The host's language-model server: llama.cpp (xllamacpp) serving a bundled GGUF over HTTP.

One server per host, shared by the web and worker processes through the OpenAI-compatible chat
backend, exactly as a vLLM or SGLang server on a GPU host would be: pointing AI_CHAT_URL there
instead changes no code. The server batches concurrent requests continuously across `slots`
(each slot holds one conversation's context) and caches each slot's prompt prefix, so the
system prompt of a product is processed once per slot rather than once per request.

llama.cpp's server accepts anyone who reaches its port unless it is given keys, so it binds to
loopback and always requires `api_key`.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from .errors import BackendUnavailable
from .llm_bundle import ensure_model

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ServerConfig:
    model: str  # a bundle key (AI_LOCAL_LLM) or a path to a .gguf file
    api_key: str
    port: int = 8080
    slots: int = 4
    context_per_slot: int = 2048
    threads: int = 0  # 0: every core

    @classmethod
    def from_settings(cls) -> ServerConfig:
        return cls(
            model=settings.AI_LOCAL_LLM,
            api_key=settings.AI_CHAT_API_KEY,
            port=settings.AI_LOCAL_LLM_PORT,
            slots=settings.AI_LOCAL_LLM_SLOTS,
            context_per_slot=settings.AI_LOCAL_LLM_CONTEXT,
            threads=settings.AI_LOCAL_LLM_THREADS,
        )

    @property
    def served_name(self) -> str:
        """The model name clients send: the bundle key, or the file's stem."""
        return Path(self.model).stem if self.model.endswith(".gguf") else self.model

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}/v1"


def model_path(model: str) -> Path:
    if model.endswith(".gguf"):
        path = Path(model)
        if not path.is_file():
            raise BackendUnavailable(_("No GGUF file at %(path)s.") % {"path": model})
        return path
    return ensure_model(model)


def start(config: ServerConfig):
    """Loads the model and starts serving; returns the server (it serves while referenced)."""
    import xllamacpp  # imported here: only the process that serves the model needs it

    if not config.api_key:
        raise BackendUnavailable(
            _("The language-model server needs an API key (AI_CHAT_API_KEY); refusing to serve.")
        )
    params = xllamacpp.CommonParams()
    params.model.path = str(model_path(config.model))
    params.model_alias = {config.served_name}  # a set: a plain string would become its letters
    params.hostnames = [LOOPBACK]
    params.port = config.port
    params.api_keys = [config.api_key]
    params.n_parallel = config.slots
    params.n_ctx = config.slots * config.context_per_slot
    params.cont_batching = True
    params.cache_prompt = True
    # The model's own chat template (Qwen2.5's carries its function-calling format): without it
    # llama.cpp neither puts `tools` in the prompt nor parses the calls out of the answer.
    params.use_jinja = True
    threads = config.threads or os.cpu_count() or 2
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    server = xllamacpp.Server(params)
    wait_healthy(config.port)
    return server


def wait_healthy(port: int, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    url = f"http://{LOOPBACK}:{port}/health"
    while True:
        try:
            if httpx.get(url, timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise BackendUnavailable(
                _("The language-model server on port %(port)d did not become healthy.")
                % {"port": port}
            )
        time.sleep(0.2)
