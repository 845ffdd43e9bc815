"""Running the pipeline and the rules over a camera's frames and recording what they find.

`CameraAnalyser` is fed frames one by one (from an uploaded clip or a live stream): it runs the
pipeline, evaluates the rules, stores blurred snapshots and short blurred clips for events,
keeps the camera's latest snapshot and the per-minute people counts.
"""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, TypedDict

import numpy as np
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.errors import AiError
from suite.errors import InvalidInput

from . import services, storage
from .geometry import Area
from .models import Analysis, AnalysisStatus, Camera, CountSample, Event, Rule, ZoneKind
from .pipeline import Frame, build_pipeline, read_text
from .rules import RuleEngine, RuleSpec
from .selectors import retention_for

if TYPE_CHECKING:
    from .ingest import Backoff

logger = logging.getLogger("video_analytics")


@dataclass
class PendingClip:
    event: Event
    frames: list[Frame]
    remaining: int


@dataclass
class Outcome:
    frames: int = 0
    events: list[Event] = field(default_factory=list)


class CameraAnalyser:
    def __init__(
        self,
        *,
        camera: Camera,
        caller: gateway.Caller,
        analysis: Analysis | None = None,
        started_at: datetime | None = None,
        sample_fps: float | None = None,
        clip_pre_s: float = 2.0,
        clip_post_s: float = 2.0,
        snapshot_every_s: float = 30,
        ocr: bool | None = None,
        people_model: str | None = None,
    ):
        self.camera, self.caller, self.analysis = camera, caller, analysis
        self.started_at = started_at or timezone.now()
        self.fps = float(sample_fps or camera.sample_fps)
        stages = camera.stages or None
        chosen = people_model or camera.people_model
        self.pipeline = build_pipeline(
            caller,
            stages,
            face_model=services.face_model(camera.tenant),
            **({"people_model": chosen} if chosen else {}),
        )
        self.ocr = ("ocr" in (camera.stages or [])) if ocr is None else ocr
        self.keyframe_only = retention_for(camera).keyframe_only
        rules = Rule.objects.for_tenant(camera.tenant).filter(camera=camera, enabled=True)
        self.rules = {r.pk: r for r in rules.select_related("zone")}
        self.engine = RuleEngine(RuleSpec.from_rule(r) for r in self.rules.values())
        self.zones = [(z, Area(z.points)) for z in camera.zones.all() if z.kind == ZoneKind.AREA]
        self.buffer: deque[Frame] = deque(maxlen=max(1, round(clip_pre_s * self.fps)))
        self.post_frames = max(0, round(clip_post_s * self.fps))
        self.pending: list[PendingClip] = []
        self.snapshot_every_s = snapshot_every_s
        self._last_snapshot_t: float | None = None
        self._minute: datetime | None = None
        self._peaks: dict[int | None, int] = {}
        self.outcome = Outcome()

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, index: int, t: float, image: np.ndarray, at: datetime | None = None) -> list:
        received = time.time()  # when the frame reached us: alert latency starts here
        at = at or self.started_at + timedelta(seconds=t)
        frame = self.pipeline.run(Frame(index=index, t=t, at=at, image=image))
        self.outcome.frames += 1
        # clips keep frames as analysed; faces are found and obscured when a clip is written
        for clip in list(self.pending):
            clip.frames.append(frame)
            clip.remaining -= 1
            if clip.remaining <= 0:
                self._write_clip(clip)
        self.buffer.append(frame)
        if self._last_snapshot_t is None or t - self._last_snapshot_t >= self.snapshot_every_s:
            services.camera_set_snapshot(camera=self.camera, image=frame.blurred)
            self._last_snapshot_t = t
        self._count(frame)
        created = []
        for firing in self.engine.evaluate(frame):
            created.append(self._record(firing, frame, received))
        return created

    def _record(self, firing, frame: Frame, received: float) -> Event:
        rule = self.rules.get(firing.rule.id)
        # The same clip through the same pipeline fires the same (rule, frame, track) again,
        # so a re-run of an analysis finds what its dead first run recorded.
        key = f"{firing.rule.id}:{frame.index}:{firing.track.id if firing.track else '-'}"
        if self.analysis is not None:
            recorded = services.analysis_event(analysis=self.analysis, key=key)
            if recorded is not None:
                self._keep(recorded, with_clip=not recorded.clip)
                return recorded
        snapshot_image = frame.blurred
        if firing.track is not None:
            import cv2

            snapshot_image = snapshot_image.copy()
            x, y, w, h = firing.track.box
            cv2.rectangle(snapshot_image, (x, y), (x + w, y + h), (0, 0, 255), 2)
        snapshot = storage.save_jpeg(
            self.camera.tenant_id, f"events/{self.camera.pk}", snapshot_image
        )
        text = ""
        if self.ocr:
            try:
                text = read_text(self.caller, frame.blurred)
            except AiError as exc:  # OCR is a bonus: an event is never lost for it
                logger.warning("OCR failed on camera %s: %s", self.camera.pk, exc)
        track = []
        if firing.track is not None:
            w, h = frame.width, frame.height
            track = [
                [
                    round(tt, 2),
                    round(bx / w, 4),
                    round(by / h, 4),
                    round(bw / w, 4),
                    round(bh / h, 4),
                ]
                for tt, (bx, by, bw, bh) in firing.track.history
            ]
        event = services.event_create(
            camera=self.camera,
            kind=firing.rule.kind,
            severity=firing.rule.severity,
            description=f"{self.camera.name}: {firing.description}",
            occurred_at=frame.at,
            rule=rule,
            zone=rule.zone if rule else None,
            analysis=self.analysis,
            frame_index=frame.index,
            video_time_s=frame.t,
            snapshot=snapshot,
            ocr_text=text,
            scene_tags=frame.tags,
            track=track,
            frame_at=received,
            key=key if self.analysis is not None else "",
        )
        self._keep(event, with_clip=not event.clip)
        return event

    def _keep(self, event: Event, *, with_clip: bool) -> None:
        self.outcome.events.append(event)
        if with_clip and not self.keyframe_only:
            clip = PendingClip(event, list(self.buffer), self.post_frames)
            if clip.remaining <= 0:
                self._write_clip(clip)
            else:
                self.pending.append(clip)

    def _write_clip(self, clip: PendingClip) -> None:
        if clip in self.pending:
            self.pending.remove(clip)
        if not clip.frames:
            return
        path = storage.save_clip(
            self.camera.tenant_id,
            f"events/{self.camera.pk}",
            [f.blurred for f in clip.frames],
            self.fps,
        )
        services.event_attach_clip(event=clip.event, clip=path)

    def _count(self, frame: Frame) -> None:
        minute = frame.at.replace(second=0, microsecond=0)
        if self._minute is not None and minute != self._minute:
            self._flush_counts()
        self._minute = minute
        people = frame.tracks.get("person", [])
        self._peaks[None] = max(self._peaks.get(None, 0), len(people))
        for zone, area in self.zones:
            inside = sum(1 for p in people if area.contains(p.anchor(frame.width, frame.height)))
            self._peaks[zone.pk] = max(self._peaks.get(zone.pk, 0), inside)

    def _flush_counts(self) -> None:
        if self._minute is None:
            return
        for zone_id, n in self._peaks.items():
            # django-stubs rejects None for a nullable FK's _id lookup
            # (typeddjango/django-stubs#3472); None selects the camera-wide row.
            CountSample.objects.update_or_create(  # type: ignore[misc]
                tenant=self.camera.tenant,
                camera=self.camera,
                zone_id=zone_id,
                minute=self._minute,
                defaults={"people": n},
            )
        self._peaks = {}

    def finish(self) -> Outcome:
        for clip in list(self.pending):
            self._write_clip(clip)
        self._flush_counts()
        return self.outcome


