"""Automatic checks of a rendered ringtone before a person reviews it.

Each check answers pass / warn / fail with a detail a reviewer can read; any fail rejects the
ringtone without taking a reviewer's time. Pictures and sound are read back from the encoded
file (what subscribers will get), at low resolution and frame rate so the checks stay cheap.
"""

from __future__ import annotations

import io
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

import imageio_ffmpeg
import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from PIL import Image

from suite.ai import gateway
from suite.ai.errors import AiError

PASS, WARN, FAIL = "pass", "warn", "fail"
PROBE_WIDTH = 64
PROBE_FPS = 4
AUDIO_RATE = 16000
BLACK_LUMA = 20
FROZEN_DIFF = 0.4  # mean absolute luma change per probe frame below which nothing moves
FROZEN_RUN_S = 3.0
# Mean absolute luma step between neighbouring pixels of a scene's picture at probe size below
# which it is plain: the pan/zoom has nothing to move, so a still stretch there is by design.
TEXTURE_GRADIENT = 1.0
SILENCE_DBFS = -50.0
LOUD_DBFS = -8.0
QUIET_DBFS = -40.0

# Names shown to reviewers (translated when displayed).
CHECK_LABELS = {
    "safety": gettext_noop("Prompt and caption safety"),
    "duration": gettext_noop("Duration"),
    "black": gettext_noop("Black frames"),
    "frozen": gettext_noop("Frozen video"),
    "orientation": gettext_noop("Upside-down pictures"),
    "silence": gettext_noop("Silence"),
    "loudness": gettext_noop("Loudness"),
}


@dataclass
class CheckResult:
    key: str
    status: str
    detail: str


def _ffmpeg(args: list[str]) -> bytes:
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", *args]
    return subprocess.run(cmd, capture_output=True, check=True, timeout=300).stdout  # noqa: S603


def probe_frames(path: Path, width: int, height: int) -> np.ndarray:
    """Grey frames at PROBE_FPS, PROBE_WIDTH wide: (n, h, w) uint8."""
    probe_h = max(2, round(PROBE_WIDTH * height / width / 2) * 2)
    raw = _ffmpeg(
        [
            "-i",
            str(path),
            "-vf",
            f"fps={PROBE_FPS},scale={PROBE_WIDTH}:{probe_h}",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "gray",
            "-",
        ]
    )
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, probe_h, PROBE_WIDTH)


def frames_at(path: Path, seconds: list[float], width: int = 320) -> list[Image.Image]:
    """One decoded frame at each time (seconds into the video), `width` pixels wide."""
    frames = []
    for at in seconds:
        raw = _ffmpeg(
            ["-ss", f"{at:.3f}", "-i", str(path), "-frames:v", "1", "-vf", f"scale={width}:-2",
             "-f", "image2pipe", "-vcodec", "png", "-"]
        )  # fmt: skip
        with Image.open(io.BytesIO(raw)) as img:
            frames.append(img.convert("RGB"))
    return frames


def probe_audio(path: Path) -> np.ndarray:
    raw = _ffmpeg(["-i", str(path), "-vn", "-f", "f32le", "-ac", "1", "-ar", str(AUDIO_RATE), "-"])
    return np.frombuffer(raw, dtype="<f4")


def dbfs(samples: np.ndarray) -> float:
    if len(samples) == 0:
        return -120.0
    rms = float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))
    return 20 * np.log10(max(rms, 1e-6))


def check_black(frames: np.ndarray) -> CheckResult:
    if len(frames) == 0:
        return CheckResult("black", FAIL, _("The video has no frames."))
    black = frames.reshape(len(frames), -1).mean(axis=1) < BLACK_LUMA
    share = float(black.mean())
    detail = _("%(share).0f%% of the sampled frames are black.") % {"share": share * 100}
    status = FAIL if share > 0.5 else WARN if share > 0.1 else PASS
    return CheckResult("black", status, detail)


def picture_texture(image: Image.Image) -> float:
    """How much a picture shows when it pans and zooms: mean luma step at probe size."""
    width = PROBE_WIDTH
    height = max(2, round(width * image.height / max(1, image.width)))
    grey = np.asarray(image.convert("L").resize((width, height)), dtype=np.float32)
    return float((np.abs(np.diff(grey, axis=0)).mean() + np.abs(np.diff(grey, axis=1)).mean()) / 2)


def expected_motion(scenes: list[tuple[float, bool]], intervals: int) -> np.ndarray:
    """Per interval between probe frames, whether the renderer moves something there: inside a
    scene (duration in seconds, whether its picture has texture) whose picture has texture."""
    ends = np.cumsum([duration for duration, _textured in scenes])
    textured = np.array([t for _duration, t in scenes] or [True])
    middles = (np.arange(intervals) + 0.5) / PROBE_FPS
    index = np.minimum(np.searchsorted(ends, middles, side="right"), len(textured) - 1)
    return textured[index]


