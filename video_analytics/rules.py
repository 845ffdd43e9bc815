"""Rule evaluation over the pipeline's tracks, one `RuleEngine` per camera stream.

Plain values in, firings out: the engine knows nothing about the database, so geometry and
timing are tested on their own and the analysis service turns firings into events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time

from django.utils import timezone
from django.utils.translation import gettext as _

from .geometry import Area, Line
from .pipeline import Frame
from .tracking import Track


@dataclass(frozen=True)
class RuleSpec:
    id: int
    name: str
    kind: str
    severity: str
    zone_id: int | None = None
    zone_name: str = ""
    zone_kind: str = ""
    points: tuple = ()
    params: dict = field(default_factory=dict)
    schedule: dict = field(default_factory=dict)

    @classmethod
    def from_rule(cls, rule) -> RuleSpec:
        zone = rule.zone
        return cls(
            id=rule.pk,
            name=rule.name,
            kind=rule.kind,
            severity=rule.severity,
            zone_id=zone.pk if zone else None,
            zone_name=zone.name if zone else "",
            zone_kind=zone.kind if zone else "",
            points=tuple(tuple(p) for p in zone.points) if zone else (),
            params=dict(rule.params or {}),
            schedule=dict(rule.schedule or {}),
        )


@dataclass
class Firing:
    rule: RuleSpec
    description: str
    track: Track | None = None
    count: int = 0


def in_schedule(schedule: dict, at: datetime) -> bool:
    """`days` are weekdays 0 (Monday) to 6; a window whose end is before its start runs over
    midnight (22:00-06:00). Times are in the server's time zone."""
    if not schedule:
        return True
    local = timezone.localtime(at) if timezone.is_aware(at) else at
    days = schedule.get("days")
    start, end = schedule.get("start"), schedule.get("end")
    if not (start and end):
        return days is None or local.weekday() in days
    t0, t1, now = time.fromisoformat(start), time.fromisoformat(end), local.time()
    if t0 <= t1:
        inside, day = t0 <= now < t1, local.weekday()
    else:
        inside = now >= t0 or now < t1
        # the early-morning part belongs to the night that started the day before
        day = local.weekday() if now >= t0 else (local.weekday() - 1) % 7
    return inside and (days is None or day in days)


class RuleEngine:
    def __init__(self, rules: Iterable[RuleSpec]):
        self.rules = list(rules)
        self.areas = {r.id: Area(r.points) for r in self.rules if r.zone_kind == "area"}
        self.lines = {r.id: Line(r.points) for r in self.rules if r.zone_kind == "line"}
        self.fired: set[tuple[int, int]] = set()  # (rule, track) that already raised an event
        self.entered: dict[tuple[int, int], float] = {}  # (rule, track) -> time it entered
        self.last_fired: dict[int, float] = {}  # rule -> frame time, for cooldowns

    def _tracks(self, rule: RuleSpec, frame: Frame, *, persistent: bool = True) -> list[Track]:
        # a track must persist a few frames: flickering blobs and one-frame false detections
        # would otherwise each raise an event
        min_frames = int(rule.params.get("min_frames", 3)) if persistent else 1
        return [
            t
            for t in frame.tracks.get(rule.params.get("target", "person"), [])
            if t.hits >= min_frames
        ]

    def _inside(self, rule: RuleSpec, track: Track, frame: Frame) -> bool:
        area = self.areas.get(rule.id)
        return area is None or area.contains(track.anchor(frame.width, frame.height))

    def _cooled(self, rule: RuleSpec, t: float) -> bool:
        last = self.last_fired.get(rule.id)
        return last is None or t - last >= float(rule.params.get("cooldown_s", 30))

    def evaluate(self, frame: Frame) -> list[Firing]:
        firings: list[Firing] = []
        for rule in self.rules:
            if not in_schedule(rule.schedule, frame.at):
                continue
            handler = getattr(self, f"_{rule.kind}", None)
            if handler is not None:
                firings += handler(rule, frame)
        for firing in firings:
            self.last_fired[firing.rule.id] = frame.t
        return firings

    def _intrusion(self, rule: RuleSpec, frame: Frame) -> list[Firing]:
        out = []
        for track in self._tracks(rule, frame):
            key = (rule.id, track.id)
            if key not in self.fired and self._inside(rule, track, frame):
                self.fired.add(key)
                out.append(
                    Firing(
                        rule,
                        _("Intrusion into %(zone)s") % {"zone": rule.zone_name or _("the frame")},
                        track,
                    )
                )
        return out

    def _line_crossing(self, rule: RuleSpec, frame: Frame) -> list[Firing]:
        line = self.lines.get(rule.id)
        if line is None:
            return []
        wanted = {"forward": 1, "backward": -1}.get(rule.params.get("direction", "any"))
        out = []
        for track in self._tracks(rule, frame):
            before = track.previous_anchor(frame.width, frame.height)
            if before is None:
                continue
            crossed = line.crossing(before, track.anchor(frame.width, frame.height))
            key = (rule.id, track.id * 2 + (crossed > 0))
            if crossed and (wanted is None or crossed == wanted) and key not in self.fired:
                self.fired.add(key)
                direction = _("forward") if crossed > 0 else _("backward")
                out.append(
                    Firing(
                        rule,
                        _("Crossed %(line)s (%(direction)s)")
                        % {"line": rule.zone_name, "direction": direction},
                        track,
                    )
                )
        return out

    def _loitering(self, rule: RuleSpec, frame: Frame) -> list[Firing]:
        dwell = float(rule.params.get("dwell_s", 30))
        out = []
        min_frames = int(rule.params.get("min_frames", 3))
        # dwell counts from the first frame inside, before the track proved persistent
        for track in self._tracks(rule, frame, persistent=False):
            key = (rule.id, track.id)
            if not self._inside(rule, track, frame):
                self.entered.pop(key, None)
                continue
            since = self.entered.setdefault(key, frame.t)
            if frame.t - since >= dwell and track.hits >= min_frames and key not in self.fired:
                self.fired.add(key)
                out.append(
                    Firing(
                        rule,
                        _("Loitering in %(zone)s for %(s)s s")
                        % {"zone": rule.zone_name or _("the frame"), "s": round(frame.t - since)},
                        track,
                    )
                )
        return out

    def _crowding(self, rule: RuleSpec, frame: Frame) -> list[Firing]:
        threshold = int(rule.params.get("threshold", 5))
        inside = [t for t in self._tracks(rule, frame) if self._inside(rule, t, frame)]
        if len(inside) < threshold or not self._cooled(rule, frame.t):
            return []
        return [
            Firing(
                rule,
                _("%(n)s people in %(zone)s (threshold %(max)s)")
                % {"n": len(inside), "zone": rule.zone_name or _("the frame"), "max": threshold},
                count=len(inside),
            )
        ]

    def _tampering(self, rule: RuleSpec, frame: Frame) -> list[Firing]:
        if not frame.tamper or not self._cooled(rule, frame.t):
            return []
        labels = {
            "blackout": _("Camera blacked out"),
            "occlusion": _("Camera view blocked"),
            "defocus": _("Camera out of focus"),
        }
        return [Firing(rule, labels[frame.tamper])]
