"""The per-camera analysis pipeline: pluggable stages run in order on each sampled frame, each
timed. Model calls (people, faces, OCR) go through `suite.ai.gateway`, so they are metered and
audited like every other call; motion, tracking, tampering and scene tags are plain OpenCV.

A `Pipeline` keeps state (the motion background, the trackers, the tampering baseline), so
keep one per camera stream and feed it that camera's frames in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import numpy as np

from suite.ai import gateway
from suite.ai.types import Detection
from suite.media.frames import blur_regions

from .motion import FrameStats, MotionDetector, MotionResult, frame_stats
from .tracking import Track, Tracker

DEFAULT_STAGES = ("motion", "people", "faces", "tampering", "scene")
OPTIONAL_STAGES = ("motion", "people", "faces", "ocr", "tampering", "scene")
PEOPLE_MODEL = "hog-people"
FACE_MODEL = "blazeface"
OCR_MODEL = "rapidocr"


@dataclass
class Frame:
    index: int  # position in the source (not in the sample)
    t: float  # seconds since the start of the source
    at: datetime  # wall-clock time of the frame
    image: np.ndarray  # the original pixels: never stored
    motion: MotionResult | None = None
    stats: FrameStats | None = None
    objects: list[Detection] = field(default_factory=list)
    faces: list[Detection] = field(default_factory=list)
    people_checked: bool = False  # whether the detector ran on this frame
    tracks: dict[str, list[Track]] = field(default_factory=dict)  # "person" / "any"
    tamper: str = ""  # "", "blackout", "occlusion", "defocus"
    tags: list[str] = field(default_factory=list)
    # finds the faces when the frame is about to be stored (see Pipeline.run)
    redactor: Callable[[Frame], None] | None = None
    faces_checked: bool = False
    _blurred: np.ndarray | None = None

    @property
    def width(self) -> int:
        return self.image.shape[1]

    @property
    def height(self) -> int:
        return self.image.shape[0]

    @property
    def people(self) -> list[Detection]:
        return [d for d in self.objects if d.label == "person"]

    @property
    def blurred(self) -> np.ndarray:
        """The only pixels that may be stored: every detected face obscured. Faces are looked
        for here, on the frames that are stored, not on every analysed frame."""
        if self._blurred is None:
            if not self.faces_checked:
                if self.redactor is None:
                    raise RuntimeError("a frame without a face detector must not be stored")
                self.redactor(self)
                self.faces_checked = True
            self._blurred = blur_regions(self.image, self.faces) if self.faces else self.image
        return self._blurred


class Stage:
    name = ""

    def process(self, frame: Frame) -> None:
        raise NotImplementedError


class MotionStage(Stage):
    name = "motion"

    def __init__(self, *, min_area: int = 400):
        self.detector = MotionDetector(min_area=min_area)

    def process(self, frame: Frame) -> None:
        frame.motion = self.detector.update(frame.image)


class PeopleStage(Stage):
    """People (or any class an operator ONNX detector knows) on frames that move; without a
    motion stage, on every `every` frame. The detector is the tenant's `people_model`."""

    name = "people"

    def __init__(
        self,
        caller: gateway.Caller,
        *,
        model: str = PEOPLE_MODEL,
        min_score: float = 0.5,
        idle_every: int = 25,
        moving_every: int = 3,
    ):
        """Detects on every `moving_every`-th frame while something moves (the trackers carry
        people across the frames between) and every `idle_every`-th frame otherwise, to count
        people standing still."""
        self.caller, self.model, self.min_score = caller, model, min_score
        self.idle_every, self.moving_every = idle_every, moving_every
        self.engine = ""
        self.fallback = False
        self._since = 0

    def process(self, frame: Frame) -> None:
        self._since += 1
        moving = frame.motion is None or frame.motion.moving
        if self._since < (self.moving_every if moving else self.idle_every):
            return
        self._since = 0
        x0, y0, image = self._region(frame)
        served = gateway.detect(self.caller, image, model=self.model, min_score=self.min_score)
        self.engine, self.fallback = served.info.engine, served.info.fallback
        frame.people_checked = True
        frame.objects = [
            Detection(d.label, d.score, (d.box[0] + x0, d.box[1] + y0, d.box[2], d.box[3]))
            for d in served.value
        ]

    @staticmethod
    def _region(frame: Frame) -> tuple[int, int, np.ndarray]:
        """Where to look: around what moves (grown by half its size and to at least 160x320,
        room for HOG's 64x128 window at a few scales), or the whole frame. Detection cost grows
        with the area, so a corridor with one walker costs a fraction of a full-frame pass."""
        if frame.motion is None or not frame.motion.boxes:
            return 0, 0, frame.image
        xs = [b[0] for b in frame.motion.boxes] + [b[0] + b[2] for b in frame.motion.boxes]
        ys = [b[1] for b in frame.motion.boxes] + [b[1] + b[3] for b in frame.motion.boxes]
        x0, x1, y0, y1 = min(xs), max(xs), min(ys), max(ys)
        grow_x = max((x1 - x0) // 2, (160 - (x1 - x0)) // 2)
        grow_y = max((y1 - y0) // 2, (320 - (y1 - y0)) // 2)
        x0, x1 = max(0, x0 - grow_x), min(frame.width, x1 + grow_x)
        y0, y1 = max(0, y0 - grow_y), min(frame.height, y1 + grow_y)
        if (x1 - x0) * (y1 - y0) > 0.6 * frame.width * frame.height:
            return 0, 0, frame.image
        return x0, y0, frame.image[y0:y1, x0:x1]


class FaceStage(Stage):
    """BlazeFace, run by the pipeline on every frame that is about to be stored (snapshots and
    every frame of a clip), so nothing is stored with a face left in it."""

    name = "faces"

    def __init__(self, caller: gateway.Caller, *, model: str = FACE_MODEL, min_score: float = 0.4):
        self.caller, self.model, self.min_score = caller, model, min_score
        self.engine = ""

    def process(self, frame: Frame) -> None:
        served = gateway.detect(
            self.caller, frame.image, model=self.model, min_score=self.min_score
        )
        self.engine = served.info.engine
        frame.faces = [d for d in served.value if d.label == "face"]


class TrackStage(Stage):
    """Two trackers: people (from detections) and anything that moves (motion blobs)."""

    name = "tracking"

    def __init__(self, *, max_missed: int = 5):
        self.people = Tracker(label="person", max_missed=max_missed)
        self.moving = Tracker(label="any", max_missed=max_missed)

    def process(self, frame: Frame) -> None:
        w, h = frame.width, frame.height
        # frames the detector skipped say nothing about people: the tracks wait for the next
        frame.tracks["person"] = (
            self.people.update([d.box for d in frame.people], frame.t, w, h)
            if frame.people_checked
            else []
        )
        boxes = frame.motion.boxes if frame.motion is not None else []
        frame.tracks["any"] = self.moving.update(list(boxes), frame.t, w, h)


class TamperStage(Stage):
    """Blackout (lens covered, camera dark), occlusion (contrast gone: sprayed, covered with a
    sheet) and defocus (sharpness far below this camera's own baseline), each only after it
    lasted `persist` frames so a passing truck does not raise an alarm."""

    name = "tampering"

    def __init__(
        self,
        *,
        dark: float = 12.0,
        flat: float = 6.0,
        defocus_ratio: float = 0.25,
        persist: int = 3,
        warmup: int = 5,
    ):
        self.dark, self.flat, self.defocus_ratio = dark, flat, defocus_ratio
        self.persist, self.warmup = persist, warmup
        self.baseline: float | None = None
        self.seen = 0
        self.streak = 0
        self.last = ""

    def _classify(self, stats: FrameStats) -> str:
        if stats.mean_luma < self.dark:
            return "blackout"
        if stats.std_luma < self.flat:
            return "occlusion"
        if (
            self.baseline is not None
            and self.seen >= self.warmup
            and stats.sharpness < self.baseline * self.defocus_ratio
        ):
            return "defocus"
        return ""

    def process(self, frame: Frame) -> None:
        frame.stats = stats = frame_stats(frame.image)
        kind = self._classify(stats)
        if not kind:
            self.seen += 1
            # a slow running mean: the scene's own sharpness, learnt while it looks normal
            self.baseline = (
                stats.sharpness
                if self.baseline is None
                else 0.9 * self.baseline + 0.1 * stats.sharpness
            )
        self.streak = self.streak + 1 if kind and kind == self.last else (1 if kind else 0)
        self.last = kind
        frame.tamper = kind if self.streak >= self.persist else ""


class SceneStage(Stage):
    """Coarse scene tags from what the other stages measured (rule-based, not a classifier)."""

    name = "scene"

    def __init__(self, *, crowd: int = 5):
        self.crowd = crowd

    def process(self, frame: Frame) -> None:
        tags = []
        stats = frame.stats
        if stats is not None:
            if stats.mean_luma < 50:
                tags.append("dark")
            elif stats.mean_luma > 200 or stats.saturation > 0.2:
                tags.append("glare")
        people = len(frame.people)
        if people >= self.crowd:
            tags.append("crowded")
        elif people:
            tags.append("people")
        for label in sorted({d.label for d in frame.objects if d.label != "person"}):
            tags.append(label)
        if frame.motion is not None:
            if frame.motion.ratio > 0.2:
                tags.append("busy")
            elif frame.motion.moving:
                tags.append("motion")
            elif not people:
                tags.append("quiet")
        if frame.tamper:
            tags.append("tampered")
        frame.tags = tags


@dataclass
class Timing:
    ms: float = 0.0
    calls: int = 0


class Pipeline:
    def __init__(
        self,
        stages: Sequence[Stage],
        *,
        faces: FaceStage,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.stages = list(stages)
        self.faces = faces
        self.clock = clock
        self.timings: dict[str, Timing] = {s.name: Timing() for s in self.stages}

    def run(self, frame: Frame) -> Frame:
        frame.redactor = self._redact
        for stage in self.stages:
            started = self.clock()
            stage.process(frame)
            timing = self.timings[stage.name]
            timing.ms += (self.clock() - started) * 1000
            timing.calls += 1
        return frame

    def _redact(self, frame: Frame) -> None:
        started = self.clock()
        self.faces.process(frame)
        timing = self.timings.setdefault(self.faces.name, Timing())
        timing.ms += (self.clock() - started) * 1000
        timing.calls += 1

    def timing_report(self) -> dict[str, dict[str, float]]:
        return {
            name: {
                "ms": round(t.ms, 2),
                "calls": t.calls,
                "ms_per_frame": round(t.ms / t.calls, 3) if t.calls else 0.0,
            }
            for name, t in self.timings.items()
        }

    def engines(self) -> dict[str, str]:
        stages = [*self.stages, self.faces]
        return {s.name: engine for s in stages if (engine := getattr(s, "engine", ""))}


def build_pipeline(
    caller: gateway.Caller,
    stages: Sequence[str] | None = None,
    *,
    people_model: str = PEOPLE_MODEL,
    face_model: str = FACE_MODEL,
) -> Pipeline:
    """The camera's chosen stages in a fixed, dependency-respecting order; tracking always runs
    (rules need it) and faces are always found on what is stored (nothing is stored unblurred)."""
    chosen = set(stages or DEFAULT_STAGES) | {"faces"}
    built: list[Stage] = []
    if "motion" in chosen:
        built.append(MotionStage())
    if "people" in chosen:
        built.append(PeopleStage(caller, model=people_model))
    built.append(TrackStage())
    if "tampering" in chosen or "scene" in chosen:
        built.append(TamperStage())
    if "scene" in chosen:
        built.append(SceneStage())
    return Pipeline(built, faces=FaceStage(caller, model=face_model))


def read_text(caller: gateway.Caller, image: np.ndarray) -> str:
    """OCR of on-screen text (plates, shop signs, the camera's own caption) in an event frame."""
    served = gateway.ocr(caller, image, model=OCR_MODEL)
    return " ".join(line.text for line in served.value if line.text.strip())
