"""Recently spoken sentences, in this process, for streamed speech (live calls).

A call center's bot says the same sentences over and over (greetings, the answers to the common
questions), and on a small CPU host a neural voice needs more time for one sentence than a
caller should wait for the reply to start. The key holds everything that changes the audio
(tenant, model entry, voice, language, speed, text); the tenant is in it so that no tenant is
ever served audio of another tenant's text. Bounded by bytes; least recently used go first.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np
from django.conf import settings

from .types import AudioClip


class SpeechCache:
    def __init__(self, max_bytes: int | None = None):
        # None: the AI_SPEECH_CACHE_MB setting, read on use (tests change it after import).
        self._max_bytes = max_bytes
        self._clips: OrderedDict[Hashable, AudioClip] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def max_bytes(self) -> int:
        if self._max_bytes is not None:
            return self._max_bytes
        return settings.AI_SPEECH_CACHE_MB * 1024 * 1024

    def get(self, key: Hashable) -> AudioClip | None:
        with self._lock:
            clip = self._clips.get(key)
            if clip is None:
                self.misses += 1
                return None
            self._clips.move_to_end(key)
            self.hits += 1
        # A copy: a caller that changes its samples must not change what others hear.
        return AudioClip(samples=clip.samples.copy(), sample_rate=clip.sample_rate)

    def put(self, key: Hashable, clip: AudioClip) -> None:
        stored = AudioClip(
            samples=np.array(clip.samples, dtype=np.float32, copy=True),
            sample_rate=clip.sample_rate,
        )
        size = stored.samples.nbytes
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._clips.pop(key, None)
            if old is not None:
                self._bytes -= old.samples.nbytes
            self._clips[key] = stored
            self._bytes += size
            while self._bytes > self.max_bytes:
                _key, evicted = self._clips.popitem(last=False)
                self._bytes -= evicted.samples.nbytes

    def clear(self) -> None:
        with self._lock:
            self._clips.clear()
            self._bytes = 0
            self.hits = self.misses = 0


SPEECH_CACHE = SpeechCache()
