"""AIGC labelling for generated media, as the Chinese labelling rules require: an explicit label
people can see ("AI生成" in the pixels) and an implicit one machines can read (metadata naming
the producer and a content id).

The implicit record is one JSON object under the key "AIGC", shaped after GB 45438-2025:
{"Label": "AI生成", "ContentProducer": ..., "ProduceID": ..., "ProduceTime": ...}.

A backend that draws third-party artwork into an image (the fallback's OpenMoji emoji) puts the
credit its licence asks for in the image's `.info["Credit"]`; it is kept through labelling and
written beside the record (PNG text "Credit", JPEG EXIF Copyright).
"""

from __future__ import annotations

import functools
import importlib.util
import io
import json
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from PIL import Image, ImageDraw, ImageFont, PngImagePlugin

if TYPE_CHECKING:
    from av.video.stream import VideoStream

LABEL_TEXT = "AI生成"
METADATA_KEY = "AIGC"
CREDIT_KEY = "Credit"
BADGE_FILL = (0, 0, 0, 150)  # semi-opaque black
BADGE_TEXT = (255, 255, 255, 255)
POSITIONS = ("bottom_right", "bottom_left", "top_right", "top_left")
# Players draw their controls along the bottom of a video (and over its poster): the badge
# burned into a video goes to the top, where nothing covers it.
VIDEO_BADGE_POSITION = "top_right"
_EXIF_IMAGE_DESCRIPTION = 0x010E
_EXIF_COPYRIGHT = 0x8298
_EXIF_IFD = 0x8769
_EXIF_USER_COMMENT = 0x9286


def new_content_id() -> str:
    return uuid.uuid4().hex


def aigc_record(provider: str, content_id: str) -> dict[str, str]:
    return {
        "Label": LABEL_TEXT,
        "ContentProducer": provider,
        "ProduceID": content_id,
        "ProduceTime": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def _record_json(provider: str, content_id: str) -> str:
    return json.dumps(aigc_record(provider, content_id), ensure_ascii=False, separators=(",", ":"))


# --- fonts ---------------------------------------------------------------------------------


@functools.cache
def cjk_font_path() -> Path:
    """The NotoSansCJK font shipped by the cvttf-notosanscjk-regular package."""
    spec = importlib.util.find_spec("cvttf_NotoSansCJK_Regular")
    if spec is not None and spec.submodule_search_locations:
        for folder in spec.submodule_search_locations:
            for pattern in ("*.otf", "*.ttf", "*.ttc"):
                found = sorted(Path(folder).glob(pattern))
                if found:
                    return found[0]
    raise RuntimeError("The CJK font package cvttf-notosanscjk-regular is not installed.")


@functools.lru_cache(maxsize=64)
def cjk_font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(cjk_font_path()), max(6, int(size)))


# --- the visible badge ---------------------------------------------------------------------


def badge_height_for(width: int, height: int) -> int:
    """About 5% of the shorter side (the rules ask for legible; we stay well above 3%)."""
    return max(12, round(min(width, height) * 0.05))


