from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .roles import STAFF_ROLES, Role

__all__ = [
    "STAFF_ROLES",
    "Membership",
    "Role",
    "Tenant",
    "TenantKind",
    "TenantOwnedModel",
    "TenantQuerySet",
]


class TenantKind(models.TextChoices):
    OPERATOR_GROUP = "operator_group", _("Operator group")
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    ENTERPRISE = "enterprise", _("Enterprise customer")
    HOTLINE_CENTER = "hotline_center", _("Hotline center")


class Tenant(models.Model):
    """A node of the tree operator group -> province -> city -> enterprise / hotline center."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=TenantKind.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    # Materialised path ("/gd/gd-sz/") so a subtree is one indexed prefix query.
    path = models.CharField(max_length=1000, db_index=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["path"]

    def __str__(self) -> str:
        return self.name

    @property
    def depth(self) -> int:
        return self.path.count("/") - 2


class Membership(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=32, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "tenant", "role"], name="uniq_membership_role")
        ]
        ordering = ["tenant__path", "role"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant.slug} ({self.role})"


class TenantQuerySet(models.QuerySet):
    def for_tenant(self, tenant: Tenant | None) -> "TenantQuerySet":
        # No tenant means no rows, never all rows.
        if tenant is None:
            return self.none()
        return self.filter(tenant=tenant)


class TenantOwnedModel(models.Model):
    """Base of every tenant-owned row: shared tables, one tenant_id column."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = TenantQuerySet.as_manager()

    class Meta:
        abstract = True
