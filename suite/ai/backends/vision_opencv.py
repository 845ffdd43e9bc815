"""People detection with OpenCV's HOG descriptor and its bundled Dalal-Triggs linear SVM.

Not a neural network, and not state of the art: upright, mostly unoccluded pedestrians at
least about 64x128 pixels (after the max-width downscale). Its value is that it ships inside
OpenCV, needs no weights file and runs on any CPU.

Scores: the SVM returns a signed margin m (0 is its decision boundary). We report
``score = 1 / (1 + exp(-m))``, so OpenCV's own default threshold (m = 0) is score 0.5, m = 1
is 0.73, m = 2 is 0.88, m = 3 is 0.95. It is monotone, not a calibrated probability.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, cast

import numpy as np

from suite.media.frames import as_bgr_frame, clip_box

from ..capabilities import Capability
from ..types import Detection
from .base import BackendSpec, DetectBackend, register

if TYPE_CHECKING:
    import cv2


def margin_to_score(margin: float) -> float:
    return 1.0 / (1.0 + math.exp(-margin))


def score_to_margin(score: float) -> float:
    score = min(max(score, 1e-6), 1 - 1e-6)
    return math.log(score / (1.0 - score))


def nms(boxes: list[tuple[int, int, int, int]], scores: list[float], iou: float) -> list[int]:
    """Indices kept by greedy non-maximum suppression (highest score first)."""
    if not boxes:
        return []
    import cv2

    kept = cv2.dnn.NMSBoxes([list(b) for b in boxes], [float(s) for s in scores], 0.0, float(iou))
    return sorted((int(i) for i in np.ravel(kept)), key=lambda i: -scores[i])


@register
class HogPeopleBackend(DetectBackend):
    engine = "opencv-hog"
    capabilities = frozenset({Capability.DETECT})
    labels = ("person",)

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        opts = self.options
        self.win_stride = int(opts.get("win_stride", 8))
        self.padding = int(opts.get("padding", 8))
        self.scale = float(opts.get("scale", 1.05))
        self.max_width = int(opts.get("max_width", 640))
        # OpenCV merges raw window hits; a person normally yields several, a fluke one or two.
        self.group_threshold = int(opts.get("group_threshold", 2))
        self.nms_iou = float(opts.get("nms_iou", 0.45))
        self._hog: cv2.HOGDescriptor | None = None

    def load(self) -> None:
        import cv2

        hog = cv2.HOGDescriptor()
        # The detector comes back as a float32 ndarray; OpenCV's stubs call it Sequence[float].
        hog.setSVMDetector(cast(np.ndarray, cv2.HOGDescriptor.getDefaultPeopleDetector()))
        self._hog = hog

    def detect(self, frame: np.ndarray, *, min_score: float = 0.5) -> list[Detection]:
        import cv2

        if self._hog is None:
            self.load()
        # load() either sets the descriptor or raises.
        hog = cast("cv2.HOGDescriptor", self._hog)
        frame = as_bgr_frame(frame)
        height, width = frame.shape[:2]
        factor = 1.0
        work = frame
        if self.max_width and width > self.max_width:
            factor = width / self.max_width
            work = cv2.resize(
                frame, (self.max_width, round(height / factor)), interpolation=cv2.INTER_AREA
            )
        rects, margins = hog.detectMultiScale(
            work,
            hitThreshold=score_to_margin(min_score),
            winStride=(self.win_stride, self.win_stride),
            padding=(self.padding, self.padding),
            scale=self.scale,
            groupThreshold=self.group_threshold,
        )
        boxes: list[tuple[int, int, int, int]] = []
        scores: list[float] = []
        for rect, margin in zip(np.reshape(rects, (-1, 4)), np.ravel(margins), strict=True):
            score = margin_to_score(float(margin))
            box = clip_box([v * factor for v in rect], width, height)
            if box is not None and score >= min_score:
                boxes.append(box)
                scores.append(score)
        return [
            Detection(label="person", score=round(scores[i], 4), box=boxes[i])
            for i in nms(boxes, scores, self.nms_iou)
        ]
