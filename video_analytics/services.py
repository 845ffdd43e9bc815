"""Writes: cameras, zones, rules, events and their workflow, webhooks, retention."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.accounts.models import ApiKey
from suite.audit.services import audit_record
from suite.errors import InvalidInput
from suite.jobs.services import job_enqueue, task_send
from suite.netguard import Policy, TargetRefused, check_url
from suite.realtime.publish import tenant_group_send
from suite.tenancy.models import Tenant

from . import crypto, storage
from .geometry import validate_points
from .ingest import check_upload, probe_clip, stream_source
from .models import (
    SEVERITY_ORDER,
    Analysis,
    Camera,
    CameraStatus,
    DeliveryStatus,
    Event,
    EventStatus,
    RetentionPolicy,
    Rule,
    RuleKind,
    Severity,
    SourceKind,
    WebhookDelivery,
    WebhookEndpoint,
    Zone,
    ZoneKind,
)
from .pipeline import OPTIONAL_STAGES

ALERTS_GROUP = "va.alerts"
WEBHOOK_MAX_ATTEMPTS = 5


def _audit(*, actor=None, **kwargs) -> None:
    """audit_record, with an API key as the actor recorded by its prefix (it is no user)."""
    if isinstance(actor, ApiKey):
        kwargs["actor_label"] = f"api-key {actor.prefix}…"
        actor = None
    audit_record(actor=actor, **kwargs)


def _person(actor):
    """The user to store in a *_by field: none for an API key."""
    return None if isinstance(actor, ApiKey) else actor


# --- cameras ------------------------------------------------------------------------------


def _check_camera_fields(*, latitude, longitude, sample_fps, stages, source_kind, stream_url):
    if latitude is not None and not -90 <= float(latitude) <= 90:
        raise InvalidInput(_("Latitude must be between -90 and 90."), param="latitude")
    if longitude is not None and not -180 <= float(longitude) <= 180:
        raise InvalidInput(_("Longitude must be between -180 and 180."), param="longitude")
    if not 0.2 <= float(sample_fps) <= 30:
        raise InvalidInput(
            _("The sample rate must be between 0.2 and 30 frames per second."), param="sample_fps"
        )
    unknown = set(stages or ()) - set(OPTIONAL_STAGES)
    if unknown:
        raise InvalidInput(
            _("Unknown stages: %(names)s.") % {"names": ", ".join(sorted(unknown))},
            param="stages",
        )
    if stream_url is not None and source_kind != SourceKind.UPLOAD:
        scheme = stream_url.split("://", 1)[0].lower() if "://" in stream_url else ""
        allowed = {
            SourceKind.RTSP: {"rtsp", "rtsps"},
            SourceKind.HTTP: {"http", "https"},
            SourceKind.FILE: {"file"},
        }[source_kind]
        if scheme not in allowed:
            raise InvalidInput(
                _("A %(kind)s source needs a URL starting with %(schemes)s.")
                % {"kind": source_kind, "schemes": " / ".join(f"{s}://" for s in sorted(allowed))},
                param="stream_url",
            )
        _check_stream_target(stream_url)


def _check_stream_target(url: str) -> None:
    """The operator's rules for what a camera may reach (files, internal addresses); the
    watcher checks again after DNS before every connection."""
    try:
        stream_source(url, resolve=False)
    except TargetRefused as exc:
        raise InvalidInput(str(exc), param="stream_url") from exc


def people_models(tenant: Tenant) -> list[str]:
    """The tenant's detect models that can find people (not the face detector)."""
    from suite.ai.gateway import configured_models

    return [
        m.name for m in configured_models(tenant, "detect") if m.spec.engine != "mediapipe-face"
    ]


def face_model(tenant: Tenant) -> str:
    """The tenant's face detector (BlazeFace). Without one nothing may be stored, so analysis
    refuses to start and says how to fix it."""
    from suite.ai.gateway import configured_models

    for model in configured_models(tenant, "detect"):
        if model.spec.engine == "mediapipe-face":
            return model.name
    raise InvalidInput(
        _(
            "No face detector is configured for this tenant, so stored pictures could not be "
            "blurred: add a detect model with the mediapipe-face engine under Model access."
        ),
        param="people_model",
    )


