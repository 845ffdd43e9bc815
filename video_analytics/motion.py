"""Per-camera motion detection (MOG2 background subtraction) and cheap tampering signals.

A `MotionDetector` holds a background model, so keep one per camera stream and feed it that
camera's frames in order. Work happens on a downscaled grey copy; ratios are fractions of the
frame and boxes are in the original frame's pixels.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from suite.media.frames import as_bgr_frame, clip_box


@dataclass
class MotionResult:
    ratio: float  # fraction of the frame's pixels in motion, 0..1
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)  # x, y, w, h

    @property
    def moving(self) -> bool:
        return bool(self.boxes)


@dataclass(frozen=True)
class FrameStats:
    mean_luma: float  # 0..255; near 0: lens covered or camera dark
    std_luma: float  # contrast; near 0: uniform frame (covered, sprayed, pointed at a wall)
    sharpness: float  # variance of the Laplacian at 640 px wide; drops sharply when defocused
    saturation: float  # share of pixels at 250 or more: glare, a torch into the lens


class MotionDetector:
    def __init__(
        self,
        *,
        history: int = 500,
        var_threshold: float = 16.0,
        detect_shadows: bool = False,
        learning_rate: float = -1.0,
        min_area: int = 400,
        width: int = 320,
        blur: int = 5,
    ):
        """min_area is in original-frame pixels; learning_rate -1 lets OpenCV use 1/history."""
        self.learning_rate = learning_rate
        self.min_area = min_area
        self.width = width
        self.blur = blur
        self._subtractor = cv2.createBackgroundSubtractorMOG2(
            history=history, varThreshold=var_threshold, detectShadows=detect_shadows
        )
        self._kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
        self.frames = 0

    def reset(self) -> None:
        """Forget the background (after the camera moved, or a scene cut)."""
        self._subtractor.clear()
        self.frames = 0

    def update(self, frame: np.ndarray) -> MotionResult:
        frame = as_bgr_frame(frame)
        height, width = frame.shape[:2]
        factor = width / self.width if self.width and width > self.width else 1.0
        grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if factor != 1.0:
            grey = cv2.resize(
                grey, (self.width, max(1, round(height / factor))), interpolation=cv2.INTER_AREA
            )
        if self.blur > 1:
            grey = cv2.GaussianBlur(grey, (self.blur | 1, self.blur | 1), 0)
        mask = self._subtractor.apply(grey, learningRate=self.learning_rate)
        self.frames += 1
        if self.frames == 1:
            return MotionResult(ratio=0.0)  # the first frame only seeds the background
        # shadows (127) are not motion; opening drops sensor noise, dilation joins a body's parts
        _, mask = cv2.threshold(mask, 200, 255, cv2.THRESH_BINARY)
        mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, self._kernel)
        ratio = float(np.count_nonzero(mask)) / mask.size
        return MotionResult(ratio=ratio, boxes=self._boxes(mask, factor, width, height))

    def _boxes(
        self, mask: np.ndarray, factor: float, width: int, height: int
    ) -> list[tuple[int, int, int, int]]:
        # dilation joins the parts of one body into one blob; the box is then fitted to the
        # undilated pixels of that blob so it does not grow by the dilation
        joined = cv2.dilate(mask, self._kernel, iterations=2)
        contours, _ = cv2.findContours(joined, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        boxes = []
        for contour in contours:
            x, y, w, h = cv2.boundingRect(contour)
            fx, fy, w, h = cv2.boundingRect(mask[y : y + h, x : x + w])
            x, y = x + fx, y + fy
            if w * h * factor * factor < self.min_area:
                continue
            box = clip_box((x * factor, y * factor, w * factor, h * factor), width, height)
            if box is not None:
                boxes.append(box)
        return sorted(boxes, key=lambda b: -b[2] * b[3])


def frame_stats(frame: np.ndarray) -> FrameStats:
    frame = as_bgr_frame(frame)
    grey = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
    height, width = grey.shape
    if width != 640:
        # sharpness depends on scale: measure every camera at the same width so one threshold fits
        interpolation = cv2.INTER_AREA if width > 640 else cv2.INTER_LINEAR
        grey = cv2.resize(
            grey, (640, max(1, round(height * 640 / width))), interpolation=interpolation
        )
    mean, std = cv2.meanStdDev(grey)
    return FrameStats(
        mean_luma=float(mean[0][0]),
        std_luma=float(std[0][0]),
        sharpness=float(cv2.Laplacian(grey, cv2.CV_64F).var()),
        saturation=float(np.count_nonzero(grey >= 250)) / grey.size,
    )
