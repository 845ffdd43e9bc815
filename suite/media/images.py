"""Decode uploaded images safely: size and type first, then the pixel count the header
declares, and only then the pixels, so a decompression bomb never allocates its bitmap.

We read the header through Pillow's own format plugins (`Image.OPEN`) instead of
`Image.open()`: `Image.open()` applies Pillow's process-wide bomb limit, which would either
pre-empt our per-call limit or need a global setting changed.
"""

from __future__ import annotations

import io
import struct
import warnings

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, ImageOps, PngImagePlugin

from suite.ai.errors import InvalidInput

# Pillow's plugins we let parse uploads (its JPEG one also yields MPO, for camera files).
ACCEPTED_FORMATS = ("JPEG", "PNG", "WEBP", "BMP")
ACCEPTED_LABEL = "JPEG, PNG, WebP, BMP"

_DECODE_ERRORS = (OSError, SyntaxError, ValueError, IndexError, TypeError, struct.error, EOFError)


def load_image(
    data: bytes, *, max_bytes: int | None = None, max_pixels: int | None = None
) -> Image.Image:
    """An RGB image with its EXIF orientation applied, or InvalidInput saying what is wrong."""
    if max_bytes is None:
        max_bytes = settings.AI_MAX_UPLOAD_BYTES
    if max_pixels is None:
        max_pixels = settings.AI_MAX_IMAGE_PIXELS
    if not data:
        raise InvalidInput(_("The image file is empty."), param="image")
    if len(data) > max_bytes:
        raise InvalidInput(
            _("The image file is larger than the limit of %(limit)s bytes.") % {"limit": max_bytes},
            param="image",
        )
    # Widened because exif_transpose below hands back a plain Image, not an ImageFile.
    img: Image.Image = _open_header(data)
    width, height = img.size
    if width <= 0 or height <= 0:
        raise _corrupt(_("the image has no pixels"))
    if width * height > max_pixels:
        raise InvalidInput(
            _(
                "The image is %(width)sx%(height)s pixels; the limit is %(limit)s pixels in all."
                " Send a smaller image."
            )
            % {"width": width, "height": height, "limit": max_pixels},
            param="image",
        )
    try:
        with warnings.catch_warnings():
            # Our own limit was checked above; Pillow's global one must not turn into a 500.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img.load()
            img = ImageOps.exif_transpose(img) or img
            return img.convert("RGB")
    except Image.DecompressionBombError as exc:
        raise InvalidInput(
            _("The image is too large to decode safely (limit %(limit)s pixels).")
            % {"limit": max_pixels},
            param="image",
        ) from exc
    except _DECODE_ERRORS as exc:
        raise _corrupt(str(exc) or exc.__class__.__name__) from exc


def _open_header(data: bytes) -> ImageFile.ImageFile:
    Image.init()
    fp = io.BytesIO(data)
    prefix = data[:16]
    for fmt in ACCEPTED_FORMATS:
        factory, accept = Image.OPEN[fmt]
        accepted = accept(prefix) if accept else True
        if not accepted or isinstance(accepted, str):
            continue
        fp.seek(0)
        try:
            return factory(fp, "")
        except Image.DecompressionBombError as exc:
            raise InvalidInput(
                _("The image is too large to decode safely."), param="image"
            ) from exc
        except _DECODE_ERRORS as exc:
            raise _corrupt(str(exc) or exc.__class__.__name__) from exc
    raise InvalidInput(
        _("The file is not a supported image. Accepted types: %(types)s.")
        % {"types": ACCEPTED_LABEL},
        param="image",
    )


def _corrupt(reason: str) -> InvalidInput:
    return InvalidInput(
        _("The image is damaged or incomplete and cannot be read (%(reason)s).")
        % {"reason": reason},
        param="image",
    )


def image_to_png_bytes(img: Image.Image, *, metadata: dict[str, str] | None = None) -> bytes:
    info = None
    if metadata:
        info = PngImagePlugin.PngInfo()
        for key, value in metadata.items():
            info.add_itxt(key, value)
    buf = io.BytesIO()
    img.save(buf, format="PNG", pnginfo=info)
    return buf.getvalue()


def check_output_size(width: int, height: int, *, max_side: int, min_side: int = 64) -> None:
    """Sizes asked of a generator: refuse absurd ones before any work is done."""
    if not (min_side <= width <= max_side and min_side <= height <= max_side):
        raise InvalidInput(
            _("Image width and height must each be between %(min)s and %(max)s pixels.")
            % {"min": min_side, "max": max_side},
            param="size",
        )
