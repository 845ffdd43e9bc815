"""suite.media.files: the one check for attached files (ticket attachments, hotline evidence)."""

import io
import wave

import pytest
from django.utils import translation
from PIL import Image

from suite.ai.errors import InvalidInput
from suite.media import files

# Header-only: what a cut-off upload of a real PDF looks like.
TRUNCATED_PDF = "%PDF-1.4\n%âãÏÓ\n1 0 obj".encode("latin-1")
WHOLE_PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
ANY = (files.JPEG, files.PNG, files.WEBP, files.PDF, files.WAV, files.MP3)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _check(data: bytes, kinds=ANY) -> str:
    return files.validate_file(data, kinds=kinds, max_bytes=1 << 20, filename="f")


def _refusal(data: bytes, kinds=ANY) -> str:
    with pytest.raises(InvalidInput) as refused:
        _check(data, kinds)
    return refused.value.message


def test_the_truncated_pdf_is_refused_with_a_reason():
    assert "truncated" in _refusal(TRUNCATED_PDF)


def test_whole_files_pass_with_the_type_of_their_content():
    png = io.BytesIO()
    Image.new("RGB", (4, 4)).save(png, format="PNG")
    audio = io.BytesIO()
    with wave.open(audio, "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(16000)
        w.writeframes(b"\0\0" * 1600)
    assert _check(WHOLE_PDF) == files.PDF
    assert _check(png.getvalue()) == files.PNG
    assert _check(audio.getvalue()) == files.WAV


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty"),
        (b"MZ\x90\x00 a program", "Only JPEG, PNG, WebP, PDF, WAV, MP3 files"),
        (b"%PDF-x.y\n%%EOF", "not a PDF"),
        (b"\x89PNG\r\n\x1a\n cut", "image"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "decode"),
    ],
)
def test_damaged_or_foreign_files_are_refused(data, fragment):
    assert fragment in _refusal(data)


def test_a_type_outside_the_callers_list_is_refused():
    assert _refusal(WHOLE_PDF, kinds=(files.PNG,)) == "Only PNG files are accepted."


def test_size_is_checked_before_content():
    with pytest.raises(InvalidInput, match="larger than 1 MB"):
        files.validate_file(b"%PDF-" + b"\0" * (1 << 20), kinds=ANY, max_bytes=1 << 20)
