"""espeak-ng (formant synthesis) through its C API, from the `espeakng_loader` wheel.

Robotic but tiny, instant and dependable: the synthesiser for Cantonese (voice "yue", the only
Cantonese voice we have) and a fallback for English ("en"). It does not speak Mandarin: its
Mandarin came back from Whisper at 96% character error rate (bench/tts_voices.py), which a
caller cannot understand, so a Mandarin request is refused as unavailable and the caller is
told that no Mandarin voice could serve it.
"""

from __future__ import annotations

import ctypes
import threading
from typing import cast

import numpy as np
from django.utils.translation import gettext as _

from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..types import AudioClip
from .base import BackendSpec, SynthesizeBackend, register

VOICES = {"yue": "yue", "en": "en"}
DEFAULT_RATE_WPM = 175
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PARAM_RATE = 1
_SYNTH_CALLBACK = ctypes.CFUNCTYPE(
    ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
)

# libespeak-ng keeps one global synthesiser per process: serialise every use of it.
_lock = threading.Lock()
_engine: _Engine | None = None


class _Engine:
    def __init__(self) -> None:
        import espeakng_loader

        lib_path = espeakng_loader.get_library_path()
        try:
            self.lib = ctypes.CDLL(lib_path)
            data_path = espeakng_loader.get_data_path()
        except (OSError, RuntimeError) as exc:
            raise BackendUnavailable(
                _("espeak-ng could not be loaded from %(path)s: %(reason)s")
                % {"path": lib_path, "reason": exc}
            ) from exc
        self.lib.espeak_Initialize.argtypes = [
            ctypes.c_int,
            ctypes.c_int,
            ctypes.c_char_p,
            ctypes.c_int,
        ]
        self.lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        self.lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        self.lib.espeak_Synth.argtypes = [
            ctypes.c_void_p,
            ctypes.c_size_t,
            ctypes.c_uint,
            ctypes.c_int,
            ctypes.c_uint,
            ctypes.c_uint,
            ctypes.c_void_p,
            ctypes.c_void_p,
        ]
        self.sample_rate = self.lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, data_path.encode(), 0
        )
        if self.sample_rate <= 0:
            raise BackendUnavailable(
                _("espeak-ng failed to initialise with data at %(path)s") % {"path": data_path}
            )
        self._chunks: list[np.ndarray] = []
        # Keep a reference: ctypes frees the trampoline when the Python object dies.
        self._callback = _SYNTH_CALLBACK(self._collect)
        self.lib.espeak_SetSynthCallback(self._callback)

    def _collect(self, wav, count: int, _events) -> int:
        if wav and count > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(count,)).copy())
        return 0

    def speak(self, text: str, voice: str, rate_wpm: int) -> np.ndarray:
        if self.lib.espeak_SetVoiceByName(voice.encode()) != 0:
            raise BackendUnavailable(_("espeak-ng has no voice %(voice)s") % {"voice": voice})
        self.lib.espeak_SetParameter(_PARAM_RATE, rate_wpm, 0)
        self._chunks = []
        data = text.encode("utf-8") + b"\0"
        status = self.lib.espeak_Synth(
            data, len(data), 0, _POS_CHARACTER, 0, _CHARS_UTF8, None, None
        )
        self.lib.espeak_Synchronize()
        if status != 0:
            raise BackendUnavailable(
                _("espeak-ng failed to synthesise (status %(status)s)") % {"status": status}
            )
        if not self._chunks:
            return np.zeros(0, dtype=np.float32)
        return np.concatenate(self._chunks).astype(np.float32) / 32768.0


@register
class EspeakBackend(SynthesizeBackend):
    engine = "espeak-ng"
    capabilities = frozenset({Capability.SYNTHESIZE})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self._engine: _Engine | None = None

    def load(self) -> None:
        global _engine
        with _lock:
            if _engine is None:
                _engine = _Engine()
            self._engine = _engine

    def voices(self) -> list[str]:
        return sorted(VOICES)

    def synthesize(
        self, text: str, *, voice: str | None = None, language: str = "zh", speed: float = 1.0
    ) -> AudioClip:
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The text to synthesise is empty."), param="text")
        key = voice or language or "zh"
        if key in ("zh", "cmn"):
            raise BackendUnavailable(
                _("espeak-ng has no intelligible Mandarin voice; a Mandarin voice is needed.")
            )
        if key not in VOICES:
            raise InvalidInput(
                _("Unsupported language or voice %(voice)s; use one of: %(voices)s.")
                % {"voice": key, "voices": ", ".join(sorted(VOICES))},
                param="voice",
            )
        if self._engine is None:
            self.load()
        # load() either sets the engine or raises.
        engine = cast(_Engine, self._engine)
        spoken = text
        rate = int(np.clip(DEFAULT_RATE_WPM * float(speed or 1.0), 80, 450))
        with _lock:
            samples = engine.speak(spoken, VOICES[key], rate)
            sample_rate = engine.sample_rate
        return AudioClip(samples=samples, sample_rate=sample_rate)
