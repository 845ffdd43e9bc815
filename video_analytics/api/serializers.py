from rest_framework import serializers

from suite.api.masking import MaskPersonalData

from ..models import Analysis, Camera, Event, Rule, WebhookDelivery, WebhookEndpoint, Zone


class CameraSerializer(serializers.ModelSerializer):
    # write-only: the URL with credentials is stored encrypted and never shown back
    stream_url = serializers.CharField(
        write_only=True, required=False, allow_blank=True, max_length=500
    )

    class Meta:
        model = Camera
        fields = [
            "id",
            "name",
            "latitude",
            "longitude",
            "location",
            "group",
            "tags",
            "source_kind",
            "stream_url",
            "stream_display",
            "has_credentials",
            "sample_fps",
            "stages",
            "people_model",
            "status",
            "health",
            "last_seen_at",
            "snapshot_at",
            "frame_width",
            "frame_height",
            "created_at",
        ]
        read_only_fields = [
            "stream_display",
            "has_credentials",
            "health",
            "last_seen_at",
            "snapshot_at",
            "frame_width",
            "frame_height",
            "created_at",
        ]
        # names are checked by the service (per tenant, with a message a person can act on)
        validators: list = []


class ZoneSerializer(serializers.ModelSerializer):
    camera = serializers.IntegerField(source="camera_id")
    points = serializers.JSONField()

    class Meta:
        model = Zone
        fields = ["id", "camera", "name", "kind", "points", "created_at"]
        read_only_fields = ["created_at"]
        validators: list = []


class RuleSerializer(serializers.ModelSerializer):
    camera = serializers.IntegerField(source="camera_id")
    zone = serializers.IntegerField(source="zone_id", required=False, allow_null=True)
    params = serializers.JSONField(required=False)
    schedule = serializers.JSONField(required=False)

    class Meta:
        model = Rule
        fields = [
            "id",
            "camera",
            "zone",
            "name",
            "kind",
            "severity",
            "params",
            "schedule",
            "enabled",
            "created_at",
        ]
        read_only_fields = ["created_at"]


class AnalysisSerializer(serializers.ModelSerializer):
    job = serializers.UUIDField(source="job_id", read_only=True)

    class Meta:
        model = Analysis
        fields = [
            "id",
            "camera",
            "job",
            "source",
            "filename",
            "status",
            "sample_fps",
            "duration_s",
            "width",
            "height",
            "frames_analysed",
            "events_found",
            "timings",
            "engines",
            "error",
            "created_at",
            "finished_at",
        ]
        read_only_fields = fields


class ClipUploadSerializer(serializers.Serializer):
    file = serializers.FileField()
    sample_fps = serializers.FloatField(required=False)


class EventSerializer(MaskPersonalData, serializers.ModelSerializer):
    camera_name = serializers.CharField(source="camera.name", read_only=True)
    zone_name = serializers.CharField(source="zone.name", read_only=True, default="")
    snapshot_url = serializers.SerializerMethodField()
    clip_url = serializers.SerializerMethodField()

    class Meta:
        model = Event
        fields = [
            "id",
            "camera",
            "camera_name",
            "zone",
            "zone_name",
            "rule",
            "analysis",
            "kind",
            "severity",
            "occurred_at",
            "frame_index",
            "video_time_s",
            "description",
            "ocr_text",
            "scene_tags",
            "track",
            "snapshot_url",
            "clip_url",
            "status",
            "acknowledged_at",
            "resolved_at",
            "note",
        ]
        read_only_fields = fields
        mask_text = ["description", "ocr_text", "note"]

    def _url(self, obj: Event, what: str) -> str | None:
        from django.urls import reverse

        if not getattr(obj, what):
            return None
        return reverse("video_analytics:event_media", args=[obj.pk, what])

    def get_snapshot_url(self, obj: Event) -> str | None:
        return self._url(obj, "snapshot")

    def get_clip_url(self, obj: Event) -> str | None:
        return self._url(obj, "clip")


class EventQuestionSerializer(serializers.Serializer):
    question = serializers.CharField(
        allow_blank=True,
        trim_whitespace=False,
        help_text="e.g. 昨天晚上大堂有人逗留吗 (200 characters at most)",
    )


class UnderstoodSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="the list's query parameter, or time for since/until")
    # DRF's metaclass takes declared fields out of the class, so this never shadows Field.label
    # at run time; only the stubs see a clash.
    label = serializers.CharField()  # type: ignore[assignment]
    value = serializers.CharField()


class EventFiltersSerializer(serializers.Serializer):
    camera = serializers.IntegerField(allow_null=True)
    camera_name = serializers.CharField(allow_blank=True)
    zone = serializers.IntegerField(allow_null=True)
    zone_name = serializers.CharField(allow_blank=True)
    kind = serializers.CharField(allow_blank=True)
    severity = serializers.CharField(allow_blank=True)
    since = serializers.DateTimeField(allow_null=True)
    until = serializers.DateTimeField(allow_null=True)
    q = serializers.CharField(allow_blank=True)


class EventInterpretationSerializer(serializers.Serializer):
    question = serializers.CharField()
    how = serializers.ChoiceField(
        choices=["model", "rules"],
        help_text="model: the language model read the question; rules: keyword rules (fallback)",
    )
    model = serializers.CharField(
        allow_blank=True, help_text="the language model, when it answered"
    )
    reason = serializers.CharField(allow_blank=True, help_text="why the rules answered")
    filters = EventFiltersSerializer()
    understood = UnderstoodSerializer(many=True)
    query = serializers.CharField(
        allow_blank=True, help_text="the filters as the event list's query string"
    )


class EventActionSerializer(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookEndpoint
        fields = ["id", "name", "url", "min_severity", "enabled", "created_at"]
        read_only_fields = ["created_at", "enabled"]


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "endpoint",
            "event",
            "status",
            "attempts",
            "response_code",
            "error",
            "created_at",
            "delivered_at",
        ]
        read_only_fields = fields
