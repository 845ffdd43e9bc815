"""Continuous live-stream watching: one reader thread per stream camera, kept by a supervisor.

`manage.py watch_cameras` runs a `StreamSupervisor` in the foreground (one process per site,
under systemd or a container). Every `poll_s` it re-reads which cameras to watch and their
settings (stream, rate, stages, zones, rules): a new camera gets a reader, a disabled or
deleted one loses it, a changed one is restarted with its new settings. Each reader keeps one
analyser for as long as the stream keeps coming back (tracks and dwell times survive
reconnects); when the stream gives up after its back-off, the reader waits (itself backing off
up to `retry_cap_s`) and starts again. While a supervisor is alive it keeps a heartbeat in the
cache and the periodic `watch_streams` task stands aside, so a camera is never watched twice.
Readers are threads: OpenCV decoding and the ONNX/mediapipe models release the GIL.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import close_old_connections, connection

from suite.ai import gateway

from .models import Camera, CameraStatus, Rule, SourceKind

logger = logging.getLogger("video_analytics")

HEARTBEAT_KEY = "video_analytics:stream-supervisor"


def supervisor_alive() -> bool:
    return cache.get(HEARTBEAT_KEY) is not None


def cameras_to_watch(tenant_ids: list[int] | None = None):
    cameras = (
        Camera.objects.exclude(status=CameraStatus.DISABLED)
        .exclude(source_kind=SourceKind.UPLOAD)
        .exclude(stream_secret="")
        .select_related("tenant")
        .filter(tenant__is_active=True)
    )
    if tenant_ids is not None:
        cameras = cameras.filter(tenant_id__in=tenant_ids)
    return cameras


def camera_fingerprint(camera: Camera) -> str:
    """Changes whenever a reader would analyse differently: then it is restarted."""
    rules = Rule.objects.for_tenant(camera.tenant).filter(camera=camera).order_by("pk")
    state = {
        "stream": camera.stream_secret,
        "fps": camera.sample_fps,
        "stages": camera.stages,
        "people": camera.people_model,
        "zones": [(z.pk, z.kind, z.points) for z in camera.zones.order_by("pk")],
        "rules": [
            (r.pk, r.kind, r.zone_id, r.severity, r.params, r.schedule, r.enabled) for r in rules
        ],
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()


@dataclass
class Reader:
    camera_id: int
    fingerprint: str
    # set right after construction: the thread's target needs the reader itself
    thread: threading.Thread = field(init=False)
    stop: threading.Event = field(default_factory=threading.Event)
    runs: int = 0  # how many times a watch of the stream has ended (gave up, or a file ended)


def _read(
    reader: Reader, camera_id: int, *, retry_base_s: float, retry_cap_s: float, watch
) -> None:
    """A reader thread's life: watch until stopped, starting again after the stream gives up."""
    failures = 0
    try:
        while not reader.stop.is_set():
            close_old_connections()
            camera = Camera.objects.select_related("tenant").filter(pk=camera_id).first()
            if camera is None or camera.status == CameraStatus.DISABLED:
                return
            try:
                result = watch(
                    camera=camera,
                    caller=gateway.Caller(tenant=camera.tenant),
                    max_seconds=None,
                    sleep=reader.stop.wait,  # back-off sleeps end at once on shutdown
                    should_stop=reader.stop.is_set,
                )
            except Exception:  # a reader never takes the supervisor down
                logger.exception("reader for camera %s failed", camera_id)
                result = {"error": "crashed"}
            reader.runs += 1
            if reader.stop.is_set():
                return
            # the stream gave up (or, for a file, ended): wait, longer each time, then retry
            failures = failures + 1 if result.get("error") or not result.get("frames") else 1
            reader.stop.wait(min(retry_cap_s, retry_base_s * 2 ** max(0, failures - 1)))
    finally:
        connection.close()


class StreamSupervisor:
    def __init__(
        self,
        *,
        tenant_ids: list[int] | None = None,
        poll_s: float = 10.0,
        retry_base_s: float = 5.0,
        retry_cap_s: float = 300.0,
        watch: Callable[..., dict] | None = None,
    ):
        from .analysis import stream_watch

        self.tenant_ids = tenant_ids
        self.poll_s = poll_s
        self.retry_base_s, self.retry_cap_s = retry_base_s, retry_cap_s
        self.watch = watch or stream_watch
        self.readers: dict[int, Reader] = {}
        self.stopping = threading.Event()

    def refresh(self) -> None:
        """Starts, stops and restarts readers to match the cameras as they are now."""
        cache.set(HEARTBEAT_KEY, True, timeout=max(60, 3 * self.poll_s))
        wanted = {c.pk: camera_fingerprint(c) for c in cameras_to_watch(self.tenant_ids)}
        for camera_id, reader in list(self.readers.items()):
            changed = wanted.get(camera_id) != reader.fingerprint
            if changed or not reader.thread.is_alive():  # gone, changed, or its thread ended
                self._stop_reader(camera_id)
        for camera_id, fingerprint in wanted.items():
            if camera_id not in self.readers:
                self._start_reader(camera_id, fingerprint)

    def _start_reader(self, camera_id: int, fingerprint: str) -> None:
        reader = Reader(camera_id=camera_id, fingerprint=fingerprint)
        reader.thread = threading.Thread(
            target=_read,
            args=(reader, camera_id),
            kwargs={
                "retry_base_s": self.retry_base_s,
                "retry_cap_s": self.retry_cap_s,
                "watch": self.watch,
            },
            name=f"va-camera-{camera_id}",
            daemon=True,
        )
        self.readers[camera_id] = reader
        reader.thread.start()
        logger.info("watching camera %s", camera_id)

    def _stop_reader(self, camera_id: int, *, timeout_s: float = 30.0) -> None:
        reader = self.readers[camera_id]
        reader.stop.set()
        reader.thread.join(timeout_s)
        del self.readers[camera_id]
        if reader.thread.is_alive():  # a read blocked in the decoder; it ends with its socket
            logger.warning("reader for camera %s did not stop within %ss", camera_id, timeout_s)
        logger.info("stopped watching camera %s", camera_id)

    def run(self, *, max_seconds: float | None = None) -> None:
        """Until `stop()` (SIGTERM/SIGINT in the command) or `max_seconds`."""
        import time

        started = time.monotonic()
        try:
            while not self.stopping.is_set():
                close_old_connections()
                try:
                    self.refresh()
                except Exception:  # a database hiccup: the readers carry on, retry next poll
                    logger.exception("stream supervisor refresh failed")
                left = None if max_seconds is None else max_seconds - (time.monotonic() - started)
                if left is not None and left <= 0:
                    break
                self.stopping.wait(self.poll_s if left is None else min(self.poll_s, left))
        finally:
            self.shutdown()

    def stop(self) -> None:
        self.stopping.set()

    def shutdown(self) -> None:
        for reader in self.readers.values():
            reader.stop.set()  # all at once, then wait for each
        for camera_id in list(self.readers):
            self._stop_reader(camera_id)
        cache.delete(HEARTBEAT_KEY)
        connection.close()
