from typing import Any, cast

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from suite.accounts.models import ApiKey, ApiKeyScope, Invitation, User
from suite.audit.models import AuditEntry
from suite.jobs.models import Job
from suite.jobs.selectors import job_queue_position, job_status_label
from suite.privacy import mask_phone
from suite.tenancy.models import Membership, Role, Tenant

from .masking import MaskPersonalData


class TenantSerializer(serializers.ModelSerializer):
    class Meta:
        model = Tenant
        fields = ["id", "slug", "name", "kind", "parent"]


class MembershipOfMeSerializer(serializers.ModelSerializer):
    tenant = TenantSerializer()

    class Meta:
        model = Membership
        fields = ["tenant", "role"]


class MeSerializer(serializers.ModelSerializer):
    phone = serializers.SerializerMethodField()
    memberships = MembershipOfMeSerializer(many=True)
    current_tenant = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "display_name", "phone", "memberships", "current_tenant"]

    def get_phone(self, user) -> str:
        return mask_phone(user.phone)

    def get_current_tenant(self, user) -> str | None:
        tenant = getattr(self.context["request"]._request, "tenant", None)
        return tenant.slug if tenant else None


class MemberSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = Membership
        fields = ["id", "username", "display_name", "phone", "role", "created_at"]

    def get_phone(self, membership) -> str:
        return mask_phone(membership.user.phone)


class MemberCreateSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    role = serializers.ChoiceField(choices=Role.choices)
    display_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        style={"input_type": "password"},
        help_text=_("Needed only when the user does not exist yet."),
    )


class InvitationSentSerializer(serializers.Serializer):
    username = serializers.CharField()
    role = serializers.CharField()
    detail = serializers.CharField()


class InvitationSerializer(serializers.ModelSerializer):
    tenant = TenantSerializer()

    class Meta:
        model = Invitation
        fields = ["id", "tenant", "role", "created_at", "expires_at"]


class ApiKeySerializer(serializers.ModelSerializer):
    class Meta:
        model = ApiKey
        fields = [
            "id", "name", "prefix", "scopes", "allowed_models", "expires_at", "created_at",
            "last_used_at", "revoked_at",
        ]  # fmt: skip
        read_only_fields = fields


class ApiKeyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    scopes = serializers.ListField(child=serializers.ChoiceField(choices=ApiKeyScope.choices))
    expires_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text=_("When the key stops working; empty: never.")
    )
    allowed_models = serializers.ListField(
        child=serializers.CharField(max_length=80),
        required=False,
        help_text=_("The only model names it may call through /v1; empty: every model."),
    )


class ApiKeyCreatedSerializer(ApiKeySerializer):
    key = serializers.CharField(help_text=_("The secret. Shown once; store it now."))

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "key"]


class AuditEntrySerializer(MaskPersonalData, serializers.ModelSerializer):
    class Meta:
        model = AuditEntry
        fields = [
            "id",
            "created_at",
            "actor_label",
            "action",
            "object_type",
            "object_id",
            "ip",
            "data",
        ]
        mask_text = ["actor_label"]


class JobSerializer(MaskPersonalData, serializers.ModelSerializer):
    status_display = serializers.SerializerMethodField(
        help_text="The state as a person reads it, e.g. 排队中（第 3 位）."
    )
    queue_position = serializers.SerializerMethodField(
        help_text="While queued: 1 for the next job its queue's workers take; otherwise null."
    )

    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "status",
            "status_display",
            "queue",
            "queue_position",
            "progress",
            "message",
            "result",
            "error",
            "created_at",
            "started_at",
            "finished_at",
        ]
        mask_text = ["message", "error"]

    def _position(self, job: Job) -> int | None:
        # DRF's stubs type the context as a read-only Mapping; serializers get a dict.
        cache = cast(dict[str, Any], self.context).setdefault("job_positions", {})
        if job.pk not in cache:
            cache[job.pk] = job_queue_position(job)
        return cache[job.pk]

    @extend_schema_field(serializers.IntegerField(allow_null=True))
    def get_queue_position(self, job: Job) -> int | None:
        return self._position(job)

    def get_status_display(self, job: Job) -> str:
        return job_status_label(job, position=self._position(job))


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(max_length=100, required=False, default="api")


class TokenResponseSerializer(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField(allow_null=True)


class TokensRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField(help_text=_("How many live tokens were revoked."))


class PasswordChangeSerializer(serializers.Serializer):
    old_password = serializers.CharField(style={"input_type": "password"})
    new_password = serializers.CharField(style={"input_type": "password"})
