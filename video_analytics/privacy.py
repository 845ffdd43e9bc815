"""Obscuring faces in every frame that is stored.

`suite.media.frames.blur_regions` leaves a smooth, face-shaped blob; BlazeFace still reports
such blobs as faces in about a third of the frames of our portrait test, which says the shape
survives. Here each face (grown by `pad` per side, to take in hair and chin) is reduced to a
4x4 grid of colours and mostly flattened to its mean: no features, no face shape, and the
scene around it is untouched.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

from suite.media.frames import clip_box


def obscure_faces(
    frame: np.ndarray, faces: Iterable[object], *, pad: float = 0.3, keep: float = 0.25
) -> np.ndarray:
    import cv2

    out = frame.copy()
    height, width = frame.shape[:2]
    for face in faces:
        x, y, w, h = getattr(face, "box", face)
        box = clip_box(
            (x - w * pad, y - h * pad, w * (1 + 2 * pad), h * (1 + 2 * pad)), width, height
        )
        if box is None:
            continue
        x0, y0, bw, bh = box
        region = out[y0 : y0 + bh, x0 : x0 + bw]
        mean = region.reshape(-1, 3).mean(axis=0)
        coarse = cv2.resize(
            cv2.resize(region, (4, 4), interpolation=cv2.INTER_AREA),
            (bw, bh),
            interpolation=cv2.INTER_LINEAR,
        )
        region[...] = np.clip(keep * coarse + (1 - keep) * mean, 0, 255).astype(np.uint8)
    return out
