"""Thin REST views: validation and writes live in the services, reads in the selectors."""

from typing import ClassVar
from urllib.parse import urlencode

from django.utils.dateparse import parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suite.accounts.models import ApiKey, ApiKeyScope
from suite.api.viewsets import TenantAPIView, TenantModelViewSet, TenantReadOnlyViewSet
from suite.tenancy.models import Role

from .. import search_query, selectors, services
from ..models import Analysis, Camera, Event, Rule, WebhookDelivery, WebhookEndpoint, Zone
from ..roles import ANALYSTS
from . import serializers as s


class _Base:
    required_roles: ClassVar[tuple[str, ...]] = ANALYSTS
    # integrators' keys need the tenant's "video" (Video analytics) scope; keys carry no roles
    api_key_scope: ClassVar[str | None] = ApiKeyScope.VIDEO

    def _actor(self):
        """Who writes: the signed-in person, or the API key (services audit it by its prefix
        and store no user for it)."""
        if isinstance(self.request.auth, ApiKey):
            return self.request.auth
        return self.request.user if self.request.user.is_authenticated else None


class CameraViewSet(_Base, TenantModelViewSet):
    queryset = Camera.objects.all()
    serializer_class = s.CameraSerializer
    filterset_fields = ["group", "status", "source_kind"]
    search_fields = ["name", "location", "group"]

    def perform_create(self, serializer):
        serializer.instance = services.camera_create(
            tenant=self.tenant, actor=self._actor(), **serializer.validated_data
        )

    def perform_update(self, serializer):
        serializer.instance = services.camera_update(
            camera=serializer.instance, actor=self._actor(), **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.camera_delete(camera=instance, actor=self._actor())

    @extend_schema(responses={202: s.AnalysisSerializer})
    @action(
        detail=True,
        methods=["post"],
        url_path="clips",
        parser_classes=[MultiPartParser, FormParser],
        serializer_class=s.ClipUploadSerializer,
    )
    def clips(self, request, pk=None):
        """Upload a clip to analyse (MP4, MOV, AVI, MKV or WebM); answers with the analysis,
        whose job reports progress on /ws/jobs/."""
        camera = self.get_object()
        upload = s.ClipUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        analysis = services.clip_analysis_start(
            camera=camera,
            upload=upload.validated_data["file"],
            sample_fps=upload.validated_data.get("sample_fps"),
            created_by=self._actor(),
        )
        return Response(s.AnalysisSerializer(analysis).data, status=status.HTTP_202_ACCEPTED)


class _CameraChild(_Base, TenantModelViewSet):
    def _camera(self, serializer) -> Camera:
        camera_id = serializer.validated_data.pop("camera_id", None)
        if camera_id is None and serializer.instance is not None:
            return serializer.instance.camera
        camera = Camera.objects.for_tenant(self.tenant).filter(pk=camera_id).first()
        if camera is None:
            raise ValidationError({"camera": ["No such camera."]})
        return camera

    def scope_queryset(self, queryset):
        camera = self.request.query_params.get("camera")
        return queryset.filter(camera_id=camera) if camera and camera.isdigit() else queryset


class ZoneViewSet(_CameraChild):
    queryset = Zone.objects.all()
    serializer_class = s.ZoneSerializer

    def _save(self, serializer, zone=None):
        camera = self._camera(serializer)
        data = serializer.validated_data
        serializer.instance = services.zone_save(
            camera=camera,
            zone=zone,
            actor=self._actor(),
            name=data.get("name", zone.name if zone else ""),
            kind=data.get("kind", zone.kind if zone else "area"),
            points=data.get("points", zone.points if zone else None),
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.zone_delete(zone=instance, actor=self._actor())


class RuleViewSet(_CameraChild):
    queryset = Rule.objects.select_related("zone")
    serializer_class = s.RuleSerializer

    def _save(self, serializer, rule=None):
        camera = self._camera(serializer)
        data = dict(serializer.validated_data)
        zone = None
        zone_id = data.pop("zone_id", rule.zone_id if rule else None)
        if zone_id is not None:
            zone = Zone.objects.for_tenant(self.tenant).filter(pk=zone_id).first()
            if zone is None:
                raise ValidationError({"zone": ["No such zone."]})
        values = {
            "name": rule.name if rule else "",
            "kind": rule.kind if rule else "",
            "severity": rule.severity if rule else "medium",
            "params": rule.params if rule else {},
            "schedule": rule.schedule if rule else {},
            "enabled": rule.enabled if rule else True,
        } | data
        serializer.instance = services.rule_save(
            camera=camera, zone=zone, rule=rule, actor=self._actor(), **values
        )

    def perform_create(self, serializer):
        self._save(serializer)

    def perform_update(self, serializer):
        self._save(serializer, serializer.instance)

    def perform_destroy(self, instance):
        services.rule_delete(rule=instance, actor=self._actor())


class AnalysisViewSet(_Base, TenantReadOnlyViewSet):
    queryset = Analysis.objects.select_related("job")
    serializer_class = s.AnalysisSerializer
    filterset_fields = ["camera", "status"]


class EventViewSet(_Base, TenantReadOnlyViewSet):
    """Search: camera, zone, kind, severity, status, since/until (ISO 8601), q (free text over
    descriptions, OCR text, camera and zone names)."""

    queryset = Event.objects.select_related("camera", "zone")
    serializer_class = s.EventSerializer
    personal_data_roles = ANALYSTS

    def scope_queryset(self, queryset):
        p = self.request.query_params

        def number(key):
            value = p.get(key, "")
            return int(value) if value.isdigit() else None

        def when(key):
            value = p.get(key)
            if not value:
                return None
            parsed = parse_datetime(value)
            if parsed is None:
                raise ValidationError({key: ["Use ISO 8601, e.g. 2026-05-01T08:00:00+08:00."]})
            return parsed

        filters = selectors.EventFilters(
            camera=number("camera"),
            zone=number("zone"),
            kind=p.get("kind", ""),
            severity=p.get("severity", ""),
            status=p.get("status", ""),
            since=when("since"),
            until=when("until"),
            q=p.get("q", ""),
        )
        ids = selectors.events_search(tenant=self.tenant, filters=filters).values("pk")
        return queryset.filter(pk__in=ids)

    @extend_schema(
        request=s.EventQuestionSerializer, responses={200: s.EventInterpretationSerializer}
    )
    @action(detail=False, methods=["post"], serializer_class=s.EventQuestionSerializer)
    def interpret(self, request):
        """One sentence ("昨天晚上大堂有人逗留吗") read as this list's filters, to show before
        searching: `how` says whether the language model (`model`) or the keyword rules
        (the fallback, `reason`) read it; `query` is the list's query string for them."""
        body = s.EventQuestionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        found = search_query.filters_from_question(
            tenant=self.tenant,
            question=body.validated_data["question"],
            user=request.user if request.user.is_authenticated else None,
            api_key=request.auth if isinstance(request.auth, ApiKey) else None,
        )
        f = found.filters
        rows = search_query.understood(tenant=self.tenant, filters=f)
        names = {row["field"]: row["value"] for row in rows}
        return Response(
            s.EventInterpretationSerializer(
                {
                    "question": search_query.clean_question(body.validated_data["question"]),
                    "how": found.how,
                    "model": found.model,
                    "reason": found.reason,
                    "filters": {
                        "camera": f.camera,
                        "camera_name": names.get("camera", ""),
                        "zone": f.zone,
                        "zone_name": names.get("zone", ""),
                        "kind": f.kind,
                        "severity": f.severity,
                        "since": f.since,
                        "until": f.until,
                        "q": f.q,
                    },
                    "understood": rows,
                    "query": urlencode(search_query.filters_params(f, iso=True)),
                }
            ).data
        )

    def _act(self, fn):
        event = self.get_object()
        body = s.EventActionSerializer(data=self.request.data)
        body.is_valid(raise_exception=True)
        event = fn(event=event, user=self._actor(), note=body.validated_data.get("note", ""))
        return Response(s.EventSerializer(event).data)

    @action(detail=True, methods=["post"], serializer_class=s.EventActionSerializer)
    def acknowledge(self, request, pk=None):
        return self._act(services.event_acknowledge)

    @action(detail=True, methods=["post"], serializer_class=s.EventActionSerializer)
    def resolve(self, request, pk=None):
        return self._act(services.event_resolve)


class WebhookViewSet(
    _Base,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    mixins.DestroyModelMixin,
    TenantReadOnlyViewSet,
):
    queryset = WebhookEndpoint.objects.all()
    serializer_class = s.WebhookSerializer
    required_roles = (Role.TENANT_ADMIN,)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        endpoint, secret = services.webhook_endpoint_create(
            tenant=self.tenant, actor=self._actor(), **serializer.validated_data
        )
        # the signing secret is returned this once
        return Response(
            {**s.WebhookSerializer(endpoint).data, "secret": secret}, status=status.HTTP_201_CREATED
        )

    def perform_update(self, serializer):
        endpoint = serializer.instance
        values = {
            "name": endpoint.name,
            "url": endpoint.url,
            "min_severity": endpoint.min_severity,
            **serializer.validated_data,
        }
        serializer.instance = services.webhook_endpoint_update(
            endpoint=endpoint, actor=self._actor(), **values
        )

    def perform_destroy(self, instance):
        services.webhook_endpoint_delete(endpoint=instance, actor=self._actor())

    @extend_schema(request=None, responses={200: OpenApiTypes.OBJECT})
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        """A new signing secret, returned this once; the old one stops signing at once."""
        endpoint = self.get_object()
        secret = services.webhook_secret_rotate(endpoint=endpoint, actor=self._actor())
        return Response({**s.WebhookSerializer(endpoint).data, "secret": secret})


class DeliveryViewSet(_Base, TenantReadOnlyViewSet):
    queryset = WebhookDelivery.objects.all()
    serializer_class = s.DeliverySerializer
    required_roles = (Role.TENANT_ADMIN,)
    filterset_fields = ["endpoint", "event", "status"]


class StatsView(_Base, TenantAPIView):
    """Events per day per camera and per zone, peak people per day, storage used."""

    @extend_schema(
        parameters=[OpenApiParameter("days", int, description="1 to 90; default 14")],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        days_param = request.query_params.get("days", "14")
        days = selectors.days_back(min(90, max(1, int(days_param))) if days_param.isdigit() else 14)

        def plain(series):
            return {
                name: {d.isoformat(): n for d, n in values.items()}
                for name, values in series.items()
            }

        return Response(
            {
                "days": [d.isoformat() for d in days],
                "events_by_camera": plain(
                    selectors.event_counts(tenant=self.tenant, days=days, by="camera")
                ),
                "events_by_zone": plain(
                    selectors.event_counts(tenant=self.tenant, days=days, by="zone")
                ),
                "people_peaks": plain(selectors.people_peaks(tenant=self.tenant, days=days)),
                "storage": selectors.storage_used(tenant=self.tenant),
            }
        )
