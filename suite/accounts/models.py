from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from suite.tenancy.models import TenantOwnedModel


class User(AbstractUser):
    # Subscribers sign in by phone; staff by username. Both are users.
    phone = models.CharField(max_length=20, unique=True, null=True, blank=True)
    display_name = models.CharField(max_length=100, blank=True)

    def __str__(self) -> str:
        return self.display_name or self.username


class LoginThrottle(models.Model):
    """Failed-login counter for one (user name, client address) pair, or, with an empty
    username, for a client address across all names.

    Keyed by address as well as name so that nobody can lock another person out by failing
    that person's password from elsewhere; the per-address row stops one address from spraying
    many names. Unknown names are counted too, so a lockout says nothing about which exist.
    """

    username = models.CharField(max_length=150, blank=True)
    # "" when the request carried no address (never in production behind a server).
    ip = models.CharField(max_length=45, blank=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["username", "ip"], name="login_throttle_name_ip_unique")
        ]

    def __str__(self) -> str:
        who = self.username or "*"
        return f"{who}@{self.ip or '?'}: {self.failures} failures"


class PhoneOtp(models.Model):
    phone = models.CharField(max_length=20, db_index=True)
    code_hash = models.CharField(max_length=128)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"OTP {self.pk} ({self.created_at:%Y-%m-%d %H:%M})"


class ApiKeyScope(models.TextChoices):
    MAAS = "maas", _("Model access (OpenAI-compatible API)")
    CALLCENTER = "callcenter", _("Call-center streaming")
    HOTLINE = "hotline", _("12345 hotline")
    RINGTONE = "ringtone", _("Video ringtone")
    VIDEO = "video", _("Video analytics")


class ApiKey(TenantOwnedModel):
    """A tenant's key for integrators. Only a SHA-256 of the secret is stored."""

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True)
    hashed_key = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Model names this key may call through the model-access API; empty: every model.
    allowed_models = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class UserToken(models.Model):
    """A personal bearer token of a staff user; acts with that user's roles."""

    user = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16)
    hashed_key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        # The TTL is applied from created_at as well, so lowering AUTH_TOKEN_TTL_HOURS also
        # ends tokens issued under the old value.
        ttl_end = self.created_at + timedelta(hours=settings.AUTH_TOKEN_TTL_HOURS)
        return (
            self.revoked_at is None
            and ttl_end > now
            and (self.expires_at is None or self.expires_at > now)
        )


class Invitation(TenantOwnedModel):
    """A tenant admin's offer of a role to an existing account, which that account accepts.

    Kept by user name, whether or not such an account exists, so neither the answer nor the
    pending list tells the inviting admin which names are taken.
    """

    username = models.CharField(max_length=150, db_index=True)
    role = models.CharField(max_length=32)
    invited_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.username} → {self.tenant_id} ({self.role})"

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.declined_at is None
            and self.expires_at > timezone.now()
        )