def _check_people_model(tenant: Tenant, name: str) -> None:
    if name and name not in people_models(tenant):
        raise InvalidInput(
            _("No detect model named %(name)s is configured for this tenant.") % {"name": name},
            param="people_model",
        )


def _set_stream(camera: Camera, stream_url: str) -> None:
    display, has_credentials = crypto.redact_url(stream_url)
    camera.stream_display = display
    camera.has_credentials = has_credentials
    camera.stream_secret = crypto.encrypt(stream_url)


@transaction.atomic
def camera_create(
    *,
    tenant: Tenant,
    name: str,
    source_kind: str = SourceKind.UPLOAD,
    stream_url: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
    location: str = "",
    group: str = "",
    tags: list[str] | None = None,
    sample_fps: float = 5.0,
    stages: list[str] | None = None,
    people_model: str = "",
    status: str = CameraStatus.ACTIVE,
    actor=None,
) -> Camera:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(_("A camera needs a name."), param="name")
    if Camera.objects.for_tenant(tenant).filter(name=name).exists():
        raise InvalidInput(_("A camera with this name already exists."), param="name")
    if source_kind != SourceKind.UPLOAD and not stream_url:
        raise InvalidInput(_("A stream camera needs its stream URL."), param="stream_url")
    _check_camera_fields(
        latitude=latitude,
        longitude=longitude,
        sample_fps=sample_fps,
        stages=stages,
        source_kind=source_kind,
        stream_url=stream_url,
    )
    _check_people_model(tenant, people_model)
    camera = Camera(
        tenant=tenant,
        people_model=people_model,
        name=name,
        source_kind=source_kind,
        latitude=latitude,
        longitude=longitude,
        location=location,
        group=group.strip(),
        tags=[t.strip() for t in (tags or []) if t.strip()],
        sample_fps=sample_fps,
        stages=list(stages) if stages else [],
        status=status,
    )
    if stream_url:
        _set_stream(camera, stream_url)
    camera.save()
    _audit(
        action="video_analytics.camera.create",
        tenant=tenant,
        actor=actor,
        obj=camera,
        data={"name": name, "stream": camera.stream_display},
    )
    return camera


@transaction.atomic
def camera_update(*, camera: Camera, actor=None, **changes) -> Camera:
    stream_url = changes.pop("stream_url", None)
    merged = {
        "latitude": changes.get("latitude", camera.latitude),
        "longitude": changes.get("longitude", camera.longitude),
        "sample_fps": changes.get("sample_fps", camera.sample_fps),
        "stages": changes.get("stages", camera.stages),
        "source_kind": changes.get("source_kind", camera.source_kind),
    }
    _check_camera_fields(stream_url=stream_url or None, **merged)
    if "name" in changes:
        name = (changes["name"] or "").strip()
        if not name:
            raise InvalidInput(_("A camera needs a name."), param="name")
        clash = Camera.objects.for_tenant(camera.tenant).filter(name=name).exclude(pk=camera.pk)
        if clash.exists():
            raise InvalidInput(_("A camera with this name already exists."), param="name")
        changes["name"] = name
    if "people_model" in changes:
        _check_people_model(camera.tenant, changes["people_model"])
    for field in (
        "people_model",
        "name",
        "latitude",
        "longitude",
        "location",
        "group",
        "tags",
        "sample_fps",
        "stages",
        "source_kind",
        "status",
    ):
        if field in changes:
            setattr(camera, field, changes[field])
    if stream_url:
        _set_stream(camera, stream_url)
    camera.save()
    _audit(
        action="video_analytics.camera.update",
        tenant=camera.tenant,
        actor=actor,
        obj=camera,
        data={"fields": sorted(changes) + (["stream"] if stream_url else [])},
    )
    return camera


