"""Bearer authentication for DRF: tenant API keys (sk-...) and user tokens (ut_...)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from suite.ai.config_cache import memoize
from suite.tenancy.selectors import tenants_of_user

from .models import ApiKey, UserToken
from .secrets import hash_secret
from .services import API_KEY_PREFIX, USER_TOKEN_PREFIX

_LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiKeyPrincipal:
    """The request.user of an API-key request: authenticated, but no person and no roles."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey):
        self.api_key = api_key
        self.username = f"api-key {api_key.prefix}…"

    def get_username(self) -> str:
        return self.username

    def __str__(self) -> str:
        return self.username


def _touch(record) -> None:
    now = timezone.now()
    if record.last_used_at is None or now - record.last_used_at > _LAST_USED_RESOLUTION:
        type(record).objects.filter(pk=record.pk).update(last_used_at=now)
        record.last_used_at = now


def api_key_from_raw(raw: str) -> ApiKey | None:
    """The active key for a raw secret, or None. Used by REST and WebSocket alike.

    Every model call starts here, so a found key is memoised per process (a database read cost
    about half the gateway's overhead budget); saving a key or a tenant invalidates the memo in
    every process, within config_cache.RECHECK_S in the others (see signals)."""
    if not raw.startswith(API_KEY_PREFIX):
        return None
    digest = hash_secret(raw)
    key = memoize(
        ("api-key", digest),
        lambda: ApiKey.objects.select_related("tenant").filter(hashed_key=digest).first(),
        keep_none=False,
    )
    if key is None or not _usable(key):
        return None
    _touch(key)
    return key


def _usable(key: ApiKey) -> bool:
    if key.revoked_at is not None or not key.tenant.is_active:
        return False
    return key.expires_at is None or key.expires_at > timezone.now()


def user_token_from_raw(raw: str) -> UserToken | None:
    if not raw.startswith(USER_TOKEN_PREFIX):
        return None
    token = UserToken.objects.select_related("user").filter(hashed_key=hash_secret(raw)).first()
    if token is None or not token.is_active or not token.user.is_active:
        return None
    _touch(token)
    return token


class BearerAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate_header(self, request) -> str:
        return self.keyword

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        parts = header.split()
        if parts[0].lower() != self.keyword.lower():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(_("Send exactly one token: 'Bearer <token>'."))
        raw = parts[1]
        django_request = request._request
        key = api_key_from_raw(raw)
        if key is not None:
            django_request.api_key = key
            django_request.tenant = key.tenant
            return ApiKeyPrincipal(key), key
        token = user_token_from_raw(raw)
        if token is not None:
            django_request.tenant = self._tenant_for_token(request, token)
            return token.user, token
        raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))

    @staticmethod
    def _tenant_for_token(request, token: UserToken):
        tenants = tenants_of_user(token.user)
        wanted = request.headers.get("X-Tenant")
        if wanted:
            tenant = tenants.filter(slug=wanted).first()
            if tenant is None:
                # Same answer for "no such tenant" and "not yours".
                raise exceptions.NotFound(_("Tenant not found."))
            return tenant
        return tenants.order_by("path").first()
