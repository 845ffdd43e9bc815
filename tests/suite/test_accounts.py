import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from suite.accounts import services
from suite.accounts.models import ApiKey, LoginThrottle, User
from suite.accounts.secrets import hash_secret
from suite.audit.models import AuditEntry
from suite.tenancy.models import Role
from tests.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

SENT: list[dict] = []


class RecordingSmsSender:
    def send(self, *, phone: str, text: str) -> None:
        SENT.append({"phone": phone, "text": text})


@pytest.fixture
def sms(settings):
    settings.SMS_SENDER = f"{__name__}.RecordingSmsSender"
    SENT.clear()
    return SENT


def _code(message: dict) -> str:
    return re.search(r"\d{6}", message["text"]).group()


def test_passwords_are_stored_with_argon2(admin_a):
    assert admin_a.password.startswith("argon2")


def test_staff_login_locks_after_repeated_failures(client, admin_a, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        client.post(reverse("portal:login"), {"username": "admin_a", "password": "wrong"})
    # Even the right password is refused while locked.
    response = client.post(reverse("portal:login"), {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert LoginThrottle.objects.get(username="admin_a", ip="127.0.0.1").locked_until is not None
    assert "来自您所在网络的登录失败次数过多" in response.content.decode()
    assert AuditEntry.objects.filter(action="auth.login_locked").exists()


def test_successful_login_resets_failures_and_is_audited(client, admin_a, tenant_a):
    client.post(reverse("portal:login"), {"username": "admin_a", "password": "wrong"})
    response = client.post(reverse("portal:login"), {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 302
    assert LoginThrottle.objects.get(username="admin_a").failures == 0
    entry = AuditEntry.objects.get(action="auth.login")
    assert entry.tenant == tenant_a
    assert entry.actor == admin_a


def test_login_redirect_refuses_foreign_hosts(client, admin_a):
    response = client.post(
        reverse("portal:login") + "?next=https://evil.example/",
        {"username": "admin_a", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_token_endpoint_issues_a_working_user_token(admin_a):
    api = APIClient()
    response = api.post("/api/v1/auth/token/", {"username": "admin_a", "password": PASSWORD})
    assert response.status_code == 201
    token = response.json()["token"]
    assert token.startswith("ut_")
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    assert api.get("/api/v1/me/").json()["username"] == "admin_a"


def test_token_endpoint_locks_out_with_429(admin_a, settings):
    settings.LOGIN_MAX_FAILURES = 2
    api = APIClient()
    api.post("/api/v1/auth/token/", {"username": "admin_a", "password": "x"})
    response = api.post("/api/v1/auth/token/", {"username": "admin_a", "password": "x"})
    assert response.status_code == 429
    assert "之后再试" in response.json()["error"]["message"]


def test_a_wrong_password_for_a_token_is_401_with_a_challenge(admin_a):
    response = APIClient().post("/api/v1/auth/token/", {"username": "admin_a", "password": "x"})
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["error"]["code"] == "authentication_failed"


def test_unknown_bearer_token_is_401_with_one_error_shape(db):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer sk-not-a-real-key")
    response = api.get("/api/v1/me/")
    assert response.status_code == 401
    error = response.json()["error"]
    assert error["code"] == "authentication_failed"
    assert error["message"] == "令牌无效、已过期或已吊销。"


def test_otp_login_flow(client, tenant_a, sms):
    subscriber = member(tenant_a, Role.SUBSCRIBER, phone="13800138000")
    response = client.post(reverse("portal:subscriber_login"), {"phone": "138 0013 8000"})
    assert response.status_code == 200
    assert len(sms) == 1 and sms[0]["phone"] == "13800138000"
    response = client.post(
        reverse("portal:subscriber_login"), {"phone": "13800138000", "code": _code(sms[0])}
    )
    assert response.status_code == 302
    assert int(client.session["_auth_user_id"]) == subscriber.pk


def test_otp_is_single_use_and_attempts_are_capped(tenant_a, sms, settings, rf):
    member(tenant_a, Role.SUBSCRIBER, phone="13800138000")
    request = rf.post("/")
    services.otp_send(request=request, phone="13800138000")
    code = _code(sms[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(settings.OTP_MAX_ATTEMPTS):
        with pytest.raises(services.OtpError):
            services.otp_verify(request=request, phone="13800138000", code=wrong)
    # The right code no longer works once attempts are exhausted.
    with pytest.raises(services.OtpError):
        services.otp_verify(request=request, phone="13800138000", code=code)


def test_otp_resend_is_throttled_and_unknown_numbers_get_no_sms(db, sms, rf):
    request = rf.post("/")
    services.otp_send(request=request, phone="13700000000")
    assert sms == []
    with pytest.raises(services.OtpError):
        services.otp_send(request=request, phone="13700000000")


def test_invalid_phone_is_a_clear_form_error(client, db):
    response = client.post(reverse("portal:subscriber_login"), {"phone": "12345"})
    assert response.status_code == 200
    assert "11" in response.content.decode()


def test_api_key_is_stored_hashed_and_shown_once(api_a, tenant_a):
    response = api_a.post(
        "/api/v1/api-keys/", {"name": "crm", "scopes": ["maas", "hotline"]}, format="json"
    )
    assert response.status_code == 201
    raw = response.json()["key"]
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert key.hashed_key == hash_secret(raw)
    assert raw not in str(ApiKey.objects.filter(pk=key.pk).values().get())
    assert raw.startswith(key.prefix)
    listed = api_a.get(f"/api/v1/api-keys/{key.pk}/").json()
    assert "key" not in listed
    assert listed["scopes"] == ["hotline", "maas"]


def test_api_key_with_unknown_scope_is_rejected_clearly(api_a):
    response = api_a.post("/api/v1/api-keys/", {"name": "x", "scopes": ["root"]}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["scopes"]


def test_revoked_key_stops_working_and_last_used_is_tracked(api_a, tenant_a):
    issued = services.api_key_create(tenant=tenant_a, name="k", scopes=["maas"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issued.raw}")
    assert api.get("/api/v1/api-keys/").status_code == 403  # authenticated, lacks access
    issued.record.refresh_from_db()
    assert issued.record.last_used_at is not None
    assert api_a.post(f"/api/v1/api-keys/{issued.record.pk}/revoke/").status_code == 200
    assert api.get("/api/v1/api-keys/").status_code == 401
    assert AuditEntry.objects.filter(action="api_key.revoked", tenant=tenant_a).exists()


def test_create_api_key_command_prints_the_key_last(tenant_a):
    out = StringIO()
    call_command("create_api_key", "--tenant", "gd-sz", "--scopes", "maas,callcenter", stdout=out)
    raw = out.getvalue().strip().splitlines()[-1]
    key = ApiKey.objects.get(hashed_key=hash_secret(raw))
    assert key.tenant == tenant_a
    assert key.scopes == ["callcenter", "maas"]


def test_create_api_key_command_rejects_unknown_tenant_and_scope(tenant_a):
    with pytest.raises(CommandError, match="No tenant"):
        call_command("create_api_key", "--tenant", "nope", "--scopes", "maas")
    with pytest.raises(CommandError, match="未知的权限范围"):
        call_command("create_api_key", "--tenant", "gd-sz", "--scopes", "everything")


def test_members_api_creates_user_and_refuses_removing_last_admin(api_a, admin_a, tenant_a):
    response = api_a.post(
        "/api/v1/members/",
        {"username": "new_agent", "role": "cs_agent", "password": "Fresh-Agent-Pass-1"},
        format="json",
    )
    assert response.status_code == 201
    assert User.objects.get(username="new_agent").check_password("Fresh-Agent-Pass-1")
    own = admin_a.memberships.get(role=Role.TENANT_ADMIN)
    response = api_a.delete(f"/api/v1/members/{own.pk}/")
    assert response.status_code == 400
    assert "至少需要一名管理员" in response.json()["error"]["message"]


def test_members_api_invites_an_unknown_user_without_saying_so(api_a):
    # Without a password no account is created; the answer is the invitation's (see
    # test_invitations.py), which does not tell whether "ghost" exists.
    response = api_a.post(
        "/api/v1/members/", {"username": "ghost", "role": "cs_agent"}, format="json"
    )
    assert response.status_code == 202
    assert not User.objects.filter(username="ghost").exists()


def test_non_admin_cannot_manage_members(tenant_a):
    api = APIClient()
    api.force_login(member(tenant_a, Role.CS_AGENT))
    assert api.get("/api/v1/members/").status_code == 403
    assert api.get("/api/v1/audit-log/").status_code == 403


def test_seed_demo_is_idempotent(db):
    call_command("seed_demo", stdout=StringIO())
    users = User.objects.count()
    out = StringIO()
    call_command("seed_demo", stdout=out)
    assert User.objects.count() == users
    assert "ops_multi" in out.getvalue()
    assert User.objects.get(username="ops_multi").memberships.count() == 2


def test_failed_sign_ins_reach_the_tenant_admins_of_that_account(client, admin_a, admin_b):
    client.post(reverse("portal:login"), {"username": "admin_a", "password": "wrong"})
    client.post(reverse("portal:login"), {"username": "nobody", "password": "wrong"})
    failed = AuditEntry.objects.filter(action="auth.login_failed")
    assert failed.get(actor_label="admin_a").tenant == admin_a.memberships.get().tenant
    assert failed.get(actor_label="nobody").tenant is None
    assert not failed.filter(tenant=admin_b.memberships.get().tenant).exists()


def test_otp_requests_are_capped_per_network(db, sms, settings, rf):
    settings.OTP_MAX_PER_IP_PER_HOUR = 3
    request = rf.post("/", REMOTE_ADDR="198.51.100.7")
    for n in range(3):
        services.otp_send(request=request, phone=f"1370000000{n}")
    with pytest.raises(services.OtpError):
        services.otp_send(request=request, phone="13700000009")
    # Another network is not affected.
    services.otp_send(request=rf.post("/", REMOTE_ADDR="198.51.100.8"), phone="13700000009")


def test_demo_subscribers_cannot_sign_in_with_a_password(db):
    from suite.tenancy.demo import DEMO_PASSWORD

    call_command("seed_demo", stdout=StringIO())
    subscriber = User.objects.get(phone="13800138000")
    assert not subscriber.has_usable_password()
    assert User.objects.get(username="sz_admin").check_password(DEMO_PASSWORD)


def test_member_with_taken_phone_or_bad_username_is_a_clear_400(api_a, admin_a):
    taken = api_a.post(
        "/api/v1/members/",
        {
            "username": "dup",
            "role": "cs_agent",
            "password": "Fresh-Agent-Pass-1",
            "phone": "13812345678",
        },
        format="json",
    )
    assert taken.status_code == 400
    assert "phone" in taken.json()["error"]["fields"]
    bad = api_a.post(
        "/api/v1/members/",
        {"username": "no spaces!", "role": "cs_agent", "password": "Fresh-Agent-Pass-1"},
        format="json",
    )
    assert bad.status_code == 400
    assert "username" in bad.json()["error"]["fields"]
    assert not User.objects.filter(username__in=["dup", "no spaces!"]).exists()


def test_switch_tenant_with_garbage_is_404_not_500(client_a):
    assert client_a.post(reverse("portal:switch_tenant"), {"tenant": "abc"}).status_code == 404


# --- Lockout per (name, address) and per address ----------------------------------------------

ADDRESS_A, ADDRESS_B = "198.51.100.10", "203.0.113.20"


def _portal_sign_in(username: str, password: str, ip: str) -> bool:
    client = Client()
    client.post(
        reverse("portal:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return "_auth_user_id" in client.session


def _token_sign_in(username: str, password: str, ip: str) -> int:
    response = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": password}, REMOTE_ADDR=ip
    )
    return response.status_code


def _sign_in(endpoint: str, username: str, password: str, ip: str) -> bool | str:
    """True: signed in; False: wrong password; "locked": refused without trying."""
    if endpoint == "portal":
        if _portal_sign_in(username, password, ip):
            return True
        locked = AuditEntry.objects.filter(action="auth.login_locked").order_by("-pk").first()
        fresh = locked is not None and locked.pk == AuditEntry.objects.latest("pk").pk
        return "locked" if fresh else False
    code = _token_sign_in(username, password, ip)
    return {201: True, 401: False, 429: "locked"}[code]


@pytest.mark.parametrize("endpoint", ["portal", "token"])
def test_a_name_locked_from_one_address_still_signs_in_from_another(endpoint, admin_a, settings):
    settings.LOGIN_MAX_FAILURES = 3
    for _ in range(3):
        _sign_in(endpoint, "admin_a", "wrong", ADDRESS_A)
    assert _sign_in(endpoint, "admin_a", PASSWORD, ADDRESS_A) == "locked"
    # The attacker's failures do not reach the real user at another address.
    assert _sign_in(endpoint, "admin_a", PASSWORD, ADDRESS_B) is True


@pytest.mark.parametrize("endpoint", ["portal", "token"])
def test_one_address_is_throttled_across_names(endpoint, admin_a, settings):
    settings.LOGIN_MAX_FAILURES = 3
    settings.LOGIN_MAX_FAILURES_PER_IP = 4
    # Spraying: one guess per name stays under the per-name limit, never under the per-address.
    for name in ("ann", "bob", "cat", "dan"):
        assert _sign_in(endpoint, name, "wrong", ADDRESS_A) in (False, "locked")
    assert _sign_in(endpoint, "admin_a", PASSWORD, ADDRESS_A) == "locked"
    assert _sign_in(endpoint, "admin_a", PASSWORD, ADDRESS_B) is True


def test_own_sign_in_does_not_reset_the_address_budget(admin_a, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 3
    for name in ("ann", "bob"):
        _token_sign_in(name, "wrong", ADDRESS_A)
    assert _token_sign_in("admin_a", PASSWORD, ADDRESS_A) == 201
    assert _token_sign_in("cat", "wrong", ADDRESS_A) == 429
    assert _token_sign_in("admin_a", PASSWORD, ADDRESS_A) == 429


def test_address_failures_are_forgiven_after_a_quiet_lockout_period(admin_a, settings):
    settings.LOGIN_MAX_FAILURES_PER_IP = 2
    _token_sign_in("ann", "wrong", ADDRESS_A)
    past = timezone.now() - timedelta(seconds=settings.LOGIN_LOCKOUT_SECONDS + 1)
    LoginThrottle.objects.filter(ip=ADDRESS_A).update(updated_at=past)
    assert _sign_in("token", "bob", "wrong", ADDRESS_A) is False
    assert _token_sign_in("admin_a", PASSWORD, ADDRESS_A) == 201


def test_lockout_follows_the_forwarded_address_only_behind_a_trusted_proxy(admin_a, settings):
    settings.LOGIN_MAX_FAILURES = 2
    settings.TRUSTED_PROXIES = ["10.0.0.5"]
    for _ in range(2):
        APIClient().post(
            "/api/v1/auth/token/",
            {"username": "admin_a", "password": "wrong"},
            REMOTE_ADDR="10.0.0.5",
            HTTP_X_FORWARDED_FOR=ADDRESS_A,
        )
    assert LoginThrottle.objects.get(username="admin_a").ip == ADDRESS_A
    # Another client behind the same proxy is not affected.
    response = APIClient().post(
        "/api/v1/auth/token/",
        {"username": "admin_a", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.5",
        HTTP_X_FORWARDED_FOR=ADDRESS_B,
    )
    assert response.status_code == 201