@transaction.atomic
def camera_delete(*, camera: Camera, actor=None) -> None:
    paths = [camera.snapshot] + [p for e in camera.events.all() for p in (e.snapshot, e.clip)]
    _audit(
        action="video_analytics.camera.delete",
        tenant=camera.tenant,
        actor=actor,
        obj=camera,
        data={"name": camera.name},
    )
    camera.delete()
    transaction.on_commit(lambda: storage.delete(*paths))


def camera_stream_url(camera: Camera) -> str:
    """The full URL with credentials, for the worker that opens the stream only."""
    url = crypto.decrypt(camera.stream_secret)
    if url is None:
        raise InvalidInput(
            _("The stream credentials cannot be decrypted (the key changed); enter the URL again."),
            param="stream_url",
        )
    return url


def camera_watch_start(*, camera: Camera, seconds: float = 30) -> None:
    """Queues one bounded watch of the camera's stream on the vision queue, now."""
    if camera.source_kind == SourceKind.UPLOAD or not camera.stream_secret:
        raise InvalidInput(
            _("This camera has no stream to watch; upload a clip instead."), param="stream_url"
        )
    if camera.status == CameraStatus.DISABLED:
        raise InvalidInput(_("The camera is disabled."), param="status")
    # a key change, or a URL stored before the operator's rules, is reported now, not in the
    # worker's log
    _check_stream_target(camera_stream_url(camera))
    transaction.on_commit(
        lambda: task_send(
            "video_analytics.watch_camera",
            kwargs={"tenant_id": camera.tenant_id, "camera_id": camera.pk, "max_seconds": seconds},
        )
    )


def camera_set_health(*, camera: Camera, status: str, detail: str = "") -> None:
    """What a reader saw; a camera a person disabled meanwhile stays disabled."""
    fields = {"status": status, "health": detail[:300]}
    if status == CameraStatus.ONLINE:
        fields["last_seen_at"] = timezone.now()
    Camera.objects.filter(pk=camera.pk).exclude(status=CameraStatus.DISABLED).update(**fields)
    for k, v in fields.items():
        setattr(camera, k, v)


def camera_set_snapshot(*, camera: Camera, image) -> None:
    """`image` must already be blurred (pipeline.Frame.blurred)."""
    old = camera.snapshot
    camera.snapshot = storage.save_jpeg(camera.tenant_id, f"cameras/{camera.pk}", image)
    camera.snapshot_at = timezone.now()
    camera.frame_height, camera.frame_width = image.shape[:2]
    Camera.objects.filter(pk=camera.pk).update(
        snapshot=camera.snapshot,
        snapshot_at=camera.snapshot_at,
        frame_width=camera.frame_width,
        frame_height=camera.frame_height,
    )
    if old and old != camera.snapshot:
        storage.delete(old)


# --- zones and rules ----------------------------------------------------------------------


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


# --- clips ----------------------------------------------------------------------------------


def clip_analysis_start(
    *, camera: Camera, upload, sample_fps: float | None = None, created_by=None
) -> Analysis:
    """Checks the upload (type and size from its first bytes, then decodability, resolution
    and duration) before anything is queued; a bad file is a 400 and nothing is kept."""
    fps = float(sample_fps or camera.sample_fps)
    if not 0.2 <= fps <= 30:
        raise InvalidInput(
            _("The sample rate must be between 0.2 and 30 frames per second."), param="sample_fps"
        )
    face_model(camera.tenant)  # nothing is analysed that could not be stored blurred
    head = upload.read(16)
    upload.seek(0)
    container = check_upload(getattr(upload, "name", ""), upload.size, head)
    folder = storage.tenant_dir(camera.tenant_id) / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{secrets.token_hex(12)}.{container}"
    with path.open("wb") as out:
        for chunk in upload.chunks():
            out.write(chunk)
    try:
        info = probe_clip(path)
    except Exception:
        path.unlink(missing_ok=True)
        raise
    try:
        with transaction.atomic():
            analysis = Analysis.objects.create(
                tenant=camera.tenant,
                camera=camera,
                source="upload",
                filename=Path(getattr(upload, "name", "") or "clip").name[:200],
                input_path=storage.relative(path),
                sample_fps=fps,
                duration_s=info.duration_s,
                width=info.width,
                height=info.height,
                created_by=_person(created_by),
            )
            job, _created = job_enqueue(
                tenant=camera.tenant,
                kind="video_analytics.analyse",
                task="video_analytics.analyse_clip",
                params={"analysis": str(analysis.pk), "camera": camera.name},
                idempotency_key=f"va-analysis-{analysis.pk}",
                created_by=_person(created_by),
            )
            analysis.job = job
            analysis.save(update_fields=["job"])
            _audit(
                action="video_analytics.clip.upload",
                tenant=camera.tenant,
                actor=created_by,
                obj=analysis,
                data={"camera": camera.pk, "seconds": round(info.duration_s, 1)},
            )
    except Exception:
        path.unlink(missing_ok=True)
        raise
    return analysis


