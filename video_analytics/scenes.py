"""A synthetic street scene for the demo data: a figure crossing a textured background past a
poster with a real face (matplotlib's Grace Hopper portrait), so the demo shows events and face
blurring without shipping any video. It is labelled as synthetic wherever it is shown."""

from __future__ import annotations

import numpy as np

WIDTH, HEIGHT = 640, 480


def figure_box(i: int, *, x0: int = -300, speed: int = 16) -> tuple[int, int, int, int]:
    return (x0 + speed * i, 250, 60, 150)


def caption(
    frame: np.ndarray,
    text: str,
    *,
    at: tuple[int, int] = (16, 12),
    size: int = 28,
    colors: tuple[tuple[int, int, int], tuple[int, int, int]] = ((255, 255, 255), (0, 0, 0)),
) -> np.ndarray:
    """Burns text on a box into a BGR frame: by default a camera-style caption (a white box,
    black CJK text) in the top left corner. `colors` are (box, text), RGB."""
    from PIL import Image, ImageDraw

    from suite.ai.labelling import cjk_font

    image = Image.fromarray(frame[:, :, ::-1])
    draw = ImageDraw.Draw(image)
    font = cjk_font(size)
    left, top, right, bottom = draw.textbbox(at, text, font=font)
    draw.rectangle((left - 8, top - 6, right + 8, bottom + 6), fill=colors[0])
    draw.text(at, text, font=font, fill=colors[1])
    return np.asarray(image)[:, :, ::-1].copy()


def _service_hall(rng: np.random.Generator) -> np.ndarray:
    """A drawn service hall (BGR): wall panels, a counter with its sign, a plant and a tiled
    floor, with a little sensor grain. Edges everywhere, as a real scene has: the tampering
    checks learn its sharpness and the motion stage sees only the walker."""
    import cv2

    rows = np.linspace(0, 1, 400)[:, None]
    wall = (np.array([236, 232, 226]) * (1 - rows) + np.array([206, 200, 192]) * rows)[:, None]
    base = np.empty((HEIGHT, WIDTH, 3), np.uint8)
    base[:400] = np.repeat(wall, WIDTH, axis=1).astype(np.uint8)
    for x in range(0, WIDTH, 80):  # wall panels
        cv2.line(base, (x, 0), (x, 399), (188, 182, 176), 1)
    cv2.rectangle(base, (0, 232), (WIDTH, 246), (150, 96, 30), -1)  # the brand stripe
    # floor tiles in perspective, vanishing at the middle of the far wall
    base[400:] = (172, 176, 180)
    for y in (400, 412, 428, 450, 479):
        cv2.line(base, (0, y), (WIDTH, y), (140, 144, 150), 1)
    for x in range(-400, WIDTH + 400, 80):
        cv2.line(base, (WIDTH // 2 + (x - WIDTH // 2) // 3, 400), (x, HEIGHT), (140, 144, 150), 1)
    # the service counter, its top edge and the sign above it
    cv2.rectangle(base, (250, 318), (440, 400), (96, 140, 186), -1)
    cv2.rectangle(base, (244, 310), (446, 320), (60, 92, 130), -1)
    cv2.rectangle(base, (290, 262), (400, 296), (150, 96, 30), -1)
    # a potted plant in the corner
    cv2.rectangle(base, (34, 360), (78, 400), (70, 80, 120), -1)
    for dx, dy, r in ((56, 330, 26), (38, 342, 18), (74, 344, 18), (56, 306, 16)):
        cv2.circle(base, (dx, dy), r, (60, 130 + r, 60), -1)
    # the poster frame (the poster itself carries a real face for the blurring stage)
    cv2.rectangle(base, (444, 34), (606, 222), (90, 90, 90), -1)
    grain = rng.normal(0, 3, base.shape)
    return np.clip(base + grain, 0, 255).astype(np.uint8)


def street_frames(count: int = 60, *, seed: int = 0, text: str = "") -> list[np.ndarray]:
    import cv2
    from matplotlib import cbook

    rng = np.random.default_rng(seed)
    base = _service_hall(rng)
    portrait = cv2.imread(str(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)))
    poster = cv2.resize(portrait, (150, 176), interpolation=cv2.INTER_AREA)
    base[40:216, 450:600] = poster
    base = caption(base, "服务台", at=(314, 266), size=22, colors=((30, 96, 150), (255, 255, 255)))
    if text:
        base = caption(base, text)
    frames = []
    for i in range(count):
        frame = base.copy()
        x, y, w, h = figure_box(i)
        if x + w > 0 and x < WIDTH:
            _walker(frame, x, y, w, h, step=i)
        frames.append(np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8))
    return frames


def _walker(frame: np.ndarray, x: int, y: int, w: int, h: int, *, step: int) -> None:
    """A person in a dark coat inside (x, y, w, h), legs swinging with the step, head above."""
    import cv2

    coat, trousers, skin = (60, 50, 40), (50, 40, 30), (120, 150, 190)
    torso_bottom = y + int(h * 0.6)
    cv2.rectangle(frame, (x + 6, y), (x + w - 6, torso_bottom), coat, -1)
    cv2.ellipse(frame, (x + w // 2, y + 6), (w // 2, 12), 0, 180, 360, coat, -1)  # shoulders
    swing = int(8 * np.sin(step * 0.9))
    hip = (x + w // 2, torso_bottom)
    for foot_x in (x + w // 2 - 10 + swing, x + w // 2 + 10 - swing):
        cv2.line(frame, hip, (foot_x, y + h), trousers, 12)
    cv2.circle(frame, (x + w // 2, y - 18), 18, skin, -1)
