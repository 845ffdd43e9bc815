"""Chinese and English OCR with RapidOCR (PaddleOCR PP-OCRv4 models converted to ONNX).

The default models (detection, direction classifier, recognition) ship inside the
``rapidocr_onnxruntime`` wheel under its ``models/`` folder; RapidOCR never fetches anything.
A non-empty path names a folder holding replacement ``*det*.onnx``, ``*rec*.onnx`` and
optionally ``*cls*.onnx`` files (e.g. a traditional-Chinese recogniser).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import numpy as np
from django.utils.translation import gettext as _

from suite.media.frames import as_bgr_frame

from ..capabilities import Capability
from ..errors import BackendUnavailable
from ..types import OcrLine
from .base import BackendSpec, OcrBackend, register


@register
class RapidOcrBackend(OcrBackend):
    engine = "rapidocr"
    capabilities = frozenset({Capability.OCR})

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self.min_score = float(self.options.get("min_score", 0.5))
        self.threads = int(self.options.get("threads", -1))  # -1: onnxruntime decides
        # RapidOCR's own default scales the SHORT side up to 736 px, so a 200x600 banner is
        # detected at 736x2208 (3-4x slower, no better). We cap the LONG side like PaddleOCR's
        # server default; raise it for photos of small print.
        self.det_limit_side_len = int(self.options.get("det_limit_side_len", 960))
        self.det_limit_type = str(self.options.get("det_limit_type", "max"))
        # A RapidOCR instance once loaded; rapidocr_onnxruntime ships no type information.
        self._engine: Any = None
        self._lock = threading.Lock()

    def _model_kwargs(self) -> dict[str, str]:
        if not self.spec.path:
            return {}
        folder = Path(self.spec.path)
        if not folder.is_dir():
            raise BackendUnavailable(
                _("The OCR model folder %(path)s does not exist.") % {"path": folder}
            )
        kwargs = {}
        for part, required in (("det", True), ("rec", True), ("cls", False)):
            found = sorted(folder.glob(f"*{part}*.onnx"))
            if found:
                kwargs[f"{part}_model_path"] = str(found[0])
            elif required:
                raise BackendUnavailable(
                    _("No %(part)s model (*%(part)s*.onnx) in the OCR model folder %(path)s.")
                    % {"part": part, "path": folder}
                )
        return kwargs

    def load(self) -> None:
        try:
            from rapidocr_onnxruntime import RapidOCR
        except ImportError as exc:
            raise BackendUnavailable(
                _("rapidocr-onnxruntime is not installed: %(reason)s") % {"reason": exc}
            ) from exc
        kwargs = self._model_kwargs()
        try:
            self._engine = RapidOCR(
                intra_op_num_threads=self.threads,
                text_score=self.min_score,
                det_limit_side_len=self.det_limit_side_len,
                det_limit_type=self.det_limit_type,
                **kwargs,
            )
        except Exception as exc:  # RapidOCR raises bare Exceptions for bad model files
            raise BackendUnavailable(
                _("Could not load the OCR models: %(reason)s") % {"reason": exc}
            ) from exc

    def ocr(self, frame: np.ndarray) -> list[OcrLine]:
        if self._engine is None:
            self.load()
        frame = as_bgr_frame(frame)
        with self._lock:  # RapidOCR keeps per-call state on the instance (thresholds)
            result, _elapsed = self._engine(frame)
        lines = []
        for points, text, score in result or []:
            corners = [(round(float(x)), round(float(y))) for x, y in points]
            lines.append(OcrLine(text=str(text), score=round(float(score), 4), box=corners))
        return lines