# --- events ---------------------------------------------------------------------------------


def event_payload(event: Event) -> dict:
    return {
        "id": event.pk,
        "camera": {"id": event.camera_id, "name": event.camera.name},
        "zone": event.zone.name if event.zone_id else "",
        "kind": event.kind,
        "kind_label": event.get_kind_display(),
        "severity": event.severity,
        "severity_label": event.get_severity_display(),
        "description": event.description,
        "occurred_at": event.occurred_at.isoformat(),
        "status": event.status,
        "status_label": event.get_status_display(),
        "snapshot": bool(event.snapshot),
    }


def analysis_event(*, analysis: Analysis, key: str) -> Event | None:
    """The event an analysis already recorded for one firing, if any."""
    return Event.objects.for_tenant(analysis.tenant).filter(analysis=analysis, key=key).first()


@transaction.atomic
def event_create(
    *,
    camera: Camera,
    kind: str,
    severity: str,
    description: str,
    occurred_at,
    rule: Rule | None = None,
    zone: Zone | None = None,
    analysis: Analysis | None = None,
    frame_index: int = 0,
    video_time_s: float = 0.0,
    snapshot: str = "",
    ocr_text: str = "",
    scene_tags: list | None = None,
    track: list | None = None,
    frame_at: float | None = None,
    key: str = "",
) -> Event:
    """Records the event, then (after commit) pushes the alert to the tenant's portal sockets
    and queues one signed delivery per matching webhook.

    An `analysis` event with a `key` is recorded once: when that firing is already recorded
    (the analysis runs again after its worker died), the recorded event is returned and
    nothing is alerted or delivered again.
    """
    keyed = analysis is not None and bool(key)
    if keyed and (recorded := analysis_event(analysis=analysis, key=key)) is not None:
        return recorded
    try:
        # A savepoint: a concurrent run of the same analysis may insert the same firing first.
        with transaction.atomic():
            event = Event.objects.create(
                tenant=camera.tenant,
                camera=camera,
                rule=rule,
                zone=zone,
                analysis=analysis,
                kind=kind,
                severity=severity,
                description=description[:500],
                occurred_at=occurred_at,
                frame_index=frame_index,
                video_time_s=round(video_time_s, 3),
                snapshot=snapshot,
                ocr_text=ocr_text,
                scene_tags=scene_tags or [],
                track=track or [],
                bytes_stored=storage.size_of(snapshot),
                key=key,
            )
    except IntegrityError:
        if not keyed:
            raise
        storage.delete(snapshot)  # the other run's event has its own
        return Event.objects.get(analysis=analysis, key=key)
    payload = event_payload(event)
    if frame_at is not None:
        payload["frame_at"] = frame_at  # wall clock of the frame, for latency measurement
    transaction.on_commit(
        lambda: tenant_group_send(
            camera.tenant_id, ALERTS_GROUP, {"type": "va.event", "event": payload}
        )
    )
    rank = SEVERITY_ORDER[severity]
    for endpoint in WebhookEndpoint.objects.for_tenant(camera.tenant).filter(enabled=True):
        if SEVERITY_ORDER[endpoint.min_severity] > rank:
            continue
        delivery = WebhookDelivery.objects.create(
            tenant=camera.tenant, endpoint=endpoint, event=event
        )
        transaction.on_commit(
            lambda d=delivery: task_send(
                "video_analytics.deliver_webhook",
                kwargs={"tenant_id": d.tenant_id, "delivery_id": d.pk},
            )
        )
    return event


