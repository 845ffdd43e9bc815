from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import AuthenticationFailed, Throttled, ValidationError
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from suite.accounts import services as accounts
from suite.accounts.models import ApiKey, Invitation, User, UserToken
from suite.audit.models import AuditEntry
from suite.jobs.models import Job
from suite.jobs.selectors import jobs_visible_to
from suite.tenancy.models import STAFF_ROLES, Membership, Role

from . import serializers as s
from .schema import ErrorSerializer
from .viewsets import TenantReadOnlyViewSet, TenantScopedMixin


class MeView(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(responses=s.MeSerializer)
    def get(self, request):
        if not isinstance(request.user, User):
            raise AuthenticationFailed(_("This endpoint needs a user, not an API key."))
        return Response(s.MeSerializer(request.user, context={"request": request}).data)


class TokenView(APIView):
    """POST: exchange a staff username and password for a personal bearer token (ut_...).
    DELETE: revoke the token the request was made with (sign an API client out)."""

    def get_authenticators(self):
        # Issuing a token must not trip over a stale Authorization header or a session's CSRF.
        if self._issuing():
            return []
        return super().get_authenticators()

    def get_permissions(self):
        return [AllowAny()] if self._issuing() else [IsAuthenticated()]

    def get_authenticate_header(self, request):
        # Without authenticators DRF has no challenge and answers a wrong password with 403;
        # it is a 401, and says how to authenticate.
        return 'Bearer realm="api"'

    def _issuing(self) -> bool:
        # No request while the OpenAPI schema is generated.
        return getattr(self.request, "method", None) == "POST"

    @extend_schema(
        request=s.TokenRequestSerializer,
        responses={
            201: s.TokenResponseSerializer,
            429: OpenApiResponse(ErrorSerializer, "Too many failed sign-ins: locked out."),
        },
    )
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

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, UserToken):
            raise ValidationError(
                _(
                    "Only a personal token (ut_...) can be revoked here: send it in the "
                    "Authorization header. API keys are revoked under api-keys/."
                )
            )
        accounts.user_token_revoke(token=request.auth, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)


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

    @extend_schema(
        request=s.MemberCreateSerializer,
        responses={201: s.MemberSerializer, 202: s.InvitationSentSerializer},
        description="Grants the role to a member of this tenant, or creates a new account when "
        "`password` is set. Anyone else is invited (202): the answer is the same whether or "
        "not the name exists, and the role applies once the account's holder accepts.",
    )
    def create(self, request):
        data = s.MemberCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = accounts.member_add(
            tenant=self.tenant, request=request._request, **data.validated_data
        )
        if isinstance(result, Invitation):
            body = {
                "username": result.username,
                "role": result.role,
                "detail": accounts.invitation_sent_message(result.username),
            }
            return Response(s.InvitationSentSerializer(body).data, status=status.HTTP_202_ACCEPTED)
        return Response(s.MemberSerializer(result).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance):
        accounts.member_remove(membership=instance, request=self.request._request)

    @extend_schema(request=None, responses=s.TokensRevokedSerializer)
    @action(detail=True, methods=["post"], url_path="revoke-tokens")
    def revoke_tokens(self, request, pk=None):
        """Revoke every personal token of this member's user (e.g. a lost laptop)."""
        membership = self.get_object()
        revoked = accounts.user_tokens_revoke_all(
            user=membership.user,
            request=request._request,
            actor=request.user,
            tenant=self.tenant,
        )
        return Response(s.TokensRevokedSerializer({"revoked": revoked}).data)


class InvitationViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The signed-in user's open invitations to other tenants: accept or decline them.
    Someone else's invitation is a 404, like a missing one."""

    serializer_class = s.InvitationSerializer
    pagination_class = None

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # the OpenAPI schema's dry run
            return Invitation.objects.none()
        user = self.request.user
        if not isinstance(user, User):
            raise AuthenticationFailed(_("This endpoint needs a user, not an API key."))
        return accounts.invitations_pending_for(user)

    @extend_schema(request=None, responses=s.MemberSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        membership = accounts.invitation_accept(
            invitation=self.get_object(), user=request.user, request=request._request
        )
        return Response(s.MemberSerializer(membership).data)

    @extend_schema(request=None, responses={204: None})
    @action(detail=True, methods=["post"])
    def decline(self, request, pk=None):
        accounts.invitation_decline(
            invitation=self.get_object(), user=request.user, request=request._request
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


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
