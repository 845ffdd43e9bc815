"""Heavy test engines: they run in model processes, and say which process they ran in."""

import os

from suite.ai.backends.base import TranscribeBackend, register
from suite.ai.capabilities import Capability
from suite.ai.errors import InvalidInput
from suite.ai.types import Transcript


@register
class PidTranscribeBackend(TranscribeBackend):
    """Transcribes any audio as the id of the process that ran it. A clip of exactly 0.5 s
    kills a model process running it (a crash in native code); one of 0.25 s is refused as bad
    input."""

    engine = "test-pid"
    capabilities = frozenset({Capability.TRANSCRIBE})
    heavy = True

    def load(self) -> None:
        self.loaded_in = os.getpid()

    def transcribe(self, audio, **kwargs) -> Transcript:
        if audio.samples.size == audio.sample_rate // 2 and self.heavy:
            os._exit(9)
        if audio.samples.size == audio.sample_rate // 4:
            raise InvalidInput("too short for this engine", param="file")
        text = f"{os.getpid()}:{self.loaded_in}"
        return Transcript(text=text, language="zh", language_probability=1.0, duration_s=1.0)


@register
class PidLightBackend(PidTranscribeBackend):
    """The same engine, light: it stays in the calling process (the fallback)."""

    engine = "test-pid-light"
    heavy = False