def event_attach_clip(*, event: Event, clip: str) -> None:
    event.clip = clip
    event.bytes_stored = storage.size_of(event.snapshot, clip)
    Event.objects.filter(pk=event.pk).update(clip=clip, bytes_stored=event.bytes_stored)


def _transition(event: Event, to: str) -> None:
    allowed = {
        EventStatus.ACKNOWLEDGED: {EventStatus.NEW},
        EventStatus.RESOLVED: {EventStatus.NEW, EventStatus.ACKNOWLEDGED},
    }[to]
    if event.status not in allowed:
        raise InvalidInput(
            _("The event is %(status)s; it cannot be %(action)s.")
            % {
                "status": event.get_status_display(),
                "action": _("acknowledged") if to == EventStatus.ACKNOWLEDGED else _("resolved"),
            },
            param="status",
        )


def _publish_status(event: Event) -> None:
    payload = event_payload(event)
    transaction.on_commit(
        lambda: tenant_group_send(
            event.tenant_id, ALERTS_GROUP, {"type": "va.event.status", "event": payload}
        )
    )


@transaction.atomic
def event_acknowledge(*, event: Event, user, note: str = "") -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    _transition(event, EventStatus.ACKNOWLEDGED)
    event.status = EventStatus.ACKNOWLEDGED
    event.acknowledged_by, event.acknowledged_at = _person(user), timezone.now()
    if note:
        event.note = note[:500]
    event.save(update_fields=["status", "acknowledged_by", "acknowledged_at", "note"])
    _audit(action="video_analytics.event.acknowledge", tenant=event.tenant, actor=user, obj=event)
    _publish_status(event)
    return event


@transaction.atomic
def event_resolve(*, event: Event, user, note: str = "") -> Event:
    event = Event.objects.select_for_update().get(pk=event.pk)
    _transition(event, EventStatus.RESOLVED)
    now = timezone.now()
    if event.acknowledged_at is None:
        event.acknowledged_by, event.acknowledged_at = _person(user), now
    event.status = EventStatus.RESOLVED
    event.resolved_by, event.resolved_at = _person(user), now
    if note:
        event.note = note[:500]
    event.save(
        update_fields=[
            "status",
            "acknowledged_by",
            "acknowledged_at",
            "resolved_by",
            "resolved_at",
            "note",
        ]
    )
    _audit(action="video_analytics.event.resolve", tenant=event.tenant, actor=user, obj=event)
    _publish_status(event)
    return event


# --- webhooks -------------------------------------------------------------------------------


def _check_webhook(*, url: str, min_severity: str) -> None:
    if not url.startswith(("http://", "https://")):
        raise InvalidInput(_("The webhook URL must start with http:// or https://."), param="url")
    if min_severity not in Severity.values:
        raise InvalidInput(_("Unknown severity."), param="min_severity")
    if not webhook_host_allowed(url, resolve=False):
        raise InvalidInput(_("Webhooks cannot be sent to internal addresses."), param="url")


@transaction.atomic
def webhook_endpoint_update(
    *, endpoint: WebhookEndpoint, name: str, url: str, min_severity: str, actor=None
) -> WebhookEndpoint:
    _check_webhook(url=url, min_severity=min_severity)
    endpoint.name, endpoint.url, endpoint.min_severity = (name or url)[:80], url, min_severity
    endpoint.save(update_fields=["name", "url", "min_severity"])
    _audit(
        action="video_analytics.webhook.update",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
        data={"url": url, "min_severity": min_severity},
    )
    return endpoint