def analysis_run(
    *, analysis: Analysis, caller: gateway.Caller, progress=lambda percent, message: None
) -> dict:
    """Analyses an uploaded clip to the end; the clip's file was checked at upload."""
    from .ingest import sample_clip

    camera = analysis.camera
    analysis.refresh_from_db()
    if analysis.status == AnalysisStatus.DONE:
        # Its worker finished the analysis but died before the job was marked done: report
        # what was recorded (the clip itself may be gone already).
        _drop_input(analysis)
        return {
            "frames": analysis.frames_analysed,
            "events": analysis.events_found,
            "timings": analysis.timings,
            "engines": analysis.engines,
        }
    Analysis.objects.filter(pk=analysis.pk).update(status=AnalysisStatus.RUNNING)
    analyser = CameraAnalyser(
        camera=camera,
        caller=caller,
        analysis=analysis,
        started_at=analysis.created_at,
        sample_fps=analysis.sample_fps,
    )
    expected = max(1, round(analysis.duration_s * analysis.sample_fps))
    try:
        for n, (index, t, image) in enumerate(
            sample_clip(storage.absolute(analysis.input_path), analysis.sample_fps)
        ):
            analyser.feed(index, t, image)
            if n % 10 == 0:
                progress(
                    min(99, round(100 * n / expected)),
                    _("%(done)s of %(total)s frames analysed") % {"done": n, "total": expected},
                )
        outcome = analyser.finish()
        if outcome.frames == 0:
            raise InvalidInput(_("No frame of the clip could be decoded."), param="file")
    except Exception as exc:
        _drop_input(analysis)
        Analysis.objects.filter(pk=analysis.pk).update(
            status=AnalysisStatus.FAILED,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            finished_at=timezone.now(),
            frames_analysed=analyser.outcome.frames,
            timings=analyser.pipeline.timing_report(),
        )
        raise
    result = {
        "frames": outcome.frames,
        "events": len(outcome.events),
        "timings": analyser.pipeline.timing_report(),
        "engines": analyser.pipeline.engines(),
    }
    with transaction.atomic():
        Analysis.objects.filter(pk=analysis.pk).update(
            status=AnalysisStatus.DONE,
            frames_analysed=outcome.frames,
            events_found=len(outcome.events),
            timings=result["timings"],
            engines=result["engines"],
            finished_at=timezone.now(),
        )
    # After DONE is stored: a run that dies in between finds DONE and drops the clip then.
    _drop_input(analysis)
    return result


