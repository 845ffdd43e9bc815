from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from suite.accounts import services as accounts
from suite.accounts.models import ApiKey, User
from suite.audit.models import AuditEntry
from suite.jobs.models import Job
from suite.jobs.selectors import jobs_visible_to
from suite.tenancy.models import STAFF_ROLES, Membership, Role

from . import serializers as s
from .viewsets import TenantReadOnlyViewSet, TenantScopedMixin


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        if not isinstance(request.user, User):
            raise AuthenticationFailed(_("This endpoint needs a user, not an API key."))
        return Response(s.MeSerializer(request.user, context={"request": request}).data)


class TokenView(APIView):
    """Exchange a staff username and password for a personal bearer token (ut_...)."""

    permission_classes = [AllowAny]
    authentication_classes = []

    @extend_schema(request=s.TokenRequestSerializer, responses={201: s.TokenResponseSerializer})
    def post(self, request):
        data = s.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = accounts.staff_login_check(
                request=request._request,
                username=data.validated_data["username"],
                password=data.validated_data["password"],
            )
        except accounts.LoginLocked as exc:
            raise Throttled(
                detail=_("Too many failed sign-ins; try again after %(t)s.")
                % {"t": exc.until.isoformat(timespec="seconds")}
            ) from exc
        if user is None:
            raise AuthenticationFailed(_("Wrong username or password."))
        issued = accounts.user_token_create(
            user=user, name=data.validated_data["name"], request=request._request
        )
        body = {"token": issued.raw, "expires_at": issued.record.expires_at}
        return Response(s.TokenResponseSerializer(body).data, status=status.HTTP_201_CREATED)


class PasswordChangeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(request=s.PasswordChangeSerializer, responses={204: None})
    def post(self, request):
        if not isinstance(request.user, User):
            raise AuthenticationFailed(_("This endpoint needs a user, not an API key."))
        data = s.PasswordChangeSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        accounts.password_change(request=request._request, user=request.user, **data.validated_data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class MemberViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    queryset = Membership.objects.select_related("user")
    serializer_class = s.MemberSerializer
    required_roles = (Role.TENANT_ADMIN,)
    filterset_fields = ["role"]
    ordering_fields = ["created_at", "role"]

    @extend_schema(request=s.MemberCreateSerializer, responses={201: s.MemberSerializer})
    def create(self, request):
        data = s.MemberCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        membership = accounts.member_add(
            tenant=self.tenant, request=request._request, **data.validated_data
        )
        return Response(s.MemberSerializer(membership).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        accounts.member_remove(membership=instance, request=self.request._request)


class ApiKeyViewSet(
    TenantScopedMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    queryset = ApiKey.objects.all()
    serializer_class = s.ApiKeySerializer
    required_roles = (Role.TENANT_ADMIN,)
    ordering_fields = ["created_at", "last_used_at"]

    @extend_schema(request=s.ApiKeyCreateSerializer, responses={201: s.ApiKeyCreatedSerializer})
    def create(self, request):
        data = s.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = accounts.api_key_create(
            tenant=self.tenant,
            created_by=request.user,
            request=request._request,
            **data.validated_data,
        )
        body = {**s.ApiKeySerializer(issued.record).data, "key": issued.raw}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=s.ApiKeySerializer)
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        key = accounts.api_key_revoke(key=self.get_object(), request=request._request)
        return Response(s.ApiKeySerializer(key).data)


class AuditEntryViewSet(TenantReadOnlyViewSet):
    queryset = AuditEntry.objects.all()
    serializer_class = s.AuditEntrySerializer
    required_roles = (Role.TENANT_ADMIN,)
    filterset_fields = ["action", "object_type", "object_id"]
    ordering_fields = ["created_at"]


class JobViewSet(TenantReadOnlyViewSet):
    """Staff list the tenant's jobs; a subscriber only the jobs they started (what their
    /ws/jobs/ carries, so a client resyncs here after a sequence gap)."""

    queryset = Job.objects.all()
    serializer_class = s.JobSerializer
    required_roles = tuple(sorted(STAFF_ROLES | {Role.SUBSCRIBER.value}))
    filterset_fields = ["kind", "status"]
    ordering_fields = ["created_at"]

    def scope_queryset(self, queryset):
        return jobs_visible_to(tenant=self.tenant, user=self.request.user)
