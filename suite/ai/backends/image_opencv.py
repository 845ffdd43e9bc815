"""The embedded image fallback: classic OpenCV photo stylisation and template backgrounds.

Non-generative, and labelled so: `edit()` restyles the photo it is given (oil, pencil,
cartoon, watercolour, ink wash...), treating the person and the background differently when
MediaPipe finds a person; `generate()` renders a themed background (palette and pattern picked
from keywords in the prompt) with the prompt text set in a CJK font. Deterministic per seed.

Options: max_side (largest side asked of generate, default 2048), work_side (edits are
processed at most this large, then scaled back; default 1280), max_images (default 4),
segment (use person segmentation, default true).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFilter

from suite.media.images import check_output_size

from ..capabilities import Capability
from ..errors import BackendUnavailable
from ..labelling import CREDIT_KEY
from ..styles import STYLES, get_style
from ..types import ImageResult
from .base import BackendSpec, ImageBackend, StepCallback, register
from .image_design import attribution, compose

if TYPE_CHECKING:
    import numpy.typing as npt

MIN_SIDE = 64
logger = logging.getLogger(__name__)

# --- stylisers: BGR uint8 in, BGR uint8 out ------------------------------------------------


def _oil(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Oil: broad brush dabs (oil painting filter), richer colour, a canvas weave."""
    import cv2

    size = max(3, round(min(img.shape[:2]) / 110)) + int(rng.integers(0, 2))
    smooth = cv2.bilateralFilter(img, 7, 40, 7)
    painted = _saturate(cv2.xphoto.oilPainting(smooth, size, 1), 1.3, 0.03)
    canvas = _paper_texture(img.shape[:2], rng, tone=(238, 242, 245))
    return cv2.multiply(painted, canvas, scale=1 / 255)


