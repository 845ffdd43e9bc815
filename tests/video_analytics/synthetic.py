"""Synthetic CCTV clips with objects whose positions are known at every frame."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

W, H = 640, 480


def background(seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    noise = rng.integers(60, 160, size=(60, 80, 3), dtype=np.uint8)
    return cv2.resize(noise, (W, H), interpolation=cv2.INTER_CUBIC)


def box_at(i: int, *, x0: int = 20, y: int = 300, speed: int = 10, size=(60, 120)) -> tuple:
    """Where the moving block is at frame i (x, y, w, h)."""
    return (x0 + speed * i, y, size[0], size[1])


def moving_block_frames(n: int, **kw) -> list[np.ndarray]:
    base = background()
    rng = np.random.default_rng(1)
    frames = []
    for i in range(n):
        frame = base.copy()
        x, y, w, h = box_at(i, **kw)
        if x < W:
            cv2.rectangle(frame, (x, y), (min(W - 1, x + w), y + h), (30, 30, 200), -1)
        frame = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        frames.append(frame)
    return frames


def portrait() -> np.ndarray:
    from matplotlib import cbook

    return cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))


def face_frames(n: int) -> list[np.ndarray]:
    """The matplotlib portrait (512x600) sliding slowly across a textured 640x480 scene."""
    face = cv2.resize(portrait(), (256, 300), interpolation=cv2.INTER_AREA)
    base = background(2)
    frames = []
    for i in range(n):
        frame = base.copy()
        x = 40 + 8 * i
        frame[90:390, x : x + 256] = face
        frames.append(frame)
    return frames


def write_clip(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def make_clip(tmp_path: Path, name: str, make: Callable[[], list[np.ndarray]], fps=10.0) -> Path:
    return write_clip(tmp_path / name, make(), fps)


def silhouette(frame: np.ndarray, x: int, y: int, s: float = 1.5, shade: int = 40) -> None:
    """A standing person HOG's people detector finds, in a 64x128*s window at (x, y)."""
    colour = (shade,) * 3

    def S(v: float) -> int:
        return round(v * s)

    cx = x + S(32)
    cv2.ellipse(frame, (cx, y + S(22)), (S(9), S(11)), 0, 0, 360, colour, -1)
    cv2.rectangle(frame, (cx - S(4), y + S(30)), (cx + S(4), y + S(36)), colour, -1)
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


def crowd_frames(n: int, people: int) -> list[np.ndarray]:
    """`people` figures side by side, walking right 3 px a frame, on a plain wall."""
    frames = []
    for i in range(n):
        frame = np.full((H, W, 3), 200, np.uint8)
        for k in range(people):
            silhouette(frame, 60 + k * 180 + 3 * i, 100, s=1.25)
        frames.append(frame)
    return frames
