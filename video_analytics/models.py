"""Cameras, their zones and rules, analysis runs, events and alert delivery."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from suite.tenancy.models import TenantOwnedModel


class SourceKind(models.TextChoices):
    RTSP = "rtsp", _("RTSP stream")
    HTTP = "http", _("HTTP stream")
    FILE = "file", _("File")
    UPLOAD = "upload", _("Uploaded clips only")


class CameraStatus(models.TextChoices):
    ACTIVE = "active", pgettext_lazy("camera", "Active")
    ONLINE = "online", _("Online")
    OFFLINE = "offline", _("Offline")
    DISABLED = "disabled", _("Disabled")


class Camera(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=120)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=200, blank=True)
    group = models.CharField(
        pgettext_lazy("camera group", "group"), max_length=80, blank=True, db_index=True
    )
    tags = models.JSONField(_("tags"), default=list, blank=True)
    source_kind = models.CharField(
        _("source"), max_length=10, choices=SourceKind.choices, default=SourceKind.UPLOAD
    )
    # The URL without its user name and password, safe to show; the full URL is only stored
    # encrypted (Fernet) and decrypted by the worker that opens the stream.
    stream_display = models.CharField(max_length=500, blank=True)
    stream_secret = models.TextField(blank=True)
    has_credentials = models.BooleanField(default=False)
    sample_fps = models.FloatField(_("frames analysed per second"), default=5.0)
    stages = models.JSONField(default=list, blank=True)
    # a detect model of the tenant (e.g. an operator ONNX detector); empty: HOG people
    people_model = models.CharField(_("people detector"), max_length=80, blank=True)
    status = models.CharField(
        max_length=10, choices=CameraStatus.choices, default=CameraStatus.ACTIVE
    )
    health = models.CharField(max_length=300, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)
    snapshot = models.CharField(max_length=300, blank=True)  # relative to MEDIA_ROOT, blurred
    snapshot_at = models.DateTimeField(null=True, blank=True)
    frame_width = models.PositiveIntegerField(default=0)
    frame_height = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["group", "name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "name"], name="va_uniq_camera_name")
        ]

    def __str__(self) -> str:
        return self.name


class ZoneKind(models.TextChoices):
    AREA = "area", _("Area (polygon)")
    LINE = "line", _("Line")


class Zone(TenantOwnedModel):
    """A polygon (or a two-point line) in normalised frame coordinates, 0..1 on both axes."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="zones")
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(max_length=6, choices=ZoneKind.choices, default=ZoneKind.AREA)
    points = models.JSONField(default=list)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["camera", "name"], name="va_uniq_zone_name")]

    def __str__(self) -> str:
        return self.name


class RuleKind(models.TextChoices):
    INTRUSION = "intrusion", _("Intrusion")
    LINE_CROSSING = "line_crossing", _("Line crossing")
    LOITERING = "loitering", _("Loitering")
    CROWDING = "crowding", _("Crowding")
    TAMPERING = "tampering", _("Camera tampering")


class Severity(models.TextChoices):
    INFO = "info", _("Info")
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


SEVERITY_ORDER = {s: i for i, s in enumerate(Severity.values)}


class Rule(TenantOwnedModel):
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="rules")
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="rules"
    )
    name = models.CharField(_("name"), max_length=80)
    kind = models.CharField(max_length=16, choices=RuleKind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.MEDIUM)
    # kind-specific: target ("person" | "any"), direction, dwell_s, threshold, cooldown_s
    params = models.JSONField(default=dict, blank=True)
    # {"days": [0..6], "start": "HH:MM", "end": "HH:MM"}; empty: always
    schedule = models.JSONField(default=dict, blank=True)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["camera", "name"]

    def __str__(self) -> str:
        return self.name


class AnalysisStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", pgettext_lazy("analysis", "Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Analysis(TenantOwnedModel):
    """One run of the pipeline over an uploaded clip or a stretch of a live stream."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="analyses")
    job = models.ForeignKey(
        "jobs.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=10, default="upload")
    filename = models.CharField(max_length=200, blank=True)
    input_path = models.CharField(max_length=300, blank=True)
    status = models.CharField(
        max_length=10, choices=AnalysisStatus.choices, default=AnalysisStatus.QUEUED
    )
    sample_fps = models.FloatField(default=5.0)
    duration_s = models.FloatField(default=0)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    frames_analysed = models.PositiveIntegerField(default=0)
    events_found = models.PositiveIntegerField(default=0)
    timings = models.JSONField(default=dict, blank=True)  # stage -> {"ms": total, "calls": n}
    engines = models.JSONField(default=dict, blank=True)  # stage -> engine, fallback flag
    error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class EventStatus(models.TextChoices):
    NEW = "new", pgettext_lazy("event status", "New")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    RESOLVED = "resolved", _("Resolved")


class Event(TenantOwnedModel):
    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="events")
    rule = models.ForeignKey(
        Rule, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    analysis = models.ForeignKey(
        Analysis, null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    kind = models.CharField(max_length=16, choices=RuleKind.choices, db_index=True)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField(db_index=True)
    frame_index = models.PositiveIntegerField(default=0)
    video_time_s = models.FloatField(default=0)
    description = models.CharField(max_length=500)
    ocr_text = models.TextField(blank=True)
    scene_tags = models.JSONField(default=list, blank=True)
    track = models.JSONField(default=list, blank=True)  # [[t, x, y, w, h], ...] normalised
    snapshot = models.CharField(max_length=300, blank=True)
    clip = models.CharField(max_length=300, blank=True)
    bytes_stored = models.PositiveBigIntegerField(default=0)
    status = models.CharField(
        max_length=14, choices=EventStatus.choices, default=EventStatus.NEW, db_index=True
    )
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    note = models.CharField(max_length=500, blank=True)
    # Which firing of its analysis this is ("<rule>:<frame>:<track>"): an analysis run again
    # (its worker died, the job was re-queued) finds the events it already recorded instead
    # of recording, alerting and delivering them twice. Empty for live streams.
    key = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["tenant", "camera", "occurred_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["analysis", "key"],
                condition=models.Q(analysis__isnull=False) & ~models.Q(key=""),
                name="va_uniq_event_per_analysis_firing",
            )
        ]

    def __str__(self) -> str:
        return self.description


class CountSample(TenantOwnedModel):
    """People counted per camera (zone null) or per zone, the peak over one minute."""

    camera = models.ForeignKey(Camera, on_delete=models.CASCADE, related_name="counts")
    zone = models.ForeignKey(
        Zone, null=True, blank=True, on_delete=models.CASCADE, related_name="counts"
    )
    minute = models.DateTimeField(db_index=True)
    people = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["minute"]


class WebhookEndpoint(TenantOwnedModel):
    name = models.CharField(_("name"), max_length=80)
    url = models.URLField(_("URL"), max_length=500)
    secret_encrypted = models.TextField()
    min_severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.LOW)
    enabled = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(TenantOwnedModel):
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]


class RetentionPolicy(TenantOwnedModel):
    """Tenant-wide (camera null) or per camera; the camera's own policy wins."""

    camera = models.OneToOneField(
        Camera, null=True, blank=True, on_delete=models.CASCADE, related_name="retention"
    )
    event_days = models.PositiveIntegerField(_("keep events (days)"), default=90)
    media_days = models.PositiveIntegerField(_("keep snapshots and clips (days)"), default=30)
    keyframe_only = models.BooleanField(_("store keyframes only"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(camera__isnull=True),
                name="va_uniq_tenant_retention",
            )
        ]