@transaction.atomic
def webhook_secret_rotate(*, endpoint: WebhookEndpoint, actor=None) -> str:
    """A new signing secret, shown this once; the old one stops signing at once."""
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint.secret_encrypted = crypto.encrypt(secret)
    endpoint.save(update_fields=["secret_encrypted"])
    _audit(
        action="video_analytics.webhook.rotate_secret",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
    )
    return secret


@transaction.atomic
def webhook_endpoint_create(
    *, tenant: Tenant, name: str, url: str, min_severity: str = Severity.LOW, actor=None
) -> tuple[WebhookEndpoint, str]:
    """Returns the endpoint and its signing secret, which is shown this once."""
    _check_webhook(url=url, min_severity=min_severity)
    secret = "whsec_" + secrets.token_urlsafe(24)
    endpoint = WebhookEndpoint.objects.create(
        tenant=tenant,
        name=(name or url)[:80],
        url=url,
        min_severity=min_severity,
        secret_encrypted=crypto.encrypt(secret),
    )
    _audit(
        action="video_analytics.webhook.create",
        tenant=tenant,
        actor=actor,
        obj=endpoint,
        data={"url": url},
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_set_enabled(
    *, endpoint: WebhookEndpoint, enabled: bool, actor=None
) -> WebhookEndpoint:
    """A disabled endpoint gets no new deliveries, and the retries of queued ones give up."""
    endpoint.enabled = enabled
    endpoint.save(update_fields=["enabled"])
    _audit(
        action="video_analytics.webhook.enable" if enabled else "video_analytics.webhook.disable",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
    )
    return endpoint


@transaction.atomic
def webhook_endpoint_delete(*, endpoint: WebhookEndpoint, actor=None) -> None:
    """Deletes the endpoint and its delivery log (a delivery still queued finds nothing)."""
    _audit(
        action="video_analytics.webhook.delete",
        tenant=endpoint.tenant,
        actor=actor,
        obj=endpoint,
        data={"url": endpoint.url},
    )
    endpoint.delete()


def webhook_host_allowed(url: str, *, resolve: bool) -> bool:
    """Webhooks may not reach the operator's own network (loopback, private, link-local,
    metadata addresses) unless the host is listed in VIDEO_ANALYTICS_WEBHOOK_HOSTS (names,
    IPs or CIDRs; "*": any): a tenant must not be able to aim the server at internal services.
    `resolve` also checks what the name resolves to, at delivery time."""
    from django.conf import settings

    policy = Policy.of(settings.VIDEO_ANALYTICS_WEBHOOK_HOSTS, private_ok=False)
    try:
        check_url(url, policy, resolve=resolve)
    except TargetRefused as exc:
        # an unresolvable name is no internal address: the delivery fails and is retried
        return exc.unresolvable
    return True


def webhook_signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def webhook_attempt(*, tenant_id: int, delivery_id: int, timeout_s: float = 5.0) -> str:
    """One POST of the event, signed. Returns "delivered", "retry" or "failed" (gave up, or
    nothing to deliver). Never raises for the remote side's faults."""
    import httpx

    delivery = (
        WebhookDelivery.objects.filter(tenant_id=tenant_id, pk=delivery_id)
        .select_related("endpoint", "event", "event__camera", "event__zone")
        .first()
    )
    if delivery is None or delivery.status != DeliveryStatus.PENDING:
        return "failed" if delivery is None else delivery.status
    secret = crypto.decrypt(delivery.endpoint.secret_encrypted)
    body = json.dumps(
        {
            "type": "video_analytics.event",
            "delivery": delivery.pk,
            "event": event_payload(delivery.event),
        },
        ensure_ascii=False,
        sort_keys=True,
    ).encode()
    timestamp = int(time.time())
    delivery.attempts += 1
    code, error = None, ""
    if not delivery.endpoint.enabled:
        error = "the webhook was disabled"
        secret = None  # give up: a disabled endpoint gets nothing more, retries included
    elif secret is None:
        error = "signing secret unreadable"
    elif not webhook_host_allowed(delivery.endpoint.url, resolve=True):
        error = "refused: the host resolves to an internal address"
        secret = None  # give up at once: retrying will not change the answer
    else:
        try:
            response = httpx.post(
                delivery.endpoint.url,
                content=body,
                timeout=timeout_s,
                headers={
                    "Content-Type": "application/json",
                    "X-Suite-Signature": webhook_signature(secret, timestamp, body),
                    "X-Suite-Delivery": str(delivery.pk),
                },
                follow_redirects=False,
            )
            code = response.status_code
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"[:300]
    delivery.response_code = code
    delivery.error = error or ("" if code and code < 300 else f"HTTP {code}")
    if code is not None and 200 <= code < 300:
        delivery.status, delivery.delivered_at = DeliveryStatus.DELIVERED, timezone.now()
    elif (
        secret is None
        or delivery.attempts >= WEBHOOK_MAX_ATTEMPTS
        or (code is not None and 400 <= code < 500 and code not in (408, 429))
    ):
        delivery.status = DeliveryStatus.FAILED
    delivery.save(update_fields=["status", "attempts", "response_code", "error", "delivered_at"])
    if delivery.status == DeliveryStatus.PENDING:
        return "retry"
    return delivery.status


# --- retention ------------------------------------------------------------------------------


@transaction.atomic
def retention_set(
    *,
    tenant: Tenant,
    camera: Camera | None = None,
    event_days: int,
    media_days: int,
    keyframe_only: bool = False,
    actor=None,
) -> RetentionPolicy:
    if not 1 <= int(event_days) <= 3650 or not 0 <= int(media_days) <= 3650:
        raise InvalidInput(
            _("Keep events 1 to 3650 days and media 0 to 3650 days."), param="event_days"
        )
    if int(media_days) > int(event_days):
        raise InvalidInput(_("Media cannot be kept longer than its events."), param="media_days")
    policy, _created = RetentionPolicy.objects.update_or_create(
        tenant=tenant,
        camera=camera,
        defaults={
            "event_days": event_days,
            "media_days": media_days,
            "keyframe_only": keyframe_only,
        },
    )
    _audit(
        action="video_analytics.retention.set",
        tenant=tenant,
        actor=actor,
        obj=policy,
        data={
            "camera": camera.pk if camera else None,
            "event_days": event_days,
            "media_days": media_days,
            "keyframe_only": keyframe_only,
        },
    )
    return policy


def retention_sweep(*, tenant: Tenant, now=None) -> dict:
    """Drops media past `media_days` (events stay, without pictures) and events past
    `event_days`; per camera, the camera's own policy over the tenant's."""
    from .selectors import retention_for

    now = now or timezone.now()
    freed = removed = stripped = 0
    for camera in Camera.objects.for_tenant(tenant):
        policy = retention_for(camera)
        events = Event.objects.for_tenant(tenant).filter(camera=camera)
        old = events.filter(occurred_at__lt=now - timedelta(days=policy.event_days))
        for event in old.only("snapshot", "clip"):
            freed += storage.delete(event.snapshot, event.clip)
        with transaction.atomic():
            removed += old.delete()[0]
        stale = events.filter(occurred_at__lt=now - timedelta(days=policy.media_days)).exclude(
            snapshot="", clip=""
        )
        for event in stale.only("snapshot", "clip"):
            freed += storage.delete(event.snapshot, event.clip)
            stripped += 1
        with transaction.atomic():
            stale.update(snapshot="", clip="", bytes_stored=0)
    for analysis in (
        Analysis.objects.for_tenant(tenant)
        .exclude(input_path="")
        .filter(finished_at__lt=now - timedelta(days=1))
    ):
        freed += storage.delete(analysis.input_path)
        Analysis.objects.filter(pk=analysis.pk).update(input_path="")
    return {"events_removed": removed, "media_stripped": stripped, "bytes_freed": freed}
