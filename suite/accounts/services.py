import logging
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from suite.audit.services import audit_record, client_ip
from suite.tenancy.models import Membership, Role, Tenant

from .models import (
    ApiKey,
    ApiKeyScope,
    Invitation,
    LoginThrottle,
    PhoneOtp,
    User,
    UserToken,
)
from .secrets import hash_code, hash_secret, new_secret
from .sms import get_sms_sender

logger = logging.getLogger("suite.accounts")

API_KEY_PREFIX = "sk-"
USER_TOKEN_PREFIX = "ut_"  # noqa: S105 - a prefix, not a secret
_PHONE_RE = re.compile(r"^1[3-9]\d{9}$")
SLUG = re.compile(r"[A-Za-z0-9._-]{1,80}")  # a model name as callers write it


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


def _throttles_for(username: str, ip: str) -> tuple[LoginThrottle, LoginThrottle]:
    """(this name from this address, this address for any name), both locked for update.

    Always taken in the same order (address row first) so concurrent sign-ins cannot deadlock.
    """
    rows = LoginThrottle.objects.select_for_update()
    per_ip, _created = rows.get_or_create(username="", ip=ip)
    per_name, _created = rows.get_or_create(username=username.lower(), ip=ip)
    return per_name, per_ip


def _still_locked(throttle: LoginThrottle, now) -> bool:
    return bool(throttle.locked_until and throttle.locked_until > now)


def _count_failure(throttle: LoginThrottle, *, limit: int, now) -> None:
    lockout = timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS)
    # A quiet lockout period forgives earlier failures: an office behind one address must
    # not accumulate its typos for ever.
    if throttle.pk and throttle.updated_at and throttle.updated_at < now - lockout:
        throttle.failures = 0
    throttle.failures += 1
    if throttle.failures >= limit:
        throttle.locked_until, throttle.failures = now + lockout, 0


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
    """Authenticate, refusing (LoginLocked) a name after LOGIN_MAX_FAILURES failures from one
    client address, and an address after LOGIN_MAX_FAILURES_PER_IP failures over all names.

    Another address is not affected, so failing someone's password from elsewhere cannot lock
    them out. A success clears only its own name's counter: signing in to one's own account
    must not reset the budget an address has for guessing other names.
    The counters are written in their own transaction and the exception raised after it
    commits, so a failure is never rolled back by the error that reports it.
    """
    ip = client_ip(request) or ""
    with transaction.atomic():
        per_name, per_ip = _throttles_for(username, ip)
        now = timezone.now()
        locked = _still_locked(per_name, now) or _still_locked(per_ip, now)
        user = None
        if not locked:
            user = authenticate(request, username=username, password=password)
            if user is None or not user.is_active:
                user = None
                _count_failure(per_name, limit=settings.LOGIN_MAX_FAILURES, now=now)
                _count_failure(per_ip, limit=settings.LOGIN_MAX_FAILURES_PER_IP, now=now)
                per_ip.save()
                locked = _still_locked(per_name, now) or _still_locked(per_ip, now)
            else:
                per_name.failures, per_name.locked_until = 0, None
            per_name.save()
        if user is None:
            _audit_failed_sign_in(
                request=request,
                action="auth.login_locked" if locked else "auth.login_failed",
                accounts=User.objects.filter(username=username),
                label=username,
            )
    if locked:
        raise LoginLocked(
            max(
                t.locked_until
                for t in (per_name, per_ip)
                # _still_locked implies a lock time; spelled out so the type checker sees it.
                if t.locked_until is not None and _still_locked(t, now)
            )
        )
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
    # A token taken with the old password must not outlive it (it may be why it changed).
    user_tokens_revoke_all(user=user, request=request, actor=user)


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


def _validate_key_terms(expires_at: datetime | None, allowed_models: list[str]) -> list[str]:
    errors = {}
    if expires_at is not None and expires_at <= timezone.now():
        errors["expires_at"] = _("The expiry must be in the future.")
    names = sorted({name.strip() for name in allowed_models if name.strip()})
    bad = [name for name in names if not SLUG.fullmatch(name)]
    if bad:
        errors["allowed_models"] = _(
            "Model names are letters, digits, dots, hyphens and underscores: %(names)s."
        ) % {"names": ", ".join(bad)}
    if errors:
        raise ValidationError(errors)
    return names


@transaction.atomic
def api_key_create(
    *,
    tenant: Tenant,
    name: str,
    scopes: list[str],
    created_by: User | None = None,
    expires_at: datetime | None = None,
    allowed_models: list[str] | tuple[str, ...] = (),
    request=None,
) -> IssuedSecret:
    """A key for integrators. `expires_at`: it stops working then; `allowed_models`: the only
    model names it may call through the model-access API (empty: every model)."""
    scopes = _validate_scopes(scopes)
    names = _validate_key_terms(expires_at, list(allowed_models))
    raw = new_secret(API_KEY_PREFIX)
    key = ApiKey.objects.create(
        tenant=tenant,
        name=name.strip() or "api key",
        prefix=raw[:10],
        hashed_key=hash_secret(raw),
        scopes=scopes,
        created_by=created_by,
        expires_at=expires_at,
        allowed_models=names,
    )
    audit_record(
        action="api_key.created",
        tenant=tenant,
        request=request,
        actor=created_by,
        actor_label="" if created_by or request else "system",
        obj=key,
        data={
            "name": key.name,
            "scopes": scopes,
            "prefix": key.prefix,
            "expires_at": expires_at.isoformat() if expires_at else None,
            "allowed_models": names,
        },
    )
    return IssuedSecret(raw=raw, record=key)


