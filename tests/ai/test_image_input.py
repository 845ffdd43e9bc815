import io
import struct
import warnings
import zlib

import matplotlib.cbook
import pytest
from PIL import Image

from suite.ai.errors import InvalidInput
from suite.media.images import check_output_size, image_to_png_bytes, load_image

PORTRAIT = matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _bomb_png(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width x height RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 4096, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", ihdr)
        + _png_chunk(b"IDAT", idat)
        + _png_chunk(b"IEND", b"")
    )


def _encode(img: Image.Image, fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    img.save(buf, format=fmt, **kwargs)
    return buf.getvalue()


def test_decompression_bomb_is_refused_from_the_header_with_sizes_named():
    data = _bomb_png(50000, 50000)
    assert len(data) < 1000
    with pytest.raises(InvalidInput) as err:
        load_image(data, max_pixels=16_000_000)
    assert "50000x50000" in err.value.message
    assert "16000000" in err.value.message
    assert err.value.param == "image"


def test_pillow_bomb_limit_never_escapes(monkeypatch):
    # Pillow's own process-wide limit, far below ours: neither its warning nor its error
    # may surface; our per-call limit is the one that decides.
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 100)
    data = _encode(Image.new("RGB", (64, 48), (10, 200, 30)), "PNG")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        img = load_image(data, max_pixels=10_000)
    assert img.size == (64, 48)
    with pytest.raises(InvalidInput):
        load_image(data, max_pixels=1000)


def test_truncated_jpeg_is_invalid_input():
    data = open(PORTRAIT, "rb").read()  # noqa: SIM115
    with pytest.raises(InvalidInput) as err:
        load_image(data[: len(data) // 2])
    assert "damaged or incomplete" in err.value.message


def test_text_file_names_the_accepted_types():
    with pytest.raises(InvalidInput) as err:
        load_image("这不是图片 just some text\n".encode())
    assert "JPEG, PNG, WebP, BMP" in err.value.message


def test_gif_is_not_accepted():
    with pytest.raises(InvalidInput) as err:
        load_image(_encode(Image.new("RGB", (8, 8)), "GIF"))
    assert "Accepted types" in err.value.message


def test_empty_is_invalid():
    with pytest.raises(InvalidInput) as err:
        load_image(b"")
    assert "empty" in err.value.message


def test_oversize_bytes_explicit_and_from_settings(settings):
    data = _encode(Image.new("RGB", (32, 32), (1, 2, 3)), "BMP")
    with pytest.raises(InvalidInput) as err:
        load_image(data, max_bytes=len(data) - 1)
    assert str(len(data) - 1) in err.value.message
    settings.AI_MAX_UPLOAD_BYTES = 100
    with pytest.raises(InvalidInput):
        load_image(data)
    settings.AI_MAX_UPLOAD_BYTES = 10_000
    assert load_image(data).size == (32, 32)


def test_pixel_limit_from_settings(settings):
    data = _encode(Image.new("RGB", (100, 100)), "PNG")
    settings.AI_MAX_IMAGE_PIXELS = 9_999
    with pytest.raises(InvalidInput) as err:
        load_image(data)
    assert "100x100" in err.value.message


def test_exif_rotation_is_applied():
    img = Image.new("RGB", (40, 20), (0, 0, 255))
    img.paste((255, 0, 0), (0, 0, 20, 20))  # left half red
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise to display
    loaded = load_image(_encode(img, "JPEG", exif=exif, quality=95))
    assert loaded.size == (20, 40)
    top, bottom = loaded.getpixel((10, 5)), loaded.getpixel((10, 35))
    assert top[0] > 200 and top[2] < 60
    assert bottom[2] > 200 and bottom[0] < 60


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP", "BMP"])
def test_accepted_formats_decode_to_rgb(fmt):
    src = Image.new("RGBA" if fmt in ("PNG", "WEBP") else "RGB", (33, 17), (200, 100, 50, 255))
    img = load_image(_encode(src, fmt))
    assert img.mode == "RGB"
    assert img.size == (33, 17)
    assert abs(img.getpixel((5, 5))[0] - 200) < 10


def test_portrait_loads():
    img = load_image(open(PORTRAIT, "rb").read())  # noqa: SIM115
    assert img.size == (512, 600)


def test_png_bytes_carry_metadata():
    data = image_to_png_bytes(Image.new("RGB", (8, 8)), metadata={"AIGC": "AI生成 test"})
    with Image.open(io.BytesIO(data)) as img:
        assert img.info["AIGC"] == "AI生成 test"


def test_check_output_size():
    check_output_size(64, 2048, max_side=2048)
    for w, h in [(63, 64), (64, 2049), (0, 0), (-5, 100)]:
        with pytest.raises(InvalidInput):
            check_output_size(w, h, max_side=2048)
