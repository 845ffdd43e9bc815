"""Getting frames in: uploaded clips (checked before anything else touches them) and live
streams (RTSP/HTTP/file URLs opened with OpenCV, reconnecting with exponential back-off)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.netguard import Policy, TargetRefused, check_file_url, check_url

logger = logging.getLogger("video_analytics")

CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".avi": "avi",
    ".mkv": "mkv",
    ".webm": "mkv",
}


def max_clip_bytes() -> int:
    return settings.VIDEO_ANALYTICS_MAX_CLIP_BYTES


def max_clip_seconds() -> int:
    return settings.VIDEO_ANALYTICS_MAX_CLIP_SECONDS


def max_frame_pixels() -> int:
    return settings.VIDEO_ANALYTICS_MAX_FRAME_PIXELS


@dataclass(frozen=True)
class ClipInfo:
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float


def sniff_container(head: bytes) -> str | None:
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return "mp4"
    if head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return "avi"
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return "mkv"
    return None


def check_upload(name: str, size: int, head: bytes) -> str:
    """Type and size, from the name and the first bytes, before the file is decoded."""
    if size <= 0:
        raise InvalidInput(_("The file is empty."), param="file")
    if size > max_clip_bytes():
        raise InvalidInput(
            _("The clip is %(mb)s MB; the limit is %(max)s MB.")
            % {"mb": round(size / 1e6, 1), "max": max_clip_bytes() // 1_000_000},
            param="file",
        )
    suffix = Path(name or "").suffix.lower()
    container = sniff_container(head)
    if container is None or (suffix and CONTAINERS.get(suffix, container) != container):
        raise InvalidInput(
            _("This is not a supported video file. Upload MP4, MOV, AVI, MKV or WebM."),
            param="file",
        )
    return container


def probe_clip(path: Path) -> ClipInfo:
    """Opens and decodes the first frame: a corrupt file or a codec OpenCV cannot decode is a
    400 here, not a failed job later. Resolution and duration are checked against the limits."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InvalidInput(
                _("The video cannot be opened: the file is damaged or its format unknown."),
                param="file",
            )
        width = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        height = int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        if width * height > max_frame_pixels():
            raise InvalidInput(
                _(
                    "The video is %(w)sx%(h)s; the largest accepted frame has %(max)s pixels "
                    "(3840x2160). Scale it down first."
                )
                % {"w": width, "h": height, "max": max_frame_pixels()},
                param="file",
            )
        ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            raise InvalidInput(
                _(
                    "No frame could be decoded: the file is damaged or uses a codec this "
                    "server cannot decode (use H.264, MPEG-4 or MJPEG)."
                ),
                param="file",
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0)
        if not 0 < fps <= 240:
            fps = 25.0  # some containers do not say; 25 is the common CCTV rate
        frames = int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        duration = frames / fps if frames > 0 else 0.0
        if duration > max_clip_seconds():
            raise InvalidInput(
                _("The clip lasts %(s)s s; the limit is %(max)s s. Split it first.")
                % {"s": round(duration), "max": max_clip_seconds()},
                param="file",
            )
        return ClipInfo(frame.shape[1], frame.shape[0], fps, frames, duration)
    finally:
        capture.release()


def sample_clip(path: Path, sample_fps: float) -> Iterator[tuple[int, float, np.ndarray]]:
    """(source frame index, seconds, frame) at about `sample_fps`; skipped frames are grabbed,
    not converted. Stops quietly at a damaged tail, after what could be read."""
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InvalidInput(
                _("The video cannot be opened: the file is damaged or its format unknown."),
                param="file",
            )
        fps = float(capture.get(cv2.CAP_PROP_FPS) or 0)
        fps = fps if 0 < fps <= 240 else 25.0
        step = 1.0 / sample_fps if sample_fps > 0 else 0.0
        next_t = 0.0
        index = 0
        while True:
            t = index / fps
            if t + 1e-6 >= next_t:
                ok, frame = capture.read()
                if not ok:
                    return
                if frame.shape[0] * frame.shape[1] > max_frame_pixels():
                    return
                yield index, t, frame
                next_t += step
            elif not capture.grab():
                return
            index += 1
    finally:
        capture.release()


@dataclass
class Backoff:
    base_s: float = 1.0
    cap_s: float = 60.0
    max_failures: int = 8

    def delay(self, failures: int) -> float:
        return min(self.cap_s, self.base_s * 2 ** max(0, failures - 1))


class StreamUnavailable(Exception):
    pass


class StreamRefused(StreamUnavailable):
    """The operator's rules forbid this source: retrying will not change the answer."""


NETWORK_SCHEMES = ("rtsp", "rtsps", "http", "https")