@transaction.atomic
def api_key_models_set(*, key: ApiKey, allowed_models: list[str], request=None) -> ApiKey:
    names = _validate_key_terms(None, allowed_models)
    if names != key.allowed_models:
        before, key.allowed_models = key.allowed_models, names
        key.save(update_fields=["allowed_models"])
        audit_record(
            action="api_key.models_set",
            tenant=key.tenant,
            request=request,
            obj=key,
            data={"allowed_models": names, "previous": before},
        )
    return key


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
def user_token_create(*, user: User, name: str, request=None) -> IssuedSecret:
    raw = new_secret(USER_TOKEN_PREFIX)
    token = UserToken.objects.create(
        user=user,
        name=name.strip() or "token",
        prefix=raw[:10],
        hashed_key=hash_secret(raw),
        expires_at=timezone.now() + timedelta(hours=settings.AUTH_TOKEN_TTL_HOURS),
    )
    audit_record(
        action="user_token.created",
        tenant=getattr(request, "tenant", None),
        request=request,
        actor=user,
        obj=token,
    )
    return IssuedSecret(raw=raw, record=token)


@transaction.atomic
def user_token_revoke(*, token: UserToken, request=None) -> None:
    """Revoke one token (its holder signing out of an API client)."""
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit_record(
            action="user_token.revoked",
            tenant=getattr(request, "tenant", None),
            request=request,
            actor=token.user,
            obj=token,
            data={"prefix": token.prefix},
        )


@transaction.atomic
def user_tokens_revoke_all(
    *, user: User, request=None, actor: User | None = None, tenant: Tenant | None = None
) -> int:
    """Revoke every live token of the user; returns how many were live."""
    revoked = UserToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    audit_record(
        action="user_token.revoked_all",
        tenant=tenant or getattr(request, "tenant", None),
        request=request,
        actor=actor,
        obj=user,
        data={"username": user.username, "revoked": revoked},
    )
    return revoked


# --- Members --------------------------------------------------------------------------


def _new_member_user(*, username: str, password: str, display_name: str, phone: str | None):
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
    # Username characters, a taken user name, and a phone number already used by another account.
    user.full_clean(exclude=["password"])
    user.save()
    return user


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
) -> Membership | Invitation:
    """Give a role in the tenant: directly to someone already a member of it, to a new account
    created with the initial password, and to anyone else only by an invitation they accept.

    Inviting answers the same whether or not the name exists (no account enumeration), and an
    account of another tenant is never joined to this one without its consent.
    """
    user = User.objects.filter(username=username).first()
    if user is not None and Membership.objects.filter(user=user, tenant=tenant).exists():
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
    if password:
        user = _new_member_user(
            username=username, password=password, display_name=display_name, phone=phone
        )
        membership = Membership.objects.create(user=user, tenant=tenant, role=role)
        audit_record(
            action="member.role_granted",
            tenant=tenant,
            request=request,
            obj=membership,
            data={"username": user.username, "role": role, "created": True},
        )
        return membership
    return invitation_create(tenant=tenant, username=username, role=role, request=request)


@transaction.atomic
def invitation_create(*, tenant: Tenant, username: str, role: str, request=None) -> Invitation:
    invited_by = getattr(request, "user", None)
    invitation, _created = Invitation.objects.update_or_create(
        tenant=tenant,
        username=username,
        role=role,
        accepted_at__isnull=True,
        declined_at__isnull=True,
        defaults={
            "invited_by": invited_by if isinstance(invited_by, User) else None,
            "expires_at": timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS),
        },
    )
    audit_record(
        action="member.invited",
        tenant=tenant,
        request=request,
        obj=invitation,
        data={"username": username, "role": role},
    )
    return invitation


def invitations_pending_for(user: User):
    return Invitation.objects.select_related("tenant").filter(
        username=user.get_username(),
        accepted_at__isnull=True,
        declined_at__isnull=True,
        expires_at__gt=timezone.now(),
        tenant__is_active=True,
    )


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, request=None) -> Membership:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending or invitation.username != user.get_username():
        raise ValidationError(_("This invitation is no longer open."))
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    membership, _created = Membership.objects.get_or_create(
        user=user, tenant=invitation.tenant, role=invitation.role
    )
    audit_record(
        action="member.invitation_accepted",
        tenant=invitation.tenant,
        request=request,
        actor=user,
        obj=membership,
        data={"username": user.username, "role": invitation.role},
    )
    return membership


@transaction.atomic
def invitation_decline(*, invitation: Invitation, user: User, request=None) -> None:
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if not invitation.is_pending or invitation.username != user.get_username():
        raise ValidationError(_("This invitation is no longer open."))
    invitation.declined_at = timezone.now()
    invitation.save(update_fields=["declined_at"])
    audit_record(
        action="member.invitation_declined",
        tenant=invitation.tenant,
        request=request,
        actor=user,
        obj=invitation,
        data={"username": user.username, "role": invitation.role},
    )


def invitation_sent_message(username: str) -> str:
    """The one answer to an invitation, whether or not the name exists."""
    return _(
        "If an account named %(u)s exists, it has been invited; the role applies once its "
        "holder accepts. To create a new account instead, set an initial password."
    ) % {"u": username}


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
