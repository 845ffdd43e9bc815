"""A synthetic street scene for the demo data: a figure crossing a textured background past a
poster with a real face (matplotlib's Grace Hopper portrait), so the demo shows events and face
blurring without shipping any video. It is labelled as synthetic wherever it is shown."""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 640, 480


def figure_box(i: int, *, x0: int = -300, speed: int = 16) -> tuple[int, int, int, int]:
    return (x0 + speed * i, 250, 60, 150)


def caption(frame: np.ndarray, text: str) -> np.ndarray:
    """Burns a camera-style caption (a white box, black CJK text) into the top left corner."""
    from PIL import Image, ImageDraw

    from suite.ai.labelling import cjk_font

    image = Image.fromarray(frame[:, :, ::-1])
    draw = ImageDraw.Draw(image)
    font = cjk_font(28)
    left, top, right, bottom = draw.textbbox((16, 12), text, font=font)
    draw.rectangle((left - 8, top - 6, right + 8, bottom + 6), fill=(255, 255, 255))
    draw.text((16, 12), text, font=font, fill=(0, 0, 0))
    return np.asarray(image)[:, :, ::-1].copy()


def street_frames(count: int = 60, *, seed: int = 0, text: str = "") -> list[np.ndarray]:
    import cv2
    from matplotlib import cbook

    rng = np.random.default_rng(seed)
    noise = rng.integers(70, 170, size=(60, 80, 3), dtype=np.uint8)
    base = cv2.resize(noise, (WIDTH, HEIGHT), interpolation=cv2.INTER_CUBIC)
    cv2.rectangle(base, (0, 400), (WIDTH, HEIGHT), (90, 90, 90), -1)  # the pavement
    portrait = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    poster = cv2.resize(portrait, (150, 176), interpolation=cv2.INTER_AREA)
    base[40:216, 450:600] = poster
    if text:
        base = caption(base, text)
    frames = []
    for i in range(count):
        frame = base.copy()
        x, y, w, h = figure_box(i)
        if x + w > 0 and x < WIDTH:
            cv2.rectangle(frame, (max(0, x), y), (min(WIDTH - 1, x + w), y + h), (40, 40, 160), -1)
            cv2.circle(frame, (x + w // 2, y - 18), 18, (60, 80, 120), -1)
        frames.append(np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8))
    return frames
