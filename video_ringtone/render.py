"""The renderer: scenes -> an H.264/AAC MP4 with Ken Burns motion, transitions, CJK captions,
music and the AIGC label, in one ffmpeg pass.

Frames are composed with numpy/OpenCV (one `warpAffine` per frame for the pan/zoom, captions
blended only over their band) and piped raw to a single ffmpeg process that also overlays the
"AI生成" badge and writes the metadata (`suite.ai.labelling.video_label_args`), so the video is
encoded exactly once.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import wave
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

import cv2
import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

from suite.ai.labelling import cjk_font, video_label_args

AUDIO_RATE = 44100
ZOOM = 1.15  # how far the Ken Burns window zooms over a scene
TRANSITION_S = 0.6
# The bottom of the picture a phone's player covers with its controls while paused (Chrome's
# bar and timeline are about 13% of a 9:16 video shown 360 px wide): captions stay above it,
# on the poster too.
PLAYER_CONTROLS_SHARE = 0.16


@dataclass
class SceneInput:
    image: Image.Image
    caption: str
    duration_s: float
    transition: str = "fade"  # into the next scene


@dataclass
class RenderOutput:
    duration_s: float
    frames: int
    poster: np.ndarray  # RGB, without the badge (the caller labels the poster image)


def _cover(image: Image.Image, width: int, height: int) -> np.ndarray:
    """The image scaled to cover width x height, centre-cropped, as an RGB array."""
    img = np.asarray(image.convert("RGB"))
    h, w = img.shape[:2]
    scale = max(width / w, height / h)
    new_w, new_h = max(width, math.ceil(w * scale)), max(height, math.ceil(h * scale))
    interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    resized = cv2.resize(img, (new_w, new_h), interpolation=interp)
    x0, y0 = (new_w - width) // 2, (new_h - height) // 2
    return np.ascontiguousarray(resized[y0 : y0 + height, x0 : x0 + width])


@dataclass
class _Caption:
    top: int
    rgb: np.ndarray  # premultiplied colour, uint16
    alpha: np.ndarray  # (h, w, 1) uint16, 0..255


def _wrap(text: str, font, max_width: int) -> list[str]:
    lines, line = [], ""
    for char in text:
        trial = line + char
        if line and font.getlength(trial) > max_width:
            lines.append(line)
            line = char
        else:
            line = trial
    return [*lines, line] if line else lines


def _caption_layer(text: str, width: int, height: int) -> _Caption | None:
    text = text.strip()
    if not text:
        return None
    size = max(14, round(min(width, height) * 0.065))
    font = cjk_font(size)
    lines = _wrap(text, font, int(width * 0.86))[:3]
    line_h = round(size * 1.35)
    band_h = line_h * len(lines) + size
    band = Image.new("RGBA", (width, band_h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(band)
    draw.rounded_rectangle(
        (round(width * 0.05), 0, round(width * 0.95), band_h - 1),
        radius=size // 2,
        fill=(0, 0, 0, 110),
    )
    for i, line in enumerate(lines):
        x = (width - font.getlength(line)) / 2
        draw.text(
            (x, size // 2 + i * line_h),
            line,
            font=font,
            fill=(255, 255, 255, 255),
            stroke_width=max(1, size // 14),
            stroke_fill=(0, 0, 0, 255),
        )
    rgba = np.asarray(band).astype(np.uint16)
    alpha = rgba[:, :, 3:4]
    top = height - band_h - round(height * PLAYER_CONTROLS_SHARE)
    return _Caption(top=top, rgb=rgba[:, :, :3] * alpha, alpha=alpha)


def _blend_caption(frame: np.ndarray, caption: _Caption, opacity: int) -> None:
    """In place: frame = frame * (1 - a) + colour * a over the caption band only."""
    h = caption.alpha.shape[0]
    region = frame[caption.top : caption.top + h]
    alpha = caption.alpha if opacity >= 255 else (caption.alpha * opacity) >> 8
    rgb = caption.rgb if opacity >= 255 else (caption.rgb >> 8) * opacity
    mixed = (region.astype(np.uint16) * (255 - alpha) + rgb) // 255
    region[:] = mixed.astype(np.uint8)


class _Scene:
    def __init__(self, index: int, spec: SceneInput, width: int, height: int, fps: int):
        self.width, self.height = width, height
        self.frames = max(1, round(spec.duration_s * fps))
        self.transition = spec.transition
        self.source = _cover(spec.image, math.ceil(width * ZOOM), math.ceil(height * ZOOM))
        self.caption = _caption_layer(spec.caption, width, height)
        self.fps = fps
        # Alternate zoom in / zoom out and the pan direction, so consecutive scenes differ.
        rng = np.random.default_rng(index + 7)
        self.zoom_in = index % 2 == 0
        sh, sw = self.source.shape[:2]
        self.pan = rng.uniform(-1, 1, size=2) * np.array([sw - width, sh - height]) * 0.35

    def frame(self, i: int) -> np.ndarray:
        p = min(1.0, max(0.0, i / max(1, self.frames - 1)))
        ease = p * p * (3 - 2 * p)
        zoom = 1 + (ZOOM - 1) * (ease if self.zoom_in else 1 - ease)
        sh, sw = self.source.shape[:2]
        win_w, win_h = sw / zoom, sh / zoom
        cx = sw / 2 + self.pan[0] * (ease - 0.5)
        cy = sh / 2 + self.pan[1] * (ease - 0.5)
        x0 = min(max(0.0, cx - win_w / 2), sw - win_w)
        y0 = min(max(0.0, cy - win_h / 2), sh - win_h)
        scale = self.width / win_w
        matrix = np.array([[scale, 0, -scale * x0], [0, scale, -scale * y0]], dtype=np.float32)
        out = cv2.warpAffine(
            self.source,
            matrix,
            (self.width, self.height),
            flags=cv2.INTER_LINEAR,
            borderMode=cv2.BORDER_REPLICATE,
        )
        if self.caption is not None:
            fade = round(0.4 * self.fps)
            opacity = 255 if i >= fade else max(0, 255 * i // max(1, fade))
            _blend_caption(out, self.caption, opacity)
        return out


def _transition(kind: str, a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    """Frame between scene a and the next scene b, t in (0, 1)."""
    if kind == "slide_left":
        h, w = a.shape[:2]
        shift = round(w * t)
        out = np.empty_like(a)
        out[:, : w - shift] = a[:, shift:]
        out[:, w - shift :] = b[:, :shift]
        return out
    if kind == "slide_up":
        h = a.shape[0]
        shift = round(h * t)
        out = np.empty_like(a)
        out[: h - shift] = a[shift:]
        out[h - shift :] = b[:shift]
        return out
    return cv2.addWeighted(a, 1 - t, b, t, 0)


def write_wav(path: Path, samples: np.ndarray, rate: int = AUDIO_RATE) -> None:
    pcm = (np.clip(samples, -1, 1) * 32767).astype("<i2")
    with wave.open(str(path), "wb") as handle:
        handle.setnchannels(1)
        handle.setsampwidth(2)
        handle.setframerate(rate)
        handle.writeframes(pcm.tobytes())


def render_video(
    scenes: list[SceneInput],
    *,
    width: int,
    height: int,
    out: Path,
    provider: str,
    content_id: str,
    audio: np.ndarray | None = None,
    fps: int = 25,
    # superfast: about 20% quicker than veryfast here at ~1.5 Mbit/s for 720p, fine for ringtones.
    preset: str = "superfast",
    progress: Callable[[float], None] | None = None,
    timeout_s: float = 900,
) -> RenderOutput:
    if not scenes:
        raise ValueError("nothing to render: no scenes")
    if width % 2 or height % 2:
        raise ValueError("width and height must be even for H.264 4:2:0")
    prepared = [_Scene(i, s, width, height, fps) for i, s in enumerate(scenes)]
    total = sum(s.frames for s in prepared)
    duration = total / fps
    samples = np.zeros(round(duration * AUDIO_RATE), dtype=np.float32)
    if audio is not None:
        n = min(len(samples), len(audio))
        samples[:n] = audio[:n]
    out = Path(out)
    poster = None
    with tempfile.TemporaryDirectory() as tmp:
        wav = Path(tmp) / "audio.wav"
        write_wav(wav, samples)
        label = video_label_args(
            width, height, provider=provider, content_id=content_id, workdir=Path(tmp)
        )
        cmd = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-y",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}", "-r", str(fps),
            "-i", "-",
            "-i", str(wav),
            *label.input_args,
            "-filter_complex", label.filter("0:v", "2:v", "v"),
            "-map", "[v]", "-map", "1:a",
            "-c:v", "libx264", "-preset", preset, "-tune", "stillimage", "-crf", "23",
            "-pix_fmt", "yuv420p", "-profile:v", "high",
            "-c:a", "aac", "-b:a", "128k",
            "-t", f"{duration:.3f}",
            *label.metadata_args,
            str(out),
        ]  # fmt: skip
        proc = subprocess.Popen(  # noqa: S603
            cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        pipe = cast("IO[bytes]", proc.stdin)  # stdin=PIPE: never None
        written = 0
        try:
            for index, scene in enumerate(prepared):
                following = prepared[index + 1] if index + 1 < len(prepared) else None
                overlap = 0
                if following is not None and scene.transition != "cut":
                    overlap = min(round(TRANSITION_S * fps), scene.frames // 3)
                for i in range(scene.frames):
                    frame = scene.frame(i)
                    into = i - (scene.frames - overlap)
                    if overlap and into >= 0 and following is not None:
                        t = (into + 1) / (overlap + 1)
                        frame = _transition(scene.transition, frame, following.frame(0), t)
                    if poster is None and index == 0 and i >= scene.frames * 0.4:
                        poster = frame.copy()
                    # I420 from OpenCV: half the bytes of RGB in the pipe, no swscale in ffmpeg.
                    pipe.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
                    written += 1
                    if progress is not None and written % fps == 0:
                        progress(written / total)
            pipe.close()
            proc.wait(timeout=timeout_s)
        except BrokenPipeError:
            proc.wait(timeout=30)
        except BaseException:
            proc.kill()
            raise
        stderr = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"ffmpeg failed to encode the ringtone: {stderr.strip()[-500:]}")
    if poster is None:
        poster = prepared[0].frame(0)
    return RenderOutput(duration_s=duration, frames=total, poster=poster)