def stream_source(url: str, *, resolve: bool) -> str:
    """What may be opened for a camera URL, or TargetRefused saying why not. A file:// URL
    must lie under VIDEO_ANALYTICS_FILE_ROOTS (the checked path is returned: open that); a
    network source may not reach loopback, link-local, metadata or "any" addresses unless
    VIDEO_ANALYTICS_STREAM_HOSTS lists it (private networks are camera networks: allowed).
    `resolve` (at connect time) checks every address the name resolves to."""
    scheme = url.split("://", 1)[0].lower() if "://" in url else ""
    if scheme == "file":
        return str(check_file_url(url, settings.VIDEO_ANALYTICS_FILE_ROOTS))
    if scheme not in NETWORK_SCHEMES:
        raise TargetRefused(
            _("A stream URL starts with %(schemes)s.")
            % {"schemes": " / ".join(f"{s}://" for s in (*NETWORK_SCHEMES, "file"))}
        )
    policy = Policy.of(settings.VIDEO_ANALYTICS_STREAM_HOSTS, private_ok=True)
    check_url(url, policy, resolve=resolve)
    return url


def open_stream(url: str):
    """An OpenCV capture of the URL, once the operator's rules allow it (checked again at every
    connection, after DNS: StreamRefused otherwise). Network sources get open and read
    timeouts (VIDEO_ANALYTICS_STREAM_TIMEOUT_S, default 10 s): a source that accepts the
    connection and then says nothing fails like an unreachable one instead of holding the
    reader."""
    import cv2

    try:
        source = stream_source(url, resolve=True)
    except TargetRefused as exc:
        raise StreamRefused(str(exc)) from exc
    if url.startswith("file://"):
        return cv2.VideoCapture(source)
    ms = 1000 * settings.VIDEO_ANALYTICS_STREAM_TIMEOUT_S
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, ms, cv2.CAP_PROP_READ_TIMEOUT_MSEC, ms]
    return cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)


class Capture(Protocol):
    """What pull_stream uses of a cv2.VideoCapture (tests pass fakes)."""

    def isOpened(self) -> bool: ...

    def release(self) -> None: ...

    def get(self, prop_id: int) -> float: ...

    def read(self) -> tuple[bool, np.ndarray | None]: ...


def pull_stream(
    url: str,
    sample_fps: float,
    *,
    max_frames: int | None = None,
    max_seconds: float | None = None,
    backoff: Backoff | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    on_status: Callable[[str, str], None] = lambda status, detail: None,
    opener: Callable[[str], Capture] | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> Iterator[tuple[int, float, np.ndarray]]:
    """Frames from a live source at about `sample_fps`, reconnecting after a failure with
    exponential back-off; gives up (StreamUnavailable) after `max_failures` failures in a row.
    A file URL plays once and ends (that is how tests serve a stream). `should_stop` is asked
    after every frame and before every reconnect: a clean way out for a long-running reader
    (pass a `sleep` that wakes up on the same signal, e.g. `threading.Event.wait`)."""
    import cv2

    backoff = backoff or Backoff()
    open_capture = opener or open_stream
    started = clock()
    failures = 0
    produced = 0
    step = 1.0 / sample_fps if sample_fps > 0 else 0.0
    is_file = url.startswith("file://") or "://" not in url
    while not should_stop():
        capture = open_capture(url)
        if not capture.isOpened():
            capture.release()
            failures += 1
            on_status(
                "offline", _("Cannot connect to the stream (attempt %(n)s).") % {"n": failures}
            )
            if failures >= backoff.max_failures:
                raise StreamUnavailable(
                    _("The stream could not be reached after %(n)s attempts.") % {"n": failures}
                )
            sleep(backoff.delay(failures))
            continue
        on_status("online", "")
        source_fps = float(capture.get(cv2.CAP_PROP_FPS) or 0)
        index = 0
        next_t = 0.0
        try:
            while True:
                ok, frame = capture.read()
                if not ok or frame is None:
                    break
                failures = 0
                t = index / source_fps if is_file and source_fps > 0 else clock() - started
                index += 1
                if t + 1e-6 < next_t:
                    continue
                next_t = t + step
                yield index - 1, t, frame
                produced += 1
                if max_frames is not None and produced >= max_frames:
                    return
                if max_seconds is not None and clock() - started >= max_seconds:
                    return
                if should_stop():
                    return
        finally:
            capture.release()
        if is_file:
            return
        failures += 1
        on_status("offline", _("The stream dropped; reconnecting."))
        if failures >= backoff.max_failures:
            raise StreamUnavailable(_("The stream kept dropping; giving up for now."))
        sleep(backoff.delay(failures))
