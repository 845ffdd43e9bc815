"""Face detection with MediaPipe's BlazeFace (the TFLite models ship inside the mediapipe wheel).

Option `model`: 0 is the short-range model (faces within about 2 m, e.g. a counter or a
selfie), 1 the full-range model (up to about 5 m, CCTV). Default 1.
"""

from __future__ import annotations

import threading

import numpy as np
from django.utils.translation import gettext as _

from suite.media.frames import as_bgr_frame, clip_box

from ..capabilities import Capability
from ..errors import BackendUnavailable
from ..types import Detection
from .base import BackendSpec, DetectBackend, register


@register
class MediapipeFaceBackend(DetectBackend):
    engine = "mediapipe-face"
    capabilities = frozenset({Capability.DETECT})
    labels = ("face",)

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self.model = int(self.options.get("model", 1))
        if self.model not in (0, 1):
            raise BackendUnavailable(
                _("Face detection option model must be 0 (short range) or 1 (full range).")
            )
        self._detectors: dict[float, object] = {}
        # a mediapipe graph is not safe to run from two threads at once
        self._lock = threading.Lock()

    def load(self) -> None:
        self._detector(0.5)

    def _detector(self, min_score: float):
        # the confidence floor is baked into the graph, so keep one graph per threshold used
        key = round(min(max(min_score, 0.0), 1.0), 2)
        detector = self._detectors.get(key)
        if detector is None:
            try:
                from mediapipe.python.solutions import face_detection
            except ImportError as exc:
                raise BackendUnavailable(
                    _("mediapipe is not installed: %(reason)s") % {"reason": exc}
                ) from exc
            detector = face_detection.FaceDetection(
                model_selection=self.model, min_detection_confidence=key
            )
            self._detectors[key] = detector
        return detector

    def detect(self, frame: np.ndarray, *, min_score: float = 0.5) -> list[Detection]:
        import cv2

        frame = as_bgr_frame(frame)
        height, width = frame.shape[:2]
        rgb = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
        with self._lock:
            result = self._detector(min_score).process(rgb)
        detections = []
        for found in result.detections or []:
            rel = found.location_data.relative_bounding_box
            box = clip_box(
                (rel.xmin * width, rel.ymin * height, rel.width * width, rel.height * height),
                width,
                height,
            )
            score = float(found.score[0]) if found.score else 0.0
            if box is not None and score >= min_score:
                detections.append(Detection(label="face", score=round(score, 4), box=box))
        return sorted(detections, key=lambda d: -d.score)