def render_badge(height: int) -> Image.Image:
    """An RGBA "AI生成" badge `height` pixels high: white text on a semi-opaque dark box."""
    font = cjk_font(round(height * 0.66))
    left, top, right, bottom = font.getbbox(LABEL_TEXT)
    pad_x = max(3, round(height * 0.3))
    # Pillow types the box as float (for fractional strokes); without a stroke it is whole
    # pixels, so int() changes nothing and gives Image.new the int it wants.
    width = int(right - left) + 2 * pad_x
    badge = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(badge)
    draw.rounded_rectangle(
        (0, 0, width - 1, height - 1), radius=max(2, height // 5), fill=BADGE_FILL
    )
    text_y = (height - (bottom - top)) / 2 - top
    draw.text((pad_x - left, text_y), LABEL_TEXT, font=font, fill=BADGE_TEXT)
    return badge


def badge_box(
    image_size: tuple[int, int], badge_size: tuple[int, int], position: str = "bottom_right"
) -> tuple[int, int, int, int]:
    """Where the badge goes: (left, top, right, bottom)."""
    if position not in POSITIONS:
        raise ValueError(f"position must be one of {POSITIONS}")
    w, h = image_size
    bw, bh = badge_size
    margin = max(2, round(min(w, h) * 0.02))
    x = w - bw - margin if position.endswith("right") else margin
    y = h - bh - margin if position.startswith("bottom") else margin
    x, y = max(0, x), max(0, y)
    return x, y, x + bw, y + bh


def label_image(
    img: Image.Image, *, provider: str, content_id: str, position: str = "bottom_right"
) -> Image.Image:
    """A copy of `img` with the visible badge; the record rides along in `.info` for saving."""
    base = img.convert("RGBA")
    badge = render_badge(badge_height_for(*base.size))
    if badge.width > base.width:  # tiny images: shrink the badge to fit, keep it visible
        ratio = base.width / badge.width
        badge = badge.resize((base.width, max(1, round(badge.height * ratio))))
    box = badge_box(base.size, badge.size, position)
    base.alpha_composite(badge, dest=box[:2])
    out = base.convert("RGB")
    out.info[METADATA_KEY] = _record_json(provider, content_id)
    return out


# --- implicit labels in files --------------------------------------------------------------


def image_bytes_with_metadata(
    img: Image.Image, *, provider: str, content_id: str, fmt: str = "png", quality: int = 90
) -> bytes:
    record = _record_json(provider, content_id)
    credit = str(img.info.get(CREDIT_KEY) or "")
    buf = io.BytesIO()
    if fmt == "png":
        info = PngImagePlugin.PngInfo()
        info.add_itxt(METADATA_KEY, record)
        info.add_itxt("Description", LABEL_TEXT)
        if credit:
            info.add_itxt(CREDIT_KEY, credit)
        img.convert("RGB").save(buf, format="PNG", pnginfo=info)
    elif fmt in ("jpeg", "jpg"):
        ascii_record = json.dumps(json.loads(record), separators=(",", ":"))  # EXIF is ASCII
        exif = Image.Exif()
        exif[_EXIF_IMAGE_DESCRIPTION] = ascii_record
        exif.get_ifd(_EXIF_IFD)[_EXIF_USER_COMMENT] = b"ASCII\x00\x00\x00" + ascii_record.encode()
        if credit:  # EXIF is ASCII: the en dash of a credit becomes a hyphen
            exif[_EXIF_COPYRIGHT] = (
                credit.replace("\u2013", "-").encode("ascii", "replace").decode()
            )
        img.convert("RGB").save(
            buf, format="JPEG", quality=quality, exif=exif, xmp=_xmp_packet(record).encode()
        )
    else:
        raise ValueError("fmt must be 'png' or 'jpeg'")
    return buf.getvalue()


def read_image_credit(data: bytes) -> str:
    """The third-party credit written by `image_bytes_with_metadata`, or ""."""
    with Image.open(io.BytesIO(data)) as img:
        if CREDIT_KEY in img.info:
            return str(img.info[CREDIT_KEY])
        value = img.getexif().get(_EXIF_COPYRIGHT)
    if isinstance(value, bytes):
        value = value.decode("ascii", "replace")
    return str(value or "").strip("\x00 ")


def _xmp_packet(record: str) -> str:
    from xml.sax.saxutils import escape

    return (
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description xmlns:TC260="http://www.tc260.org.cn/ns/AIGC/1.0/" '
        f'TC260:AIGC="{escape(record, {chr(34): "&quot;"})}"/>'
        "</rdf:RDF></x:xmpmeta>"
    )


def read_image_metadata(data: bytes) -> dict:
    """The AIGC record of a PNG or JPEG written by `image_bytes_with_metadata`, or {}."""
    with Image.open(io.BytesIO(data)) as img:
        if METADATA_KEY in img.info:
            return _parse_record(str(img.info[METADATA_KEY]))
        exif = img.getexif()
        for raw in (
            exif.get(_EXIF_IMAGE_DESCRIPTION),
            exif.get_ifd(_EXIF_IFD).get(_EXIF_USER_COMMENT),
        ):
            if isinstance(raw, bytes):
                raw = raw[8:].decode("utf-8", "replace")  # drop the 8-byte charset prefix
            record = _parse_record(raw or "")
            if record:
                return record
    return {}


def _parse_record(raw: str) -> dict:
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) and value.get("Label") else {}


