from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from ..models import AiModel, ModelAlias, Price, Quota, SafetyTerm, UsageRecord
from ..selectors import key_limits_of


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
        extra_kwargs = {
            "capability": {"default": ""},
            "limit": {
                "help_text": "In the unit's own count; for the unit spend (a budget), in "
                "micro-yuan: 1 yuan = 1000000."
            },
        }
        validators: list = []


class AliasSerializer(serializers.ModelSerializer):
    class Meta:
        model = ModelAlias
        fields = ["id", "capability", "alias", "target", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        validators: list = []


class PriceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Price
        fields = ["id", "capability", "model", "unit", "yuan", "per", "updated_at"]
        read_only_fields = ["id", "updated_at"]
        extra_kwargs = {
            "model": {"default": ""},
            "yuan": {"help_text": "Yuan per `per` units (1, 1000 or 1000000)."},
        }
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
            "input_tokens",
            "output_tokens",
            "audio_seconds",
            "characters",
            "images",
            "frames",
            "cost",
            "api_key",
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
    cost = serializers.DecimalField(max_digits=16, decimal_places=6, help_text="Yuan.")
    failed = serializers.IntegerField()
    fallback = serializers.IntegerField()


class _KeyTermsListSerializer(serializers.ListSerializer):
    def to_representation(self, data):
        keys = list(data.all() if hasattr(data, "all") else data)
        self.child.context["limits"] = key_limits_of(keys)  # one query for the page
        return super().to_representation(keys)


class KeyTermsSerializer(serializers.Serializer):
    """An API key's terms for the model API: what it may call and its own limits (enforced with
    the tenant tree's quotas). A limit left out stays as it is; null removes it."""

    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    prefix = serializers.CharField(read_only=True)
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        help_text=_("The only model names it may call through /v1; empty: every model."),
    )
    rpm = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, help_text=_("Requests per minute.")
    )
    tpm = serializers.IntegerField(
        min_value=0, allow_null=True, required=False, help_text=_("Tokens per minute.")
    )
    monthly_budget = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal(0),
        allow_null=True,
        required=False,
        help_text=_("Spend per calendar month, in yuan."),
    )

    class Meta:
        list_serializer_class = _KeyTermsListSerializer

    def to_representation(self, key) -> dict:
        limits = self.context.get("limits") or {}
        terms = limits.get(key.pk) or key_limits_of([key])[key.pk]
        budget = terms.get("monthly_budget")
        return {
            "id": key.pk,
            "name": key.name,
            "prefix": key.prefix,
            "allowed_models": list(key.allowed_models),
            "rpm": terms.get("rpm"),
            "tpm": terms.get("tpm"),
            "monthly_budget": None if budget is None else f"{budget:.2f}",
        }
