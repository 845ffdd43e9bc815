import subprocess

import av
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from suite.ai.labelling import (
    LABEL_TEXT,
    VIDEO_BADGE_POSITION,
    audio_metadata,
    badge_box,
    badge_height_for,
    image_bytes_with_metadata,
    label_image,
    label_video,
    new_content_id,
    read_image_metadata,
    read_media_metadata,
    render_badge,
    video_label_args,
)

WHITE = (255, 255, 255)


def _changed(a: Image.Image, b: Image.Image) -> np.ndarray:
    return np.abs(np.asarray(a, np.int16) - np.asarray(b, np.int16)).sum(axis=2) > 0


def _bbox(mask: np.ndarray) -> tuple[int, int, int, int]:
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def test_content_ids_are_unique():
    ids = {new_content_id() for _ in range(100)}
    assert len(ids) == 100
    assert all(len(i) >= 16 for i in ids)


@pytest.mark.parametrize("size", [(640, 480), (1280, 720), (300, 900)])
def test_badge_is_in_the_pixels_legible_and_only_there(size):
    plain = Image.new("RGB", size, WHITE)
    labelled = label_image(plain, provider="opencv-stylize", content_id="c1")
    assert labelled.size == size
    changed = _changed(plain, labelled)
    left, top, right, bottom = _bbox(changed)
    w, h = size
    # bottom-right corner, at least 3% of the shorter side high
    assert left > w / 2 and top > h / 2
    assert bottom - top >= 0.03 * min(w, h)
    region = np.asarray(labelled)[top:bottom, left:right].reshape(-1, 3)
    # semi-opaque black over white: grey background, plus white text strokes inside it
    grey = (np.abs(region.astype(int) - 105) < 12).all(axis=1).mean()
    assert grey > 0.4
    assert ((region > 230).all(axis=1)).mean() > 0.03


def test_badge_over_a_photo_changes_its_corner():
    rng = np.random.default_rng(0)
    photo = Image.fromarray(rng.integers(0, 255, (400, 600, 3), dtype=np.uint8))
    labelled = label_image(photo, provider="p", content_id="c", position="top_left")
    box = badge_box(photo.size, render_badge(badge_height_for(*photo.size)).size, "top_left")
    changed = _changed(photo, labelled)
    assert changed[box[1] : box[3], box[0] : box[2]].mean() > 0.9
    assert changed.sum() == changed[box[1] : box[3], box[0] : box[2]].sum()


def test_tiny_image_still_gets_a_badge():
    plain = Image.new("RGB", (64, 64), WHITE)
    assert _changed(plain, label_image(plain, provider="p", content_id="c")).sum() > 50


@pytest.mark.parametrize("fmt", ["png", "jpeg"])
def test_image_metadata_round_trip(fmt):
    plain = Image.new("RGB", (200, 120), (30, 120, 200))
    img = label_image(plain, provider="diffusers:sd15", content_id="abc123")
    data = image_bytes_with_metadata(img, provider="diffusers:sd15", content_id="abc123", fmt=fmt)
    record = read_image_metadata(data)
    assert record["Label"] == LABEL_TEXT
    assert record["ContentProducer"] == "diffusers:sd15"
    assert record["ProduceID"] == "abc123"
    with Image.open(__import__("io").BytesIO(data)) as reopened:
        assert _changed(plain, reopened.convert("RGB")).sum() > 100  # visible label survived


def test_unlabelled_image_has_no_record():
    import io

    buf = io.BytesIO()
    Image.new("RGB", (10, 10)).save(buf, format="PNG")
    assert read_image_metadata(buf.getvalue()) == {}


def _write_audio(path, codec: str, tags: dict[str, str]) -> None:
    rate = 16000
    tone = (0.2 * np.sin(np.arange(rate) / rate * 2 * np.pi * 440)).astype(np.float32)
    with av.open(str(path), "w") as container:
        container.metadata.update(tags)
        stream = container.add_stream(codec, rate=rate, layout="mono")
        fmt = "s16" if codec == "pcm_s16le" else stream.codec_context.format.name
        samples = (tone * 32767).astype(np.int16) if fmt == "s16" else tone
        if fmt in ("s16p", "s32p") or fmt.startswith("s32"):
            samples = (tone * 32767).astype(np.int16)
            fmt = "s16p"
        frame_size = stream.codec_context.frame_size or 1024
        for start in range(0, rate, frame_size):
            chunk = samples[start : start + frame_size]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format=fmt, layout="mono")
            frame.sample_rate = rate
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)


