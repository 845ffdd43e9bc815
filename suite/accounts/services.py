import logging
import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.audit.services import audit_record, client_ip
from suite.tenancy.models import Membership, Role, Tenant

from .models import ApiKey, ApiKeyScope, LoginThrottle, PhoneOtp, User, UserToken
from .secrets import hash_code, hash_secret, new_secret
from .sms import get_sms_sender

logger = logging.getLogger("suite.accounts")

API_KEY_PREFIX = "sk-"
USER_TOKEN_PREFIX = "ut_"  # noqa: S105 - a prefix, not a secret
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")


class LoginLocked(Exception):
    def __init__(self, until):
        self.until = until
        super().__init__(f"locked until {until}")


class OtpError(Exception):
    pass


def normalize_phone(raw: str) -> str:
    digits = re.sub(r"[\s-]", "", raw or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    if not _PHONE_RE.match(digits):
        raise ValidationError(_("Enter an 11-digit mainland mobile number, e.g. 13800138000."))
    return digits


# --- Staff login with lockout ------------------------------------------------------


def _throttle_for(username: str) -> LoginThrottle:
    throttle, _created = LoginThrottle.objects.select_for_update().get_or_create(
        username=username.lower()
    )
    return throttle


def _audit_failed_sign_in(*, request, action: str, accounts, label: str) -> None:
    """Record the failure in every tenant of the targeted account, so its admins see it.

    Attempts on names that match no account go to the operator-level log (no tenant).
    """
    memberships = Membership.objects.filter(user__in=accounts).select_related("user", "tenant")
    seen: set[int] = set()
    for membership in memberships:
        if membership.tenant_id in seen:
            continue
        seen.add(membership.tenant_id)
        # The actor is whoever typed the name, not the account: it is the object here.
        audit_record(
            action=action,
            tenant=membership.tenant,
            request=request,
            actor_label=label,
            obj=membership.user,
        )
    if not seen:
        audit_record(action=action, tenant=None, request=request, actor_label=label)


def staff_login_check(*, request, username: str, password: str) -> User | None:
    """Authenticate with lockout after LOGIN_MAX_FAILURES failures; raises LoginLocked.

    The counter is written in its own transaction and the exception raised after it commits,
    so a failure is never rolled back by the error that reports it.
    """
    with transaction.atomic():
        throttle = _throttle_for(username)
        now = timezone.now()
        locked_until = (
            throttle.locked_until if throttle.locked_until and throttle.locked_until > now else None
        )
        user = None
        if locked_until is None:
            user = authenticate(request, username=username, password=password)
            if user is None or not user.is_active:
                user = None
                throttle.failures += 1
                if throttle.failures >= settings.LOGIN_MAX_FAILURES:
                    locked_until = now + timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
                    throttle.locked_until, throttle.failures = locked_until, 0
            else:
                throttle.failures, throttle.locked_until = 0, None
            throttle.save()
        if user is None:
            _audit_failed_sign_in(
                request=request,
                action="auth.login_locked" if locked_until else "auth.login_failed",
                accounts=User.objects.filter(username=username),
                label=username,
            )
    if locked_until is not None:
        raise LoginLocked(locked_until)
    return user


@transaction.atomic
def password_change(*, request, user: User, old_password: str, new_password: str) -> None:
    if not user.check_password(old_password):
        raise ValidationError({"old_password": _("The current password is wrong.")})
    try:
        password_validation.validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError({"new_password": exc.messages}) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    audit_record(
        action="auth.password_changed",
        tenant=getattr(request, "tenant", None),
        request=request,
        actor=user,
        obj=user,
    )


# --- Subscriber login by phone + one-time code --------------------------------------


def _subscriber_by_phone(phone: str) -> User | None:
    return (
        User.objects.filter(phone=phone, is_active=True, memberships__role=Role.SUBSCRIBER)
        .distinct()
        .first()
    )


@transaction.atomic
def otp_send(*, request, phone: str) -> None:
    """Send a code if the number belongs to a subscriber. Same outcome either way (no probing)."""
    phone = normalize_phone(phone)
    now = timezone.now()
    ip = client_ip(request)
    # A cap per network stops SMS pumping through many different numbers.
    if ip and (
        PhoneOtp.objects.filter(ip=ip, created_at__gt=now - timedelta(hours=1)).count()
        >= settings.OTP_MAX_PER_IP_PER_HOUR
    ):
        raise OtpError(_("Too many codes were requested from your network; try again in an hour."))
    recent = PhoneOtp.objects.filter(
        phone=phone, created_at__gt=now - timedelta(seconds=settings.OTP_RESEND_SECONDS)
    ).exists()
    if recent:
        raise OtpError(
            _("A code was sent less than %(s)d seconds ago; please wait before asking again.")
            % {"s": settings.OTP_RESEND_SECONDS}
        )
    code = f"{secrets.randbelow(10**6):06d}"
    PhoneOtp.objects.create(
        phone=phone,
        code_hash=hash_code(phone, code, settings.SECRET_KEY),
        expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        ip=ip,
    )
    if _subscriber_by_phone(phone) is None:
        logger.info("OTP requested for %s, which is no subscriber; nothing sent", phone)
        return
    minutes = settings.OTP_TTL_SECONDS // 60
    get_sms_sender().send(
        phone=phone,
        text=_("Your verification code is %(code)s, valid for %(m)d minutes.")
        % {"code": code, "m": minutes},
    )


def otp_verify(*, request, phone: str, code: str) -> User:
    phone = normalize_phone(phone)
    with transaction.atomic():
        otp = (
            PhoneOtp.objects.select_for_update()
            .filter(phone=phone, used_at__isnull=True, expires_at__gt=timezone.now())
            .first()
        )
        user = None
        if otp is not None and otp.attempts < settings.OTP_MAX_ATTEMPTS:
            otp.attempts += 1
            if otp.code_hash == hash_code(phone, (code or "").strip(), settings.SECRET_KEY):
                user = _subscriber_by_phone(phone)
            if user is not None:
                otp.used_at = timezone.now()
            otp.save(update_fields=["attempts", "used_at"])
        if user is None:
            _audit_failed_sign_in(
                request=request,
                action="auth.otp_failed",
                accounts=User.objects.filter(phone=phone),
                label=phone,
            )
    if user is None:
        raise OtpError(_("The code is wrong or has expired. Request a new one."))
    return user


# --- API keys and user tokens ----------------------------------------------------------


@dataclass(frozen=True)
class IssuedSecret:
    raw: str
    record: ApiKey | UserToken


def _validate_scopes(scopes: list[str]) -> list[str]:
    unknown = sorted(set(scopes) - set(ApiKeyScope.values))
    if unknown:
        raise ValidationError(
            {
                "scopes": _("Unknown scope(s): %(u)s. Choose from: %(all)s.")
                % {"u": ", ".join(unknown), "all": ", ".join(ApiKeyScope.values)}
            }
        )
    if not scopes:
        raise ValidationError({"scopes": _("Choose at least one scope.")})
    return sorted(set(scopes))


@transaction.atomic
def api_key_create(
    *, tenant: Tenant, name: str, scopes: list[str], created_by: User | None = None, request=None
) -> IssuedSecret:
    scopes = _validate_scopes(scopes)
    raw = new_secret(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip() or "api key",
        prefix=raw[:10],
        hashed_key=hash_secret(raw),
        scopes=scopes,
        created_by=created_by,
    )
    audit_record(
        action="api_key.created",
        tenant=tenant,
        request=request,
        actor=created_by,
        actor_label="" if created_by or request else "system",
        obj=key,
        data={"name": key.name, "scopes": scopes, "prefix": key.prefix},
    )
    return IssuedSecret(raw=raw, record=key)


@transaction.atomic
def api_key_revoke(*, key: ApiKey, request=None) -> ApiKey:
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
        audit_record(
            action="api_key.revoked",
            tenant=key.tenant,
            request=request,
            obj=key,
            data={"prefix": key.prefix},
        )
    return key


@transaction.atomic
def user_token_create(
    *, user: User, name: str, days: int | None = 90, request=None
) -> IssuedSecret:
    raw = new_secret(USER_TOKEN_PREFIX)
    token = UserToken.objects.create(
        user=user,
        name=name.strip() or "token",
        prefix=raw[:10],
        hashed_key=hash_secret(raw),
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    audit_record(
        action="user_token.created",
        tenant=getattr(request, "tenant", None),
        request=request,
        actor=user,
        obj=token,
    )
    return IssuedSecret(raw=raw, record=token)


# --- Members --------------------------------------------------------------------------


@transaction.atomic
def member_add(
    *,
    tenant: Tenant,
    username: str,
    role: str,
    request=None,
    password: str | None = None,
    display_name: str = "",
    phone: str | None = None,
) -> Membership:
    """Give a user a role in the tenant, creating the user when a password is supplied."""
    user = User.objects.filter(username=username).first()
    if user is None:
        if not password:
            raise ValidationError(
                {
                    "password": _("No user %(u)s exists; set an initial password to create one.")
                    % {"u": username}
                }
            )
        try:
            normalized_phone = normalize_phone(phone) if phone else None
        except ValidationError as exc:
            raise ValidationError({"phone": exc.messages}) from exc
        user = User(username=username, display_name=display_name, phone=normalized_phone)
        try:
            password_validation.validate_password(password, user)
        except ValidationError as exc:
            raise ValidationError({"password": exc.messages}) from exc
        user.set_password(password)
        # Username characters, and a phone number already used by another account.
        user.full_clean(exclude=["password"])
        user.save()
    membership, created = Membership.objects.get_or_create(user=user, tenant=tenant, role=role)
    if created:
        audit_record(
            action="member.role_granted",
            tenant=tenant,
            request=request,
            obj=membership,
            data={"username": user.username, "role": role},
        )
    return membership


@transaction.atomic
def member_remove(*, membership: Membership, request=None) -> None:
    tenant = membership.tenant
    if membership.role == Role.TENANT_ADMIN and (
        Membership.objects.filter(tenant=tenant, role=Role.TENANT_ADMIN).count() == 1
    ):
        raise ValidationError(_("A tenant needs at least one administrator; add another first."))
    data = {"username": membership.user.username, "role": membership.role}
    audit_record(
        action="member.role_revoked", tenant=tenant, request=request, obj=membership, data=data
    )
    membership.delete()
