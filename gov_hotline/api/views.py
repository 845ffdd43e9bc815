"""REST API of the hotline (`/api/v1/gov-hotline/`): drafting, orders. Thin: services decide."""

from django.db import transaction
from django.utils.translation import gettext as _
from rest_framework import mixins, status, viewsets
from rest_framework.response import Response

from suite.ai import gateway
from suite.api.viewsets import TenantAPIView, TenantScopedMixin
from suite.tenancy.models import Role

from ..drafting import draft_build
from ..intake import order_from_text
from ..models import WorkOrder
from . import serializers as s

HOTLINE_ROLES = (Role.TENANT_ADMIN, Role.HOTLINE_AGENT, Role.HOTLINE_DISPATCHER)


def caller_of(view) -> gateway.Caller:
    request = view.request._request
    return gateway.Caller(
        tenant=view.tenant,
        user=view.request.user if getattr(view.request.user, "pk", None) else None,
        api_key=getattr(request, "api_key", None),
        request=request,
    )


class DraftView(TenantAPIView):
    """The filled draft of an order from a text, not saved."""

    api_key_scope = "hotline"
    required_roles = HOTLINE_ROLES
    serializer_class = s.DraftRequestSerializer

    def post(self, request):
        body = s.DraftRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return Response(draft_build(caller=caller_of(self), text=body.validated_data["text"]))


class OrderViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Orders: web/mobile/integrator submissions are drafted automatically, then saved."""

    api_key_scope = "hotline"
    required_roles = HOTLINE_ROLES
    queryset = WorkOrder.objects.select_related("category", "subcategory", "district")
    serializer_class = s.OrderSerializer
    filterset_fields = ["status", "request_type", "urgency"]
    ordering_fields = ["created_at", "due_at"]

    def create(self, request):
        body = s.OrderCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        with transaction.atomic():
            order = order_from_text(
                caller=caller_of(self), overrides=body.validated_data, request=request._request
            )
        data = s.OrderSerializer(order).data
        data["message"] = _("Order %(n)s created.") % {"n": order.number}
        return Response(data, status=status.HTTP_201_CREATED)
