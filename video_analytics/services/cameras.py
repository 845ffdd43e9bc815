"""Cameras: creating, editing and watching them, their health and snapshot."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.errors import InvalidInput
from suite.jobs.services import task_send
from suite.netguard import TargetRefused
from suite.tenancy.models import Tenant

from .. import crypto, storage
from ..ingest import stream_source
from ..models import (
    Camera,
    CameraStatus,
    SourceKind,
)
from ..pipeline import OPTIONAL_STAGES
from .common import _audit


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
    fields: dict[str, str | datetime] = {"status": status, "health": detail[:300]}
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
