"""The one check for files users attach (ticket attachments, hotline evidence): the type is read
from the content, never from the name or the declared type, and the content must be whole for
that type (images and audio through their own decoders in suite.media, PDFs by their frame).

A file that passes here is stored and later served to other people, so a header-only or cut-off
file must not pass as a document.
"""

from __future__ import annotations

from collections.abc import Collection

from django.utils.translation import gettext as _

from suite.ai.errors import InvalidInput
from suite.media.audio import decode_audio
from suite.media.images import load_image

JPEG = "image/jpeg"
PNG = "image/png"
WEBP = "image/webp"
PDF = "application/pdf"
WAV = "audio/wav"
MP3 = "audio/mpeg"

LABELS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WebP", PDF: "PDF", WAV: "WAV", MP3: "MP3"}

# PDF readers look for the end-of-file marker within the last 1024 bytes (trailing whitespace or
# a few bytes of padding after it are common and harmless).
_PDF_TAIL = 1024


def sniff_file(data: bytes) -> str:
    """The MIME type the content shows by its signature, or "" for none of LABELS."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return WAV
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"ID3") or (len(data) > 1 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return MP3
    return ""


def check_pdf(data: bytes) -> None:
    """A PDF must carry its version header and end with %%EOF; a cut-off upload does not."""
    version = data[5:8]
    if not (data.startswith(b"%PDF-") and version[:1].isdigit() and version[1:2] == b"."):
        raise InvalidInput(_("This file is not a PDF document."), param="file")
    if b"%%EOF" not in data[-_PDF_TAIL:]:
        raise InvalidInput(
            _("The PDF file is truncated (it has no end-of-file marker); upload it again."),
            param="file",
        )


def validate_file(
    data: bytes,
    *,
    kinds: Collection[str],
    max_bytes: int,
    filename: str = "",
    max_pixels: int | None = None,
    max_audio_s: float | None = None,
) -> str:
    """The MIME type of `data` if it is one of `kinds` and complete, else InvalidInput saying
    what is wrong (empty, too large, another type, damaged)."""
    if not data:
        raise InvalidInput(_("The file is empty."), param="file")
    if len(data) > max_bytes:
        raise InvalidInput(
            _("The file is larger than %(n)d MB.") % {"n": max(1, max_bytes // 2**20)},
            param="file",
        )
    kind = sniff_file(data)
    if kind not in kinds:
        raise InvalidInput(
            _("Only %(types)s files are accepted.")
            % {"types": ", ".join(LABELS[k] for k in kinds)},
            param="file",
        )
    if kind == PDF:
        check_pdf(data)
    elif kind.startswith("image/"):
        load_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
    else:
        decode_audio(data, filename=filename, max_bytes=max_bytes, max_seconds=max_audio_s)
    return kind