@pytest.mark.parametrize(
    ("ext", "codec"), [("wav", "pcm_s16le"), ("mp3", "libmp3lame"), ("m4a", "aac")]
)
def test_audio_metadata_round_trip(tmp_path, ext, codec):
    path = tmp_path / f"speech.{ext}"
    tags = audio_metadata("kokoro", "cid-42")
    assert all(isinstance(v, str) for v in tags.values())
    _write_audio(path, codec, tags)
    record = read_media_metadata(path)
    assert record["ProduceID"] == "cid-42"
    assert record["ContentProducer"] == "kokoro"
    assert read_media_metadata(path.read_bytes())["Label"] == LABEL_TEXT


def test_untagged_audio_has_no_record(tmp_path):
    path = tmp_path / "plain.wav"
    _write_audio(path, "pcm_s16le", {})
    assert read_media_metadata(path) == {}


@pytest.fixture
def test_video(tmp_path):
    """1 s of 10 fps flat green 320x240 with a 440 Hz AAC track."""
    path = tmp_path / "clip.mp4"
    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=10)
        video.width, video.height, video.pix_fmt = 320, 240, "yuv420p"
        audio = container.add_stream("aac", rate=16000)
        for _ in range(10):
            frame = av.VideoFrame.from_ndarray(np.full((240, 320, 3), (40, 160, 90), np.uint8))
            for packet in video.encode(frame):
                container.mux(packet)
        tone = (0.2 * np.sin(np.arange(16000) / 16000 * 2 * np.pi * 440)).astype(np.float32)
        for start in range(0, 16000, 1024):
            chunk = tone[start : start + 1024]
            frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
            frame.sample_rate = 16000
            for packet in audio.encode(frame):
                container.mux(packet)
        for stream in (video, audio):
            for packet in stream.encode(None):
                container.mux(packet)
    return path


def _video_badge_box(width: int, height: int) -> tuple[int, int, int, int]:
    badge = render_badge(badge_height_for(width, height))
    return badge_box((width, height), badge.size, VIDEO_BADGE_POSITION)


def _first_frame(path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24").astype(np.int16)


def test_label_video_burns_badge_and_writes_metadata(tmp_path, test_video):
    out = label_video(test_video, tmp_path / "labelled.mp4", provider="ringtone", content_id="v1")
    record = read_media_metadata(out)
    assert record["ProduceID"] == "v1" and record["Label"] == LABEL_TEXT
    with av.open(str(out)) as container:
        kinds = {s.type: s.codec_context.name for s in container.streams}
        assert kinds == {"video": "h264", "audio": "aac"}
        assert container.duration / 1e6 == pytest.approx(1.0, abs=0.2)
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == 10
    before, after = _first_frame(test_video), _first_frame(out)
    left, top, right, bottom = _video_badge_box(320, 240)
    corner = np.abs(after - before)[top:bottom, left:right].sum(axis=2)
    assert (corner > 60).mean() > 0.5  # the dark badge is there
    assert np.abs(after - before)[:100, :150].mean() < 3  # the rest is the same picture
    assert np.abs(after - before)[-60:, :].mean() < 3  # under a player's controls: nothing


def test_video_label_args_work_inside_a_renderers_own_pass(tmp_path):
    label = video_label_args(320, 240, provider="renderer", content_id="r1", workdir=tmp_path)
    assert label.badge_path.is_file()
    with Image.open(label.badge_path) as badge:
        assert badge.height == badge_height_for(320, 240)
    out = tmp_path / "rendered.mp4"
    cmd = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-hide_banner", "-loglevel", "error", "-y",
        "-f", "lavfi", "-i", "color=c=white:s=320x240:d=0.5:r=10",
        *label.input_args,
        "-filter_complex", label.filter("0:v", "1:v", "out"),
        "-map", "[out]", "-c:v", "libx264", "-pix_fmt", "yuv420p",
        *label.metadata_args,
        str(out),
    ]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)  # noqa: S603
    assert read_media_metadata(out)["ContentProducer"] == "renderer"
    frame = _first_frame(out)
    left, top, right, bottom = _video_badge_box(320, 240)
    assert frame[top:bottom, left:right].mean() < 180  # dark badge on white
    assert frame[:50, :50].mean() > 240
