"""Serve the host's language model (see suite.ai.llm_server); runs until SIGTERM or Ctrl-C."""

from __future__ import annotations

import signal
import threading

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from suite.ai.errors import BackendUnavailable
from suite.ai.llm_server import ServerConfig, start


class Command(BaseCommand):
    help = "Serve a bundled GGUF language model (AI_LOCAL_LLM) on 127.0.0.1 with llama.cpp."

    def add_arguments(self, parser):
        parser.add_argument("--model", help="A bundle key or a .gguf path (default AI_LOCAL_LLM).")
        parser.add_argument("--port", type=int, help="Default AI_LOCAL_LLM_PORT.")

    def handle(self, *args, **options):
        config = ServerConfig.from_settings()
        overrides = {k: options[k] for k in ("model", "port") if options.get(k)}
        config = ServerConfig(**{**config.__dict__, **overrides})
        if not config.model:
            raise CommandError("No model to serve: set AI_LOCAL_LLM (e.g. qwen2.5-1.5b).")
        stopped = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stopped.set())
        try:
            server = start(config)
        except BackendUnavailable as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"Serving {config.served_name} at {config.base_url} "
            f"({config.slots} slots x {config.context_per_slot} tokens)",
        )
        self.stdout.flush()
        stopped.wait()
        del server
        self.stdout.write(f"Stopped serving {settings.AI_LOCAL_LLM or config.model}.")
