"""Tenant-admin REST endpoints for models, quotas, safety terms and usage. Writes go through
suite.ai.services, so the portal and the API validate and audit alike."""

import django_filters
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from suite.accounts.models import ApiKey
from suite.api.viewsets import TenantModelViewSet, TenantReadOnlyViewSet, TenantScopedMixin
from suite.tenancy.models import Role

from .. import selectors, services
from ..capabilities import Capability
from ..models import AiModel, ModelAlias, Price, Quota, SafetyTerm, UsageRecord
from ..quota import KEY_LIMITS
from . import serializers as s

ADMINS = (Role.TENANT_ADMIN,)


class AiModelViewSet(TenantModelViewSet):
    """The tenant's own model rows (inherited and default models are not listed here)."""

    queryset = AiModel.objects.all()
    serializer_class = s.AiModelSerializer
    required_roles = ADMINS
    filterset_fields = ["capability", "engine", "enabled"]
    ordering_fields = ["capability", "priority", "name", "updated_at"]

    def perform_create(self, serializer):
        serializer.instance = services.ai_model_create(
            tenant=self.tenant, request=self.request._request, **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.ai_model_update(
            model=serializer.instance, request=self.request._request, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.ai_model_delete(model=instance, request=self.request._request)


class QuotaViewSet(TenantModelViewSet):
    """The tenant's own quotas. Quotas of parent tenants bind too but are managed there."""

    queryset = Quota.objects.filter(api_key__isnull=True)  # key limits: on the key
    serializer_class = s.QuotaSerializer
    required_roles = ADMINS
    filterset_fields = ["capability", "unit", "period"]

    def perform_create(self, serializer):
        serializer.instance = services.quota_set(
            tenant=self.tenant, request=self.request._request, **serializer.validated_data
        )

    def perform_update(self, serializer):
        quota = serializer.instance
        values = {
            "capability": quota.capability,
            "unit": quota.unit,
            "period": quota.period,
            "limit": quota.limit,
            **serializer.validated_data,
        }
        serializer.instance = services.quota_set(
            tenant=self.tenant, quota=quota, request=self.request._request, **values
        )

    def perform_destroy(self, instance):
        services.quota_delete(quota=instance, request=self.request._request)


class PriceViewSet(TenantModelViewSet):
    """The tenant's own price lines; they bind its subtree where no nearer tenant sets one.
    Setting a line for a capability, model and unit that has one changes it."""

    queryset = Price.objects.all()
    serializer_class = s.PriceSerializer
    required_roles = ADMINS
    filterset_fields = ["capability", "model", "unit"]

    def perform_create(self, serializer):
        serializer.instance = services.price_set(
            tenant=self.tenant, request=self.request._request, **serializer.validated_data
        )

    def perform_update(self, serializer):
        line = serializer.instance
        values = {
            "capability": line.capability,
            "model": line.model,
            "unit": line.unit,
            "yuan": line.yuan,
            "per": line.per,
            **serializer.validated_data,
        }
        if (values["capability"], values["model"], values["unit"]) != (
            line.capability, line.model, line.unit,
        ):  # fmt: skip
            raise serializers.ValidationError(
                {"unit": [_("Delete the line and set a new one to price something else.")]}
            )
        serializer.instance = services.price_set(
            tenant=self.tenant, request=self.request._request, **values
        )

    def perform_destroy(self, instance):
        services.price_delete(price=instance, request=self.request._request)


class AliasViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The tenant's own model aliases (its ancestors' apply too but are managed there).
    Setting an alias that exists changes the model it means."""

    queryset = ModelAlias.objects.all()
    serializer_class = s.AliasSerializer
    required_roles = ADMINS
    filterset_fields = ["capability", "alias", "target"]

    def perform_create(self, serializer):
        serializer.instance = services.alias_set(
            tenant=self.tenant, request=self.request._request, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.alias_delete(alias=instance, request=self.request._request)


class KeyTermsViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """The tenant's active API keys as virtual keys of the model API: each one's model
    allow-list, RPM, TPM and monthly budget. Keys are created and revoked at /api/v1/api-keys/."""

    queryset = ApiKey.objects.filter(revoked_at__isnull=True)
    serializer_class = s.KeyTermsSerializer
    required_roles = ADMINS
    ordering = ["name", "id"]

    def perform_update(self, serializer):
        key = serializer.instance
        terms = selectors.key_limits_of([key])[key.pk]
        terms.update({k: v for k, v in serializer.validated_data.items() if k in KEY_LIMITS})
        services.key_terms_set(
            key=key,
            allowed_models=serializer.validated_data.get("allowed_models", key.allowed_models),
            request=self.request._request,
            **terms,
        )
        serializer.instance = self.get_object()


class SafetyTermViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The tenant's own prohibited terms, on top of the built-in lexicon."""

    queryset = SafetyTerm.objects.all()
    serializer_class = s.SafetyTermSerializer
    required_roles = ADMINS
    filterset_fields = ["category"]

    def perform_create(self, serializer):
        serializer.instance = services.safety_term_add(
            tenant=self.tenant, request=self.request._request, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.safety_term_remove(term=instance, request=self.request._request)


class UsageFilter(django_filters.FilterSet):
    date_from = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    date_to = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")

    class Meta:
        model = UsageRecord
        fields = ["capability", "model", "status", "fallback"]


class UsageDailyQuery(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, default=30)
    capability = serializers.ChoiceField(choices=Capability.choices, required=False)
    model = serializers.CharField(required=False, max_length=80)


class UsageRecordViewSet(TenantReadOnlyViewSet):
    """One row per gateway call. Filters: capability, model, status, fallback, date_from,
    date_to (calendar days in the operator's time zone)."""

    queryset = UsageRecord.objects.all()
    serializer_class = s.UsageRecordSerializer
    required_roles = ADMINS
    filterset_class = UsageFilter
    ordering_fields = ["created_at", "latency_ms"]

    @extend_schema(
        parameters=[
            OpenApiParameter("days", int, description="1-366, default 30"),
            OpenApiParameter("capability", str, enum=Capability.values),
            OpenApiParameter("model", str),
        ],
        responses=s.UsageDailySerializer(many=True),
    )
    @action(detail=False, methods=["get"], filterset_class=None, pagination_class=None)
    def daily(self, request):
        query = UsageDailyQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = selectors.usage_by_day(self.tenant, **query.validated_data)
        return Response(s.UsageDailySerializer(rows, many=True).data)