def _drop_input(analysis: Analysis) -> None:
    """The uploaded original still shows faces: it goes as soon as the analysis is over (a
    worker lost mid-way leaves it for the redelivered task)."""
    storage.delete(analysis.input_path)
    Analysis.objects.filter(pk=analysis.pk).update(input_path="")


class _PullOptions(TypedDict, total=False):
    """The keyword arguments stream_watch passes on to ingest.pull_stream."""

    max_seconds: float | None
    max_frames: int | None
    on_status: Callable[[str, str], None]
    backoff: Backoff
    sleep: Callable[[float], None]
    should_stop: Callable[[], bool]


def stream_watch(
    *,
    camera: Camera,
    caller: gateway.Caller,
    max_seconds: float | None = 60,
    max_frames: int | None = None,
    backoff=None,
    sleep=None,
    should_stop=None,
) -> dict:
    """Pulls the camera's live stream, with reconnects and back-off, for a bounded stretch (the
    periodic task) or until `should_stop` says so (`watching.StreamSupervisor`, max_seconds
    None); the camera's status follows what happens. The analyser keeps its state (tracks,
    dwell times, the clip buffer) across reconnects."""
    from .ingest import StreamUnavailable, pull_stream
    from .models import CameraStatus

    url = services.camera_stream_url(camera)
    analyser = CameraAnalyser(camera=camera, caller=caller)

    def on_status(status: str, detail: str) -> None:
        services.camera_set_health(
            camera=camera,
            status=CameraStatus.ONLINE if status == "online" else CameraStatus.OFFLINE,
            detail=detail,
        )

    options: _PullOptions = {
        "max_seconds": max_seconds,
        "max_frames": max_frames,
        "on_status": on_status,
    }
    if backoff is not None:
        options["backoff"] = backoff
    if sleep is not None:
        options["sleep"] = sleep
    if should_stop is not None:
        options["should_stop"] = should_stop
    events = 0
    try:
        for index, t, image in pull_stream(url, camera.sample_fps, **options):
            events += len(analyser.feed(index, t, image, at=timezone.now()))
            # a reader may run for weeks: the events are in the database, not kept in memory
            analyser.outcome.events.clear()
    except StreamUnavailable as exc:
        services.camera_set_health(camera=camera, status=CameraStatus.OFFLINE, detail=str(exc))
        analyser.finish()
        return {"frames": analyser.outcome.frames, "events": events, "error": str(exc)}
    outcome = analyser.finish()
    return {
        "frames": outcome.frames,
        "events": events + len(outcome.events),
        "timings": analyser.pipeline.timing_report(),
    }