def check_frozen(frames: np.ndarray, moving: np.ndarray | None = None) -> CheckResult:
    """Still stretches where the picture should move. `moving` (per interval between probe
    frames, from `expected_motion`) leaves out plain-colour scenes, which are still by design;
    without it every interval is expected to move."""
    if len(frames) < 2:
        return CheckResult("frozen", FAIL, _("The video is a single still frame."))
    diffs = np.abs(np.diff(frames.astype(np.int16), axis=0)).reshape(len(frames) - 1, -1)
    still = diffs.mean(axis=1) < FROZEN_DIFF
    if moving is None:
        moving = np.ones(len(still), dtype=bool)
    moving = np.resize(np.asarray(moving, dtype=bool), len(still))
    if not moving.any():
        return CheckResult(
            "frozen", PASS, _("The pictures are plain colours: nothing is meant to move.")
        )
    frozen = still & moving
    longest = run = 0
    for value in frozen:
        run = run + 1 if value else 0
        longest = max(longest, run)
    seconds = longest / PROBE_FPS
    if frozen[moving].all():
        return CheckResult("frozen", FAIL, _("Nothing moves where the pictures should."))
    status = WARN if seconds >= FROZEN_RUN_S else PASS
    return CheckResult("frozen", status, _("Longest still stretch: %(s).1f s.") % {"s": seconds})


def check_audio(samples: np.ndarray) -> list[CheckResult]:
    level = dbfs(samples)
    if level < SILENCE_DBFS:
        silence = CheckResult(
            "silence", WARN, _("The ringtone is silent (%(db).0f dBFS).") % {"db": level}
        )
    else:
        silence = CheckResult("silence", PASS, _("Sound present."))
    clipped = float(np.mean(np.abs(samples) > 0.99)) if len(samples) else 0.0
    if level > LOUD_DBFS or clipped > 0.01:
        loud = CheckResult(
            "loudness",
            WARN,
            _("Too loud: %(db).1f dBFS, %(clip).1f%% clipped samples.")
            % {"db": level, "clip": clipped * 100},
        )
    elif QUIET_DBFS > level >= SILENCE_DBFS:
        loud = CheckResult("loudness", WARN, _("Very quiet: %(db).1f dBFS.") % {"db": level})
    else:
        loud = CheckResult("loudness", PASS, _("%(db).1f dBFS.") % {"db": level})
    return [silence, loud]


def _faces(caller: gateway.Caller, pixels: np.ndarray) -> int:
    served = gateway.detect(caller, pixels, model="blazeface", min_score=0.6)
    return len(served.value)


def check_orientation(caller: gateway.Caller, images: list[Image.Image]) -> CheckResult:
    """A face found only when the frame is turned over means the frame is upside down.
    `images` are frames of the video, one from the middle of each scene."""
    flipped = []
    try:
        for index, image in enumerate(images, start=1):
            small = image.convert("RGB")
            small.thumbnail((320, 320))
            upright = np.asarray(small)
            if _faces(caller, upright) == 0 and _faces(caller, upright[::-1, ::-1].copy()) > 0:
                flipped.append(index)
    except AiError as exc:
        return CheckResult(
            "orientation", WARN, _("Not checked: %(error)s") % {"error": exc.message}
        )
    if flipped:
        return CheckResult(
            "orientation",
            WARN,
            _("Scenes %(scenes)s look upside down (faces appear only when turned over).")
            % {"scenes": ", ".join(map(str, flipped))},
        )
    return CheckResult("orientation", PASS, _("No upside-down faces found."))


def check_texts(tenant, texts: list[tuple[str, str]]) -> CheckResult:
    for field, text in texts:
        hit = gateway.find_prohibited(tenant, text)
        if hit is not None:
            return CheckResult(
                "safety",
                FAIL,
                _("The %(field)s contains prohibited content: %(term)s")
                % {"field": field, "term": hit.term},
            )
    return CheckResult("safety", PASS, _("No prohibited content."))


def run_checks(
    *,
    caller: gateway.Caller,
    video: Path,
    width: int,
    height: int,
    images: list[Image.Image],
    texts: list[tuple[str, str]],
    duration_problem: str,
    duration_s: float,
    scenes: list[tuple[float, bool]] | None = None,
) -> list[dict]:
    """`scenes`: each scene's duration and whether its picture has texture (`picture_texture`
    at least TEXTURE_GRADIENT), so plain-colour scenes are not taken for a frozen video."""
    frames = probe_frames(video, width, height)
    moving = expected_motion(scenes, len(frames) - 1) if scenes and len(frames) > 1 else None
    results = [
        check_texts(caller.tenant, texts),
        CheckResult(
            "duration",
            FAIL if duration_problem else PASS,
            duration_problem or _("%(s).1f s.") % {"s": duration_s},
        ),
        check_black(frames),
        check_frozen(frames, moving),
        check_orientation(caller, images),
        *check_audio(probe_audio(video)),
    ]
    return [asdict(r) for r in results]
