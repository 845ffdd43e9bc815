from rest_framework import serializers

from ..models import AiModel, Quota, SafetyTerm, UsageRecord


class AiModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = AiModel
        fields = [
            "id",
            "name",
            "capability",
            "engine",
            "path",
            "options",
            "priority",
            "is_default",
            "enabled",
            "timeout_s",
            "dialect",
            "updated_at",
        ]
        read_only_fields = ["id", "updated_at"]
        # Name clashes are checked by the service, which knows the tenant.
        validators: list = []


class QuotaSerializer(serializers.ModelSerializer):
    class Meta:
        model = Quota
        fields = ["id", "capability", "unit", "period", "limit"]
        read_only_fields = ["id"]
        # Left out means every capability, as in the portal form (the service needs a value).
        extra_kwargs = {"capability": {"default": ""}}
        validators: list = []


class SafetyTermSerializer(serializers.ModelSerializer):
    class Meta:
        model = SafetyTerm
        fields = ["id", "term", "category", "created_at"]
        read_only_fields = ["id", "created_at"]
        validators: list = []


class UsageRecordSerializer(serializers.ModelSerializer):
    class Meta:
        model = UsageRecord
        fields = [
            "id",
            "created_at",
            "capability",
            "model",
            "engine",
            "status",
            "fallback",
            "generative",
            "requests",
            "tokens",
            "audio_seconds",
            "characters",
            "images",
            "frames",
            "latency_ms",
            "error",
        ]


class UsageDailySerializer(serializers.Serializer):
    day = serializers.DateField()
    capability = serializers.CharField()
    model = serializers.CharField()
    requests = serializers.IntegerField()
    tokens = serializers.IntegerField()
    audio_seconds = serializers.FloatField()
    characters = serializers.IntegerField()
    images = serializers.IntegerField()
    frames = serializers.IntegerField()
    failed = serializers.IntegerField()
    fallback = serializers.IntegerField()
