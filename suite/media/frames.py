"""Video frames as numpy arrays: validation for the vision backends, and privacy blurring."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, cast

import numpy as np
from django.utils.translation import gettext as _

from suite.ai.errors import InvalidInput

Box = tuple[int, int, int, int]  # x, y, width, height


def as_bgr_frame(frame: object, *, max_pixels: int | None = None) -> np.ndarray:
    """The frame as a contiguous HxWx3 uint8 BGR array (grey and BGRA are converted)."""
    import cv2  # here, not at the top: the web tier imports this module and rarely needs cv2

    if not isinstance(frame, np.ndarray) or frame.size == 0:
        raise InvalidInput(_("The image is empty or not an image."), param="image")
    if frame.dtype != np.uint8:
        raise InvalidInput(_("The image must have 8-bit pixels."), param="image")
    if frame.ndim == 2:
        frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
    elif frame.ndim == 3 and frame.shape[2] == 4:
        frame = cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
    elif frame.ndim != 3 or frame.shape[2] != 3:
        raise InvalidInput(
            _("The image must have 1, 3 or 4 colour channels, not shape %(shape)s.")
            % {"shape": tuple(frame.shape)},
            param="image",
        )
    if max_pixels is not None and frame.shape[0] * frame.shape[1] > max_pixels:
        raise InvalidInput(
            _("The image has more than %(limit)s pixels.") % {"limit": max_pixels},
            param="image",
        )
    return np.ascontiguousarray(frame)


def clip_box(box: Iterable[float], width: int, height: int) -> Box | None:
    """(x, y, w, h) clipped to the frame; None when nothing of it is left inside."""
    x, y, w, h = (float(v) for v in box)
    x0, y0 = max(0, round(x)), max(0, round(y))
    x1, y1 = min(width, round(x + w)), min(height, round(y + h))
    if x1 <= x0 or y1 <= y0:
        return None
    return (x0, y0, x1 - x0, y1 - y0)


def blur_regions(
    frame: np.ndarray,
    boxes: Iterable[Box | object],
    *,
    pad: float = 0.5,
    method: Literal["gaussian", "pixelate"] = "gaussian",
) -> np.ndarray:
    """A copy of `frame` with each box (grown by `pad` of its size per side) made unrecognisable.

    Boxes are (x, y, w, h) tuples or anything with a `.box` attribute (a `Detection`). Blurring
    or pixelating alone is not enough: a smooth face-shaped blob (skin tone inside, hair
    around) is still reported as a face by BlazeFace, in about 4 frames out of 10 of the
    portrait tests. So the region is reduced to a coarse blur or a 4x4 grid of cells and then
    mostly flattened to its mean colour: no features and no face shape survive. The default
    `pad` takes in hair, chin and the head's outline too (with less, a flat patch framed by
    hair is still found as a larger face). Pixels outside the grown boxes are untouched.
    """
    out = frame.copy()
    height, width = frame.shape[:2]
    for item in boxes:
        # The docstring's contract: a Box itself, or a Detection-like object carrying one.
        box = cast(Box, getattr(item, "box", item))
        x, y, w, h = box
        grown = (x - w * pad, y - h * pad, w * (1 + 2 * pad), h * (1 + 2 * pad))
        clipped = clip_box(grown, width, height)
        if clipped is None:
            continue
        x0, y0, bw, bh = clipped
        region = out[y0 : y0 + bh, x0 : x0 + bw]
        region[...] = _obscure(region, method)
    return out


# how much of the coarse picture is kept over the region's flat mean colour: enough to blend
# into the scene, too little for a detector to find a face shape in it
_KEEP = 0.25


def _obscure(region: np.ndarray, method: str) -> np.ndarray:
    import cv2

    h, w = region.shape[:2]
    mean = region.mean(axis=(0, 1))
    if method == "pixelate":
        small = cv2.resize(region, (min(4, w), min(4, h)), interpolation=cv2.INTER_AREA)
        coarse = cv2.resize(small, (w, h), interpolation=cv2.INTER_NEAREST)
    else:
        # blur at a fixed small size: the cost stays constant for a face filling a 4K frame,
        # and the kernel (half the face) wipes out eyes, nose and mouth whatever the size
        scale = min(1.0, 32 / max(h, w))
        small = cv2.resize(
            region,
            (max(1, round(w * scale)), max(1, round(h * scale))),
            interpolation=cv2.INTER_AREA,
        )
        kernel = max(3, (max(small.shape[:2]) // 2) | 1)
        small = cv2.GaussianBlur(small, (kernel, kernel), 0, borderType=cv2.BORDER_REPLICATE)
        coarse = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    flat = _KEEP * coarse.astype(np.float32) + (1 - _KEEP) * mean
    return np.clip(flat, 0, 255).astype(np.uint8)
