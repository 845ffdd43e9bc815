"""A synthetic street scene for the demo data: a figure crossing a textured background past a
poster with a real face (matplotlib's Grace Hopper portrait), so the demo shows events and face
blurring without shipping any video. It is labelled as synthetic wherever it is shown."""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 640, 480


def figure_box(i: int, *, x0: int = -300, speed: int = 16) -> tuple[int, int, int, int]:
    return (x0 + speed * i, 250, 60, 150)


def street_frames(count: int = 60, *, seed: int = 0) -> list[np.ndarray]:
    import cv2
    from matplotlib import cbook

    rng = np.random.default_rng(seed)
    noise = rng.integers(70, 170, size=(60, 80, 3), dtype=np.uint8)
    base = cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    cv2.rectangle(base, (0, 400), (WIDTH, HEIGHT), (90, 90, 90), -1)  # the pavement
    portrait = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    poster = cv2.resize(portrait, (150, 176), interpolation=cv2.INTER_AREA)
    base[40:216, 450:600] = poster
    frames = []
    for i in range(count):
        frame = base.copy()
        x, y, w, h = figure_box(i)
        if x + w > 0 and x < WIDTH:
            cv2.rectangle(frame, (max(0, x), y), (min(WIDTH - 1, x + w), y + h), (40, 40, 160), -1)
            cv2.circle(frame, (x + w // 2, y - 18), 18, (60, 80, 120), -1)
        frames.append(np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8))
    return frames
