"""Zones drawn on a camera's picture and the rules that watch them."""

from __future__ import annotations

from datetime import time as dtime

from django.db import transaction
from django.utils.translation import gettext as _

from suite.errors import InvalidInput

from ..geometry import validate_points
from ..models import (
    Camera,
    Rule,
    RuleKind,
    Severity,
    Zone,
    ZoneKind,
)
from .common import _audit


@transaction.atomic
def zone_save(
    *,
    camera: Camera,
    name: str,
    points,
    kind: str = ZoneKind.AREA,
    zone: Zone | None = None,
    actor=None,
) -> Zone:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A zone needs a name."), param="name")
    if kind not in ZoneKind.values:
        raise InvalidInput(_("A zone is an area or a line."), param="kind")
    cleaned = validate_points(points, kind=kind)
    clash = Zone.objects.for_tenant(camera.tenant).filter(camera=camera, name=name)
    if zone is not None:
        clash = clash.exclude(pk=zone.pk)
    if clash.exists():
        raise InvalidInput(_("This camera already has a zone with that name."), param="name")
    if zone is not None and zone.kind != kind and zone.rules.exists():
        raise InvalidInput(_("Rules use this zone; its kind cannot change."), param="kind")
    zone = zone or Zone(tenant=camera.tenant, camera=camera)
    zone.name, zone.kind, zone.points = name, kind, cleaned
    zone.save()
    _audit(
        action="video_analytics.zone.save",
        tenant=camera.tenant,
        actor=actor,
        obj=zone,
        data={"camera": camera.pk, "points": len(cleaned)},
    )
    return zone


@transaction.atomic
def zone_delete(*, zone: Zone, actor=None) -> None:
    _audit(action="video_analytics.zone.delete", tenant=zone.tenant, actor=actor, obj=zone)
    zone.delete()


def _check_rule(*, kind: str, zone: Zone | None, params: dict, schedule: dict, severity: str):
    if kind not in RuleKind.values:
        raise InvalidInput(_("Unknown rule kind."), param="kind")
    if severity not in Severity.values:
        raise InvalidInput(_("Unknown severity."), param="severity")
    _check_rule_zone(kind, zone)
    if not isinstance(params, dict) or not isinstance(schedule, dict):
        raise InvalidInput(_("Parameters and schedule must be objects."), param="params")
    _check_rule_params(params)
    if schedule:
        _check_rule_schedule(schedule)


def _check_rule_zone(kind: str, zone: Zone | None) -> None:
    if kind == RuleKind.LINE_CROSSING and (zone is None or zone.kind != ZoneKind.LINE):
        raise InvalidInput(_("A line-crossing rule needs a line."), param="zone")
    if kind in (RuleKind.INTRUSION, RuleKind.LOITERING) and (
        zone is None or zone.kind != ZoneKind.AREA
    ):
        raise InvalidInput(_("This rule needs an area zone."), param="zone")
    if kind == RuleKind.CROWDING and zone is not None and zone.kind != ZoneKind.AREA:
        raise InvalidInput(_("Crowding is counted in an area, not on a line."), param="zone")


def _check_rule_params(params: dict) -> None:
    numbers = {"dwell_s": (1, 86400), "threshold": (1, 1000), "cooldown_s": (0, 86400)}
    for key, (low, high) in numbers.items():
        if key not in params:
            continue
        value = params[key]
        if (
            not isinstance(value, int | float)
            or isinstance(value, bool)
            or not low <= value <= high
        ):
            raise InvalidInput(
                _("%(key)s must be a number from %(low)s to %(high)s.")
                % {"key": key, "low": low, "high": high},
                param="params",
            )
    if params.get("target", "person") not in ("person", "any"):
        raise InvalidInput(_("target is person or any."), param="params")
    if params.get("direction", "any") not in ("any", "forward", "backward"):
        raise InvalidInput(_("direction is any, forward or backward."), param="params")


def _check_rule_schedule(schedule: dict) -> None:
    days = schedule.get("days")
    if days is not None and (not isinstance(days, list) or not all(d in range(7) for d in days)):
        raise InvalidInput(_("Schedule days are numbers 0 (Monday) to 6."), param="schedule")
    for key in ("start", "end"):
        if key not in schedule:
            continue
        try:
            dtime.fromisoformat(str(schedule[key]))
        except ValueError:
            raise InvalidInput(_("Schedule times look like 22:00."), param="schedule") from None


@transaction.atomic
def rule_save(
    *,
    camera: Camera,
    name: str,
    kind: str,
    severity: str = Severity.MEDIUM,
    zone: Zone | None = None,
    params: dict | None = None,
    schedule: dict | None = None,
    enabled: bool = True,
    rule: Rule | None = None,
    actor=None,
) -> Rule:
    params, schedule = params or {}, schedule or {}
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A rule needs a name."), param="name")
    if zone is not None and zone.camera_id != camera.pk:
        raise InvalidInput(_("The zone belongs to another camera."), param="zone")
    _check_rule(kind=kind, zone=zone, params=params, schedule=schedule, severity=severity)
    rule = rule or Rule(tenant=camera.tenant, camera=camera)
    rule.name, rule.kind, rule.severity, rule.zone = name, kind, severity, zone
    rule.params, rule.schedule, rule.enabled = params, schedule, enabled
    rule.save()
    _audit(
        action="video_analytics.rule.save",
        tenant=camera.tenant,
        actor=actor,
        obj=rule,
        data={"kind": kind, "severity": severity},
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: Rule, actor=None) -> None:
    _audit(action="video_analytics.rule.delete", tenant=rule.tenant, actor=actor, obj=rule)
    rule.delete()
