"""Benchmark the vision and OCR backends on one CPU core.

The process pins itself to one core (sched_setaffinity) and sets OpenCV to one thread, so
"fps" means frames per second per core and `cameras_at_5fps` is how many 5 fps camera streams
one core sustains. The scene is synthetic, 640x480: a textured background and a walking
figure (a silhouette HOG detects) with a real face (matplotlib's Grace Hopper portrait)
pasted on top, present in a fraction of the frames like a quiet corridor. Measured:

- motion: MOG2 on every frame (the baseline everything else is compared to);
- hog: HOG people on every frame; blazeface: BlazeFace (full range) on every frame;
- pipeline: the default chain, motion on every frame, HOG and faces only on frames with motion;
- ocr: RapidOCR latency per image, our settings against RapidOCR's own defaults.

Prints one JSON object. Nothing is downloaded.

    .venv/bin/python bench/vision.py [--frames 200] [--busy 0.3] [--ocr-runs 5]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "suite.settings")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

CAMERA_FPS = 5


def pin_to_one_core() -> int:
    core = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {core})
    cv2.setNumThreads(1)
    return core


def scene(frames: int, busy: float) -> list[np.ndarray]:
    """A corridor: static for (1 - busy) of the clip, a person walking through for the rest."""
    from matplotlib import cbook

    rng = np.random.default_rng(0)
    noise = rng.integers(60, 160, size=(60, 80, 3), dtype=np.uint8)
    background = cv2.resize(noise, (640, 480), interpolation=cv2.INTER_CUBIC)
    portrait = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    face = cv2.resize(portrait[100:350, 150:385], (48, 52), interpolation=cv2.INTER_AREA)
    walking = round(frames * busy)
    clip = []
    for i in range(frames):
        frame = background.copy()
        if i >= frames - walking:
            x = 40 + (i - (frames - walking)) * (520 // max(1, walking))
            draw_person(frame, x, 60)
            frame[60 + 8 : 60 + 60, x + 40 : x + 88] = face
        frame = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        clip.append(frame)
    return clip


def draw_person(frame: np.ndarray, x: int, y: int, s: float = 2.0) -> None:
    colour = (40, 40, 40)

    def S(v: float) -> int:
        return round(v * s)

    cx = x + S(32)
    torso = [[cx - S(15), y + S(36)], [cx + S(15), y + S(36)]]
    torso += [[cx + S(13), y + S(76)], [cx - S(13), y + S(76)]]
    cv2.fillPoly(frame, [np.array(torso)], colour)
    for side in (-1, 1):
        cv2.line(
            frame, (cx + side * S(15), y + S(38)), (cx + side * S(19), y + S(74)), colour, S(6)
        )
        cv2.line(
            frame, (cx + side * S(7), y + S(74)), (cx + side * S(10), y + S(114)), colour, S(9)
        )


def rate(name: str, frames: list[np.ndarray], step) -> dict:
    step(frames[0])  # warm-up: lazy allocations, graph start
    started = time.process_time()
    wall = time.perf_counter()
    found = sum(step(frame) for frame in frames)
    cpu = time.process_time() - started
    fps = len(frames) / cpu
    return {
        "name": name,
        "fps_per_core": round(fps, 1),
        "ms_per_frame": round(1000 * cpu / len(frames), 2),
        "wall_fps": round(len(frames) / (time.perf_counter() - wall), 1),
        "cameras_at_5fps": int(fps // CAMERA_FPS),
        "hits": found,
    }


def vision(frames: list[np.ndarray]) -> list[dict]:
    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.vision_mediapipe import MediapipeFaceBackend
    from suite.ai.backends.vision_opencv import HogPeopleBackend
    from video_analytics.motion import MotionDetector

    hog = HogPeopleBackend(BackendSpec("opencv-hog"))
    hog.load()
    faces = MediapipeFaceBackend(BackendSpec("mediapipe-face"))
    faces.load()

    def motion_step(detector: MotionDetector):
        return lambda frame: int(detector.update(frame).moving)

    def pipeline_step(detector: MotionDetector):
        def step(frame) -> int:
            if not detector.update(frame).moving:
                return 0
            return len(hog.detect(frame)) + len(faces.detect(frame))

        return step

    return [
        rate("motion_mog2", frames, motion_step(MotionDetector())),
        rate("hog_people", frames, lambda f: len(hog.detect(f))),
        rate("blazeface", frames, lambda f: len(faces.detect(f))),
        rate("pipeline", frames, pipeline_step(MotionDetector())),
    ]


def ocr(runs: int) -> dict:
    import cvttf_NotoSansCJK_Regular
    from PIL import Image, ImageDraw, ImageFont

    from suite.ai.backends.base import BackendSpec
    from suite.ai.backends.ocr_rapidocr import RapidOcrBackend

    font = ImageFont.truetype(cvttf_NotoSansCJK_Regular.get_TTF_path(), 32)
    image = Image.new("RGB", (1280, 720), "white")
    draw = ImageDraw.Draw(image)
    lines = ["中国移动 5G 套餐 128元", "月租 58 元 含流量 30GB", "话费余额 36.50 元"] * 2
    for i, line in enumerate(lines):
        draw.text((60, 60 + i * 100), line, font=font, fill="black")
    page = np.array(image)[:, :, ::-1].copy()
    banner = page[40:120, :720].copy()

    out = {}
    configs = {
        "suite_default": {},  # long side capped at 960
        "rapidocr_default": {"det_limit_type": "min", "det_limit_side_len": 736},
    }
    for label, options in configs.items():
        backend = RapidOcrBackend(BackendSpec("rapidocr", options={"threads": 1, **options}))
        backend.load()
        for name, image_ in (("page_1280x720_6_lines", page), ("banner_720x80_1_line", banner)):
            backend.ocr(image_)
            times, lines_found = [], 0
            for _ in range(runs):
                started = time.process_time()
                lines_found = len(backend.ocr(image_))
                times.append(time.process_time() - started)
            out[f"{label}/{name}"] = {
                "median_ms": round(1000 * statistics.median(times), 1),
                "lines": lines_found,
            }
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--busy", type=float, default=0.3, help="share of frames with a person")
    parser.add_argument("--ocr-runs", type=int, default=5)
    args = parser.parse_args()

    import django

    django.setup()
    core = pin_to_one_core()
    results = vision(scene(args.frames, args.busy))
    baseline = results[0]["fps_per_core"]
    for row in results:
        row["vs_motion"] = round(row["fps_per_core"] / baseline, 3)
    print(
        json.dumps(
            {
                "machine": {"python": platform.python_version(), "cpu": platform.processor()},
                "pinned_core": core,
                "opencv": cv2.__version__,
                "frame": "640x480",
                "frames": args.frames,
                "busy_share": args.busy,
                "note": "fps from process CPU time on one pinned core; wall_fps includes "
                "waiting for a core shared with other processes",
                "vision": results,
                "ocr": ocr(args.ocr_runs),
            },
            ensure_ascii=False,
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