def audio_metadata(provider: str, content_id: str) -> dict[str, str]:
    """Tags for an audio encoder (PyAV `container.metadata`). The record goes in `comment` too,
    because some containers (WAV's RIFF INFO) keep only the standard keys."""
    record = _record_json(provider, content_id)
    return {METADATA_KEY: record, "comment": record}


def read_media_metadata(path_or_bytes: Path | str | bytes) -> dict:
    """The AIGC record from an audio or video file's container or stream tags, or {}."""
    import av

    source = io.BytesIO(path_or_bytes) if isinstance(path_or_bytes, bytes) else str(path_or_bytes)
    with av.open(source, mode="r", metadata_errors="ignore") as container:
        tag_sets = [dict(container.metadata)]
        tag_sets += [dict(stream.metadata) for stream in container.streams]
    for tags in tag_sets:
        lowered = {k.lower(): v for k, v in tags.items()}
        for key in ("aigc", "comment", "description"):
            record = _parse_record(lowered.get(key, ""))
            if record:
                return record
    return {}


# --- video ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VideoLabel:
    """What a renderer adds to its own ffmpeg command to label in the same encoding pass:
    `input_args` after its inputs, `filter(...)` in its filter graph, `metadata_args` before
    the output."""

    badge_path: Path
    overlay: str
    metadata_args: list[str]

    @property
    def input_args(self) -> list[str]:
        return ["-i", str(self.badge_path)]

    def filter(self, video_in: str, badge_in: str, out: str) -> str:
        return f"[{video_in}][{badge_in}]{self.overlay}[{out}]"


def video_label_args(
    width: int, height: int, *, provider: str, content_id: str, workdir: Path
) -> VideoLabel:
    badge = render_badge(badge_height_for(width, height))
    badge_path = Path(workdir) / f"aigc-badge-{content_id}.png"
    badge.save(badge_path, format="PNG")
    margin = max(2, round(min(width, height) * 0.02))
    x = f"W-w-{margin}" if VIDEO_BADGE_POSITION.endswith("right") else str(margin)
    y = str(margin) if VIDEO_BADGE_POSITION.startswith("top") else f"H-h-{margin}"
    record = _record_json(provider, content_id)
    return VideoLabel(
        badge_path=badge_path,
        overlay=f"overlay=x={x}:y={y}:format=auto",
        metadata_args=[
            "-metadata",
            f"comment={record}",
            "-metadata",
            f"{METADATA_KEY}={record}",
            # MP4/MOV keep custom keys (AIGC) only with this flag.
            "-movflags",
            "+faststart+use_metadata_tags",
        ],
    )


def label_video(
    src: Path, dst: Path, *, provider: str, content_id: str, timeout_s: float = 600
) -> Path:
    """Re-encode `src` to H.264 with the badge on every frame; audio is copied when it is AAC."""
    import av
    import imageio_ffmpeg

    with av.open(str(src)) as container:
        # A stream of type "video" is a VideoStream; the test on .type does not narrow it.
        video = cast(
            "VideoStream | None", next((s for s in container.streams if s.type == "video"), None)
        )
        audio = next((s for s in container.streams if s.type == "audio"), None)
        if video is None:
            raise ValueError(f"{src} has no video stream")
        width, height = video.codec_context.width, video.codec_context.height
        audio_codec = audio.codec_context.name if audio is not None else None
    dst = Path(dst)
    with tempfile.TemporaryDirectory() as tmp:
        label = video_label_args(
            width, height, provider=provider, content_id=content_id, workdir=Path(tmp)
        )
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(),
            "-hide_banner",
            "-loglevel",
            "error",
            "-y",
            "-i",
            str(src),
            *label.input_args,
            "-filter_complex",
            label.filter("0:v", "1:v", "v"),
            "-map",
            "[v]",
            "-map",
            "0:a?",
            "-c:v",
            "libx264",
            "-preset",
            "veryfast",
            "-crf",
            "20",
            "-pix_fmt",
            "yuv420p",
            "-c:a",
            "copy" if audio_codec in (None, "aac") else "aac",
            *label.metadata_args,
            str(dst),
        ]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout_s, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise RuntimeError(f"ffmpeg could not label {src}: {proc.stderr.strip()[-500:]}")
    return dst
