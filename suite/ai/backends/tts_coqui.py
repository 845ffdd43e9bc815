"""coqui-tts (`TTS`) for operator-supplied end-to-end models (VITS family): a folder with
config.json and a checkpoint (.pth/.pt).

Import shims, installed by `load()` only when the real package is missing:
- `torchaudio`: no CPU build exists for torch 2.13. `TTS/__init__.py` refuses to import without
  it and `TTS.tts.models.vits` imports it at module top, but VITS inference never calls it:
  `torchaudio.load` is only used by training data loading, and the two `transforms.Resample`
  objects are built in `__init__` for the speaker-encoder loss and the encoder sample rate, and
  only called in training (`load_checkpoint(eval=True)` even drops the second one). The shim
  offers `transforms.Resample` as a torch module (linear interpolation, never called at
  inference) and a `load` that refuses.
- `torchcodec`: `TTS/__init__.py` only checks that it can be found (torch >= 2.9); it is used
  for audio file I/O, which inference here does not do.
- `spacy_pkuseg`: the Mandarin phonemizer imports it at module top and its model is a download.
  The shim segments with jieba (bundled dictionary), which is what `cut()` is used for.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import re
import sys
import threading
import types
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from ..capabilities import Capability
from ..errors import BackendUnavailable, InvalidInput
from ..types import AudioClip
from .base import BackendSpec, SynthesizeBackend, register

CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "checkpoint.pth")
_HAN = re.compile(r"[\u3400-\u9fff]")
_shim_lock = threading.Lock()


def _shim_module(name: str) -> types.ModuleType:
    module = types.ModuleType(name)
    # find_spec() reads __spec__ of modules already in sys.modules; None would raise.
    module.__spec__ = importlib.machinery.ModuleSpec(name, None)
    sys.modules[name] = module
    return module


def _torchaudio_shim() -> None:
    import torch

    class Resample(torch.nn.Module):
        def __init__(self, orig_freq: int = 16000, new_freq: int = 16000, **_kwargs):
            super().__init__()
            self.orig_freq, self.new_freq = int(orig_freq), int(new_freq)

        def forward(self, waveform: torch.Tensor) -> torch.Tensor:
            if self.orig_freq == self.new_freq:
                return waveform
            size = max(1, round(waveform.shape[-1] * self.new_freq / self.orig_freq))
            flat = waveform.reshape(-1, 1, waveform.shape[-1])
            out = torch.nn.functional.interpolate(flat, size=size, mode="linear")
            return out.reshape(*waveform.shape[:-1], size)

    def load(*_args, **_kwargs):
        raise RuntimeError("torchaudio is not installed; audio file I/O is unavailable")

    torchaudio = _shim_module("torchaudio")
    transforms = _shim_module("torchaudio.transforms")
    # ModuleType declares none of a shim's attributes, so they go into its namespace directly.
    vars(transforms).update(Resample=Resample)
    vars(torchaudio).update(transforms=transforms, load=load, __version__="0+suite-shim")


def _pkuseg_shim() -> None:
    class pkuseg:  # the name spacy_pkuseg exports
        def __init__(self, *_args, **_kwargs):
            import jieba

            self._jieba = jieba

        def cut(self, text: str) -> list[str]:
            return self._jieba.lcut(text)

    vars(_shim_module("spacy_pkuseg")).update(pkuseg=pkuseg)


def install_import_shims() -> None:
    with _shim_lock:
        if importlib.util.find_spec("torchaudio") is None:
            _torchaudio_shim()
        if importlib.util.find_spec("torchcodec") is None:
            _shim_module("torchcodec")
        if importlib.util.find_spec("spacy_pkuseg") is None:
            _pkuseg_shim()


def _checkpoint(folder: Path) -> Path:
    for name in CHECKPOINT_NAMES:
        if (folder / name).is_file():
            return folder / name
    found = sorted([*folder.glob("*.pth"), *folder.glob("*.pt")])
    if not found:
        raise BackendUnavailable(
            _("No model checkpoint (.pth) in the Coqui TTS folder %(path)s") % {"path": folder}
        )
    return found[0]


@register
class CoquiBackend(SynthesizeBackend):
    engine = "coqui-tts"
    capabilities = frozenset({Capability.SYNTHESIZE})
    heavy = True

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        # A coqui-tts BaseTTS once loaded; the TTS package ships no type information.
        self._model: Any = None
        self._lock = threading.Lock()
        self.sample_rate = 0
        self._pinyin_input = False

    def load(self) -> None:
        folder = Path(self.spec.path) if self.spec.path else None
        if folder is None or not (folder / "config.json").is_file():
            raise BackendUnavailable(
                _("Coqui TTS needs a model folder with config.json (got %(path)s).")
                % {"path": self.spec.path or "-"}
            )
        checkpoint = _checkpoint(folder)
        install_import_shims()
        try:
            from TTS.config import load_config
            from TTS.tts.models import setup_model

            config = load_config(str(folder / "config.json"))
            model = setup_model(config)
            model.load_checkpoint(config, str(checkpoint), eval=True)
        except Exception as exc:
            raise BackendUnavailable(
                _("Coqui TTS model at %(path)s failed to load: %(reason)s")
                % {"path": folder, "reason": exc}
            ) from exc
        model.eval()
        self._model = model
        self.sample_rate = int(config.audio["sample_rate"])
        characters = getattr(getattr(model, "tokenizer", None), "characters", None)
        vocabulary = "".join(getattr(characters, "vocab", []) or [])
        # A character model without Han characters was trained on pinyin (or is useless for
        # Chinese): feed it TONE3 pinyin. Phoneme models phonemise Han text themselves.
        self._pinyin_input = not config.get("use_phonemes", False) and not _HAN.search(vocabulary)

    def voices(self) -> list[str]:
        manager = getattr(self._model, "speaker_manager", None)
        return sorted(manager.speaker_names) if manager is not None and manager.num_speakers else []

    def _prepare(self, text: str) -> str:
        if self._pinyin_input and _HAN.search(text):
            from ..speech_text import to_pinyin

            return to_pinyin(text)
        return text

    def synthesize(
        self, text: str, *, voice: str | None = None, language: str = "zh", speed: float = 1.0
    ) -> AudioClip:
        import torch

        text = (text or "").strip()
        if not text:
            raise InvalidInput(_("The text to synthesise is empty."), param="text")
        if self._model is None:
            self.load()
        speaker = voice if voice in self.voices() else None
        speed = float(np.clip(speed or 1.0, 0.5, 2.0))
        with self._lock, torch.inference_mode():
            base = getattr(self._model, "length_scale", 1.0)
            self._model.length_scale = base / speed
            try:
                out = self._model.synthesize(self._prepare(text), speaker=speaker)
            finally:
                self._model.length_scale = base
        wav = out.get("wav")
        if wav is None:
            raise BackendUnavailable(
                _("The Coqui TTS model returned a spectrogram; only end-to-end models work.")
            )
        samples = np.asarray(wav, dtype=np.float32).reshape(-1)
        return AudioClip(samples=np.clip(samples, -1.0, 1.0), sample_rate=self.sample_rate)
