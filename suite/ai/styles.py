"""Style presets shared by the image backends: diffusion prompt text, and the OpenCV
stylisation the non-generative fallback uses for the same style."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _

from .errors import InvalidInput

_COMMON_NEGATIVE = "lowres, blurry, deformed, bad anatomy, extra fingers, watermark, text"


@dataclass(frozen=True)
class Style:
    key: str
    label: str  # Chinese, shown in the portal
    prompt_suffix: str
    negative_prompt: str
    opencv: str  # one of suite.ai.backends.image_opencv.STYLIZERS


STYLES: dict[str, Style] = {
    s.key: s
    for s in (
        Style(
            "oil_painting",
            "油画",
            "oil painting, thick impasto brush strokes, canvas texture, rich colors",
            f"photo, photorealistic, {_COMMON_NEGATIVE}",
            "oil",
        ),
        Style(
            "watercolor",
            "水彩",
            "watercolor painting, soft washes, bleeding pigments, paper texture",
            f"photo, harsh lines, {_COMMON_NEGATIVE}",
            "watercolor",
        ),
        Style(
            "ink_wash",
            "水墨",
            "traditional Chinese ink wash painting, shuimo, rice paper, monochrome, brush strokes",
            f"color, photo, {_COMMON_NEGATIVE}",
            "ink",
        ),
        Style(
            "anime",
            "动漫",
            "anime style, cel shading, clean line art, vibrant colors",
            f"photo, realistic, 3d render, {_COMMON_NEGATIVE}",
            "cartoon",
        ),
        Style(
            "cyberpunk",
            "赛博朋克",
            "cyberpunk, neon lights, futuristic city, magenta and cyan glow, night",
            f"daylight, pastoral, {_COMMON_NEGATIVE}",
            "cyberpunk",
        ),
        Style(
            "cartoon_3d",
            "3D卡通",
            "3d cartoon character, pixar style, soft lighting, smooth shading, cute",
            f"photo, 2d, flat, {_COMMON_NEGATIVE}",
            "cartoon3d",
        ),
        Style(
            "photo_portrait",
            "写真",
            "professional portrait photography, soft studio lighting, bokeh, sharp focus, 85mm",
            f"cartoon, painting, illustration, {_COMMON_NEGATIVE}",
            "portrait",
        ),
        Style(
            "pencil_sketch",
            "素描",
            "pencil sketch, graphite drawing, cross hatching, monochrome, paper",
            f"color, photo, {_COMMON_NEGATIVE}",
            "pencil",
        ),
    )
}


def style_choices() -> list[tuple[str, str]]:
    return [(s.key, s.label) for s in STYLES.values()]


def get_style(key: str | None) -> Style | None:
    """None or "" means no style; an unknown key is the caller's mistake."""
    if not key:
        return None
    style = STYLES.get(key)
    if style is None:
        raise InvalidInput(
            _("Unknown style %(style)s. Valid styles: %(valid)s.")
            % {"style": key, "valid": ", ".join(STYLES)},
            param="style",
        )
    return style


def apply_style(prompt: str, negative_prompt: str, style: str | None) -> tuple[str, str]:
    preset = get_style(style)
    if preset is None:
        return prompt, negative_prompt
    prompt = f"{prompt}, {preset.prompt_suffix}" if prompt else preset.prompt_suffix
    negative = (
        f"{negative_prompt}, {preset.negative_prompt}"
        if negative_prompt
        else preset.negative_prompt
    )
    return prompt, negative
