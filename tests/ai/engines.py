"""Engines for testing the gateway's own mechanics (timeouts, load failures), not models."""

import threading

from suite.ai.backends.base import BackendSpec, ChatBackend, register
from suite.ai.capabilities import Capability
from suite.ai.types import ChatResult

release = threading.Event()


@register
class SlowChatBackend(ChatBackend):
    """Answers only when the test releases it: proves the gateway stops waiting."""

    engine = "test-slow"
    capabilities = frozenset({Capability.CHAT})

    def chat(self, messages, **kwargs):
        release.wait(timeout=10)
        return ChatResult(text="late", prompt_tokens=1, completion_tokens=1)


@register
class BrokenLoadBackend(ChatBackend):
    engine = "test-broken"
    capabilities = frozenset({Capability.CHAT})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)

    def load(self) -> None:
        raise OSError("weights file truncated")


@register
class EchoChatBackend(ChatBackend):
    """Returns what reached it, so a test can see exactly what a model would have been sent."""

    engine = "test-echo"
    capabilities = frozenset({Capability.CHAT})

    def chat(self, messages, passages=None, **kwargs):
        seen = [m.content for m in messages] + [p.text for p in passages or []]
        return ChatResult(text="\n".join(seen), prompt_tokens=1, completion_tokens=1)