def _pencil(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Graphite on paper: the colour-dodge sketch of the smoothed photo (clean strokes, not
    the photo's grain), a little of its shading, on paper texture."""
    import cv2

    smooth = _smooth(img, 2)
    gray = cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY)
    blur = cv2.GaussianBlur(255 - gray, (0, 0), max(2.0, min(img.shape[:2]) / 60))
    sketch = cv2.divide(gray, 255 - blur, scale=256)
    lines, _color = cv2.pencilSketch(
        smooth, sigma_s=float(rng.uniform(40, 70)), sigma_r=0.05, shade_factor=0.02
    )
    shade = cv2.GaussianBlur(gray, (0, 0), max(2.0, min(img.shape[:2]) / 50))
    out = sketch.astype(np.float32) * (0.75 + 0.25 * shade / 255)
    out = np.minimum(out, lines.astype(np.float32) * 0.35 + 255 * 0.65)
    paper = _paper_texture(img.shape[:2], rng, tone=(240, 240, 240))[..., 0].astype(np.float32)
    out = np.clip(out * paper / 255, 0, 255).astype(np.uint8)
    return cv2.cvtColor(out, cv2.COLOR_GRAY2BGR)


def _quantise(img: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """`img` painted with its `k` main colours (k-means in Lab on a sample of the pixels)."""
    import cv2

    lab = cv2.cvtColor(img, cv2.COLOR_BGR2LAB).reshape(-1, 3).astype(np.float32)
    sample = lab[rng.choice(len(lab), size=min(len(lab), 6000), replace=False)]
    cv2.setRNGSeed(int(rng.integers(0, 2**31 - 1)))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    # OpenCV accepts None for bestLabels (it allocates them); its stubs demand an array.
    _c, _labels, centres = cv2.kmeans(  # type: ignore[call-overload]
        sample, k, None, criteria, 2, cv2.KMEANS_PP_CENTERS
    )
    d = ((lab[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    flat = centres[d.argmin(axis=1)].reshape(img.shape).astype(np.uint8)
    return cv2.cvtColor(flat, cv2.COLOR_LAB2BGR)


def _smooth(img: np.ndarray, passes: int) -> np.ndarray:
    import cv2

    small = cv2.pyrDown(img) if min(img.shape[:2]) >= 256 else img
    for _i in range(passes):
        small = cv2.bilateralFilter(small, 9, 40, 7)
    return cv2.resize(small, (img.shape[1], img.shape[0]), interpolation=cv2.INTER_LINEAR)


def _bold_edges(img: np.ndarray, width: int) -> np.ndarray:
    """A soft 0-1 mask of the outlines (uint8 0/255 dilated to `width`)."""
    import cv2

    gray = cv2.medianBlur(cv2.cvtColor(img, cv2.COLOR_BGR2GRAY), 5)
    block = max(3, (min(img.shape[:2]) // 40) | 1)
    edges: np.ndarray = 255 - cv2.adaptiveThreshold(
        gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY, block, 6
    )
    edges = cv2.morphologyEx(edges, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    if width > 1:
        edges = cv2.dilate(edges, np.ones((width, width), np.uint8))
    return cv2.GaussianBlur(edges, (3, 3), 0).astype(np.float32) / 255


def _saturate(img: np.ndarray, factor: float, lift: float = 0.0) -> np.ndarray:
    import cv2

    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV).astype(np.float32)
    hsv[..., 1] = np.clip(hsv[..., 1] * factor, 0, 255)
    hsv[..., 2] = np.clip(hsv[..., 2] * (1 - lift) + 255 * lift, 0, 255)
    return cv2.cvtColor(hsv.astype(np.uint8), cv2.COLOR_HSV2BGR)


def _cartoon(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Anime / cel shading: flat colours (about 8), bright and clean, with thin dark ink lines
    traced on the smoothed picture (outlines, not every wrinkle)."""
    smooth = _smooth(img, 4)
    flat = _quantise(smooth, int(rng.integers(7, 10)), rng)
    flat = _saturate(flat, 1.25, 0.12)
    edges = _bold_edges(smooth, max(1, min(img.shape[:2]) // 400))[..., None]
    ink = np.array([40, 24, 30], np.float32)  # dark plum, softer than black
    out = flat.astype(np.float32) * (1 - edges) + ink * edges
    return np.clip(out, 0, 255).astype(np.uint8)


def _cartoon3d(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """3D cartoon: about 8 clay-smooth colours with soft volume shading and a top-left light,
    bold rounded outlines, candy saturation. `edit` bulges the photo first (see _WARPS)."""
    import cv2

    smooth = _smooth(img, 5)
    flat = _quantise(smooth, int(rng.integers(8, 11)), rng).astype(np.float32)
    soft = max(1.5, min(img.shape[:2]) / 160)
    # Clay: the flat colours with their steps rounded off, a little of the smooth photo's
    # gradients kept inside them, and soft volume shading from the wide luminance.
    clay = cv2.GaussianBlur(flat, (0, 0), soft) * 0.75 + smooth.astype(np.float32) * 0.25
    luma = cv2.cvtColor(smooth, cv2.COLOR_BGR2GRAY).astype(np.float32) / 255
    broad = cv2.GaussianBlur(luma, (0, 0), max(2.0, min(img.shape[:2]) / 40))
    shade = 1.0 + 0.45 * (broad - float(broad.mean()))
    gx = cv2.Sobel(broad, cv2.CV_32F, 1, 0, ksize=5)
    gy = cv2.Sobel(broad, cv2.CV_32F, 0, 1, ksize=5)
    spec = np.clip(-(gx + gy), 0, None)  # surfaces facing the top-left light
    spec = np.clip(spec / (float(np.percentile(spec, 99.5)) or 1), 0, 1) ** 2
    lit = clay * shade[..., None] * 1.08 + 255 * 0.25 * spec[..., None]
    lit = _saturate(np.clip(lit, 0, 255).astype(np.uint8), 1.2, 0.1).astype(np.float32)
    edges = _bold_edges(smooth, max(2, min(img.shape[:2]) // 240))[..., None]
    out = lit * (1 - edges) + lit * 0.25 * edges
    return np.clip(out, 0, 255).astype(np.uint8)


def _bulge(img: np.ndarray, amount: float) -> np.ndarray:
    """Barrel warp about the centre: the middle swells a little, as through a lens."""
    import cv2

    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    nx, ny = (xx - w / 2) / (w / 2), (yy - h / 2) / (h / 2)
    r = np.sqrt(nx**2 + ny**2)
    factor = 1 - amount * np.clip(1 - r, 0, 1) ** 2
    map_x = (nx * factor) * (w / 2) + w / 2
    map_y = (ny * factor) * (h / 2) + h / 2
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def _watercolor(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    import cv2

    soft = cv2.edgePreservingFilter(img, flags=cv2.RECURS_FILTER, sigma_s=50, sigma_r=0.4)
    painted = cv2.stylization(soft, sigma_s=float(rng.uniform(50, 80)), sigma_r=0.45)
    paper = _paper_texture(img.shape[:2], rng, tone=(236, 242, 246))
    lifted = cv2.addWeighted(painted, 0.85, np.full_like(painted, 255), 0.15, 0)
    return cv2.multiply(lifted, paper, scale=1 / 255)


def _ink(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    import cv2

    gray = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY)
    gray = cv2.edgePreservingFilter(
        cv2.cvtColor(gray, cv2.COLOR_GRAY2BGR), flags=cv2.RECURS_FILTER, sigma_s=60, sigma_r=0.4
    )[:, :, 0]
    tones = np.array([40, 95, 160, 215, 245], np.float32)
    wash = tones[np.clip((gray.astype(np.int32) * len(tones)) // 256, 0, len(tones) - 1)]
    # GaussianBlur keeps its input's float32; OpenCV's stubs only promise some numeric array.
    wash = cast(
        "npt.NDArray[np.float32]",
        cv2.GaussianBlur(wash, (0, 0), 1.2 + float(rng.uniform(0, 0.8))),
    )
    edges = cv2.Canny(cv2.GaussianBlur(gray, (5, 5), 0), 40, 110)
    edges = cv2.dilate(edges, np.ones((2, 2), np.uint8))
    wash[edges > 0] *= 0.35
    paper = _paper_texture(img.shape[:2], rng, tone=(213, 232, 242))  # warm rice paper (BGR)
    ink = cv2.cvtColor(np.clip(wash, 0, 255).astype(np.uint8), cv2.COLOR_GRAY2BGR)
    return cv2.multiply(ink, paper, scale=1 / 255)


def _cyberpunk(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    import cv2

    f = img.astype(np.float32) / 255
    luma = cv2.cvtColor(img, cv2.COLOR_BGR2GRAY).astype(np.float32)[..., None] / 255
    shadows = np.array([0.55, 0.35, 0.05], np.float32)  # teal-blue (BGR)
    highs = np.array([0.85, 0.25, 0.95], np.float32)  # magenta (BGR)
    graded = f * 0.45 + (shadows * (1 - luma) + highs * luma) * 0.55
    graded = np.clip((graded - 0.5) * 1.35 + 0.5, 0, 1)
    bright = np.where(luma > 0.65, graded, 0).astype(np.float32)
    glow = cv2.GaussianBlur(bright, (0, 0), max(3.0, min(img.shape[:2]) / 80))
    out = np.clip(graded + glow * float(rng.uniform(0.5, 0.8)), 0, 1)
    return (out * 255).astype(np.uint8)


def _portrait(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    import cv2

    smooth = cv2.bilateralFilter(img, 9, 45, 9)
    detail = cv2.detailEnhance(smooth, sigma_s=8, sigma_r=0.12)
    warm = detail.astype(np.float32) * np.array([0.95, 1.0, 1.06], np.float32)
    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    dist = np.sqrt(((xx - w / 2) / (w / 2)) ** 2 + ((yy - h / 2) / (h / 2)) ** 2)
    vignette = np.clip(1.08 - 0.3 * dist**2, 0.6, 1.05)[..., None]
    return np.clip(warm * vignette + float(rng.uniform(0, 6)), 0, 255).astype(np.uint8)


def _paper_texture(
    shape: tuple[int, ...], rng: np.random.Generator, *, tone: tuple[int, int, int]
) -> np.ndarray:
    """Paper the size of an image: `shape` is its shape[:2], (height, width)."""
    import cv2

    noise: np.ndarray = rng.normal(0, 1, (shape[0], shape[1])).astype(np.float32)
    noise = cv2.GaussianBlur(noise, (0, 0), 1.5)
    noise = noise / (np.abs(noise).max() or 1) * 10
    paper = np.array(tone, np.float32)[None, None, :] + noise[..., None]
    return np.clip(paper, 0, 255).astype(np.uint8)


STYLIZERS: dict[str, Callable[[np.ndarray, np.random.Generator], np.ndarray]] = {
    "oil": _oil,
    "pencil": _pencil,
    "cartoon": _cartoon,
    "cartoon3d": _cartoon3d,
    "watercolor": _watercolor,
    "ink": _ink,
    "cyberpunk": _cyberpunk,
    "portrait": _portrait,
}
# Styles whose effect should be softened on a detected person (faces stay recognisable).
_PERSON_GENTLE = {"oil", "watercolor", "cyberpunk"}
# Styles that redraw the whole picture (a cartoon or a sketch of the person is the point): a
# low strength still shows mostly the drawing, never the photo showing through.
_REDRAWN = {"cartoon", "cartoon3d", "pencil", "ink"}
# Geometry changes applied to the photo before a style (and its person mask), so the blend
# with the photo never ghosts: the 3D cartoon's slight bulge makes forms rounder, toy-like.
_WARPS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "cartoon3d": lambda img: _bulge(img, 0.2),
}


# --- template themes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Theme:
    key: str
    keywords: tuple[str, ...]
    colors: tuple[tuple[int, int, int], ...]  # RGB gradient stops, top to bottom
    pattern: str
    text_color: tuple[int, int, int]


THEMES: tuple[Theme, ...] = (
    Theme(
        "spring_festival",
        ("春节", "新年", "过年", "除夕", "拜年", "spring festival", "new year", "lunar"),
        ((190, 20, 30), (150, 10, 20), (110, 5, 15)),
        "lanterns",
        (255, 215, 120),
    ),
    Theme(
        "mid_autumn",
        ("中秋", "月饼", "赏月", "团圆", "mid-autumn", "mooncake", "moon"),
        ((15, 25, 70), (40, 50, 110), (90, 70, 120)),
        "moon",
        (255, 230, 160),
    ),
    Theme(
        "birthday",
        ("生日", "寿", "birthday", "party", "派对"),
        ((255, 190, 210), (255, 225, 160), (255, 245, 220)),
        "confetti",
        (150, 40, 90),
    ),
    Theme(
        "love",
        ("爱", "情人节", "七夕", "婚", "520", "love", "valentine", "wedding"),
        ((255, 120, 150), (240, 80, 120), (180, 40, 90)),
        "hearts",
        (255, 245, 250),
    ),
    Theme(
        "travel",
        ("旅行", "旅游", "出游", "度假", "海", "山", "travel", "trip", "holiday", "beach"),
        ((120, 200, 250), (170, 225, 250), (60, 150, 200)),
        "waves",
        (255, 255, 255),
    ),
    Theme(
        "business",
        ("商务", "会议", "企业", "办公", "发布", "business", "meeting", "office", "5g", "科技"),
        ((20, 40, 80), (30, 70, 130), (15, 30, 60)),
        "grid",
        (235, 245, 255),
    ),
    Theme(
        "blessing",
        ("祝福", "福", "吉祥", "平安", "恭喜", "快乐", "blessing", "congratulations"),
        ((200, 40, 40), (230, 120, 50), (250, 200, 90)),
        "stars",
        (255, 250, 230),
    ),
)
_DEFAULT_PALETTES = (
    ((90, 140, 220), (160, 110, 200), (240, 170, 160)),
    ((40, 170, 160), (110, 200, 170), (230, 240, 190)),
    ((250, 180, 90), (240, 120, 100), (120, 70, 140)),
)


def pick_theme(prompt: str, rng: np.random.Generator) -> Theme:
    text = prompt.lower()
    for theme in THEMES:
        if any(word in text for word in theme.keywords):
            return theme
    colors = _DEFAULT_PALETTES[int(rng.integers(0, len(_DEFAULT_PALETTES)))]
    return Theme("default", (), colors, "bokeh", (255, 255, 255))


def _draw_pattern(img: Image.Image, theme: Theme, rng: np.random.Generator) -> None:
    w, h = img.size
    unit = min(w, h)
    layer = Image.new("RGBA", img.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    pattern = theme.pattern
    if pattern == "moon":
        r = unit * 0.18
        cx, cy = w * float(rng.uniform(0.6, 0.8)), h * 0.22
        draw.ellipse(
            (cx - r * 1.6, cy - r * 1.6, cx + r * 1.6, cy + r * 1.6), fill=(255, 230, 160, 40)
        )
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=(255, 236, 170, 235))
        pattern = "stars"
    if pattern == "stars":
        for _i in range(int(40 * w * h / 512**2) + 10):
            x, y, s = rng.uniform(0, w), rng.uniform(0, h), unit * rng.uniform(0.003, 0.01)
            draw.ellipse(
                (x - s, y - s, x + s, y + s), fill=(255, 245, 200, int(rng.integers(120, 230)))
            )
    elif pattern == "lanterns":
        for i in range(4):
            cx = w * (0.12 + 0.25 * i) + rng.uniform(-0.03, 0.03) * w
            r = unit * rng.uniform(0.06, 0.09)
            cy = h * 0.14 + rng.uniform(0, 0.06) * h
            draw.line((cx, 0, cx, cy - r), fill=(255, 200, 80, 220), width=max(1, unit // 200))
            draw.ellipse((cx - r, cy - r * 0.8, cx + r, cy + r * 0.8), fill=(230, 30, 30, 240))
            draw.rectangle(
                (cx - r * 0.4, cy + r * 0.8, cx + r * 0.4, cy + r), fill=(255, 200, 80, 240)
            )
    elif pattern == "confetti":
        palette = [(255, 90, 120), (80, 180, 255), (255, 200, 60), (120, 220, 140), (190, 120, 255)]
        for _i in range(int(90 * w * h / 512**2) + 20):
            x, y = rng.uniform(0, w), rng.uniform(0, h)
            s = unit * rng.uniform(0.006, 0.016)
            color = palette[int(rng.integers(0, len(palette)))]
            draw.rectangle((x, y, x + s * 2, y + s), fill=(*color, 220))
    elif pattern == "hearts":
        for _i in range(int(25 * w * h / 512**2) + 8):
            x, y, s = rng.uniform(0, w), rng.uniform(0, h), unit * rng.uniform(0.02, 0.06)
            alpha = int(rng.integers(70, 170))
            draw.ellipse((x - s, y - s, x, y), fill=(255, 230, 240, alpha))
            draw.ellipse((x, y - s, x + s, y), fill=(255, 230, 240, alpha))
            draw.polygon(
                [(x - s, y - s / 2), (x + s, y - s / 2), (x, y + s)], fill=(255, 230, 240, alpha)
            )
    elif pattern == "waves":
        for i in range(6):
            base = h * (0.62 + 0.06 * i)
            amp, phase = unit * 0.015, float(rng.uniform(0, 6.28))
            xs = np.linspace(0, w, 64)
            pts = [(float(x), float(base + amp * np.sin(x / w * 12 + phase))) for x in xs]
            draw.line(pts, fill=(255, 255, 255, 90 + 20 * i), width=max(1, unit // 150))
    elif pattern == "grid":
        step = max(8, unit // 12)
        for x in range(0, w, step):
            draw.line((x, 0, x, h), fill=(120, 170, 255, 35))
        for y in range(0, h, step):
            draw.line((0, y, w, y), fill=(120, 170, 255, 35))
        for _i in range(6):
            x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
            draw.line((x0, y0, x0 + unit * 0.5, y0 - unit * 0.3), fill=(90, 200, 255, 120), width=2)
    else:  # bokeh
        for _i in range(int(18 * w * h / 512**2) + 6):
            x, y, s = rng.uniform(0, w), rng.uniform(0, h), unit * rng.uniform(0.03, 0.12)
            draw.ellipse(
                (x - s, y - s, x + s, y + s), fill=(255, 255, 255, int(rng.integers(20, 60)))
            )
        layer = layer.filter(ImageFilter.GaussianBlur(unit / 150))
    img.alpha_composite(layer)


# --- the backend ---------------------------------------------------------------------------


@register
class OpenCVStylizeBackend(ImageBackend):
    engine = "opencv-stylize"
    capabilities = frozenset({Capability.GENERATE_IMAGE, Capability.EDIT_IMAGE})
    generative = False

    def __init__(self, spec: BackendSpec):
        super().__init__(spec)
        self.max_side = int(self.options.get("max_side", 2048))
        self.work_side = int(self.options.get("work_side", 1280))
        self.segment = bool(self.options.get("segment", True))
        self._segmenter: Any = None
        self._seg_lock = threading.Lock()

    def load(self) -> None:
        import cv2

        if not hasattr(cv2, "xphoto"):  # opencv without contrib: oil painting would fail later
            raise BackendUnavailable(_("OpenCV contrib modules (xphoto) are not installed."))
        if self.segment:
            try:
                import mediapipe
            except ImportError:
                logger.warning("mediapipe is not installed: edits will not separate people")
                return
            self._segmenter = mediapipe.solutions.selfie_segmentation.SelfieSegmentation(
                model_selection=0
            )

    def generate(
        self,
        prompt: str,
        *,
        negative_prompt: str = "",
        width: int = 512,
        height: int = 512,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        self.check_request(n)
        check_output_size(width, height, max_side=self.max_side, min_side=MIN_SIDE)
        preset = get_style(style)
        seed = self.seed(seed)
        images = []
        for i in range(n):
            rng = np.random.default_rng(seed + i)
            theme = pick_theme(prompt, rng)
            restyle = None
            if preset is not None:
                stylizer = STYLIZERS[preset.opencv]

                def restyle(bgr: np.ndarray, stylizer=stylizer, rng=rng) -> np.ndarray:
                    return stylizer(bgr, rng)

            image = compose(
                prompt,
                (width, height),
                theme.key,
                rng,
                restyle=restyle,
                without_emoji=lambda canvas, theme=theme, rng=rng: _draw_pattern(
                    canvas, theme, rng
                ),
            )
            credit = attribution()
            if credit:
                image.info[CREDIT_KEY] = credit
            images.append(image)
        return ImageResult(images=images, seed=seed)

    def edit(
        self,
        image: Image.Image,
        prompt: str = "",
        *,
        negative_prompt: str = "",
        strength: float = 0.6,
        steps: int | None = None,
        seed: int | None = None,
        style: str | None = None,
        n: int = 1,
        on_step: StepCallback | None = None,
    ) -> ImageResult:
        self.check_request(n, strength)
        stylizer = _stylizer_for(style, prompt)
        seed = self.seed(seed)
        source = image.convert("RGB")
        work = _fit(source, self.work_side)
        bgr = np.ascontiguousarray(np.asarray(work)[:, :, ::-1])
        if stylizer in _WARPS:
            bgr = _WARPS[stylizer](bgr)
        person = self._person_mask(bgr)
        images = []
        for i in range(n):
            rng = np.random.default_rng(seed + i)
            styled = STYLIZERS[stylizer](bgr, rng)
            if stylizer == "portrait" and person is not None:
                styled = _bokeh_background(styled, person)
            out = _blend(
                bgr,
                styled,
                person,
                strength,
                gentle=stylizer in _PERSON_GENTLE,
                redrawn=stylizer in _REDRAWN,
            )
            result = Image.fromarray(np.ascontiguousarray(out[:, :, ::-1]))
            if result.size != source.size:
                result = result.resize(source.size, Image.Resampling.LANCZOS)
            images.append(result)
        return ImageResult(images=images, seed=seed)

    def person_mask(self, image: Image.Image) -> np.ndarray | None:
        """Soft person mask in [0, 1] (HxW float32), or None when no person is found."""
        return self._person_mask(np.ascontiguousarray(np.asarray(image.convert("RGB"))[:, :, ::-1]))

    def _person_mask(self, bgr: np.ndarray) -> np.ndarray | None:
        if self._segmenter is None:
            return None
        rgb = np.ascontiguousarray(bgr[:, :, ::-1])
        with self._seg_lock:
            result = self._segmenter.process(rgb)
        mask = getattr(result, "segmentation_mask", None)
        if mask is None:
            return None
        mask = np.clip(mask.astype(np.float32), 0, 1)
        # A sliver is noise, not a portrait.
        return mask if float((mask > 0.5).mean()) >= 0.03 else None


def _stylizer_for(style: str | None, prompt: str) -> str:
    preset = get_style(style)
    if preset is not None:
        return preset.opencv
    text = prompt.lower()
    for key, item in STYLES.items():
        if item.label in prompt or key.replace("_", " ") in text:
            return item.opencv
    return "watercolor"


def _blend(
    original: np.ndarray,
    styled: np.ndarray,
    person: np.ndarray | None,
    strength: float,
    *,
    gentle: bool,
    redrawn: bool = False,
) -> np.ndarray:
    """Background gets the full effect scaled by strength; with `gentle`, the person only a
    little of it, so faces keep their detail; with `redrawn`, at least 85% of the effect."""
    import cv2

    background_weight = (0.85 + 0.15 * strength) if redrawn else (0.35 + 0.65 * strength)
    weight = np.full(original.shape[:2], background_weight, np.float32)
    if person is not None:
        person_weight = (0.15 + 0.35 * strength) if gentle else background_weight
        soft = cv2.GaussianBlur(person, (0, 0), 3)
        weight = weight * (1 - soft) + person_weight * soft
    w = weight[..., None]
    out = original.astype(np.float32) * (1 - w) + styled.astype(np.float32) * w
    return np.clip(out, 0, 255).astype(np.uint8)


def _bokeh_background(img: np.ndarray, person: np.ndarray) -> np.ndarray:
    import cv2

    blurred = cv2.GaussianBlur(img, (0, 0), max(2.0, min(img.shape[:2]) / 90))
    m = cv2.GaussianBlur(person, (0, 0), 2)[..., None]
    return (img * m + blurred * (1 - m)).astype(np.uint8)


def _fit(img: Image.Image, max_side: int) -> Image.Image:
    scale = max_side / max(img.size)
    if scale >= 1:
        return img
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.LANCZOS)
