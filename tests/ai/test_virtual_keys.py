"""API keys as virtual keys of the model-access API: an expiry, a model allow-list, their own
RPM, TPM and monthly budget (enforced with the tenant tree's quotas), and OpenAI's
x-ratelimit-* headers on /v1 responses."""

import json
import re
from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from suite.accounts import authentication
from suite.accounts.models import ApiKey
from suite.accounts.services import api_key_create, api_key_revoke
from suite.ai import quota, registry, services
from suite.ai.capabilities import PriceUnit, Unit
from suite.ai.loader import unload_all
from suite.ai.models import Period, Quota, QuotaCounter
from suite.audit.models import AuditEntry
from tests.cross_tenant import covers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_backends():
    yield
    unload_all()


@pytest.fixture(autouse=True)
def _one_minute_window(monkeypatch):
    # Per-minute limits: a test that ran across a minute's end would see its counter reset.
    fixed = timezone.now().replace(second=10, microsecond=0)
    clock = SimpleNamespace(now=lambda: fixed, localtime=timezone.localtime)
    monkeypatch.setattr(quota, "timezone", clock)


def chat(key: str, model: str = "default") -> object:
    return Client().post(
        "/v1/chat/completions",
        data=json.dumps({"model": model, "messages": [{"role": "user", "content": "话费怎么查"}]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def new_key(tenant, **terms):
    return api_key_create(tenant=tenant, name=terms.pop("name", "crm"), scopes=["maas"], **terms)


def test_an_expired_key_is_refused_like_a_wrong_one(tenant_a, monkeypatch):
    issued = new_key(tenant_a, expires_at=timezone.now() + timedelta(minutes=5))
    assert chat(issued.raw).status_code == 200
    # Six minutes on: the key's row, memoised by the first call, has not changed.
    later = timezone.now() + timedelta(minutes=6)
    monkeypatch.setattr(authentication, "timezone", SimpleNamespace(now=lambda: later))
    refused = chat(issued.raw)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_api_key"


def test_a_used_key_stops_working_as_soon_as_it_is_revoked_or_its_tenant_is_disabled(
    tenant_a, tenant_b
):
    issued = new_key(tenant_a)
    assert chat(issued.raw).status_code == 200
    api_key_revoke(key=issued.record)
    assert chat(issued.raw).status_code == 401

    other = new_key(tenant_b)
    assert chat(other.raw).status_code == 200
    tenant_b.is_active = False
    tenant_b.save(update_fields=["is_active"])
    assert chat(other.raw).status_code == 401
    assert chat(new_key(tenant_a).raw).status_code == 200


def test_a_key_may_call_only_the_models_on_its_list(tenant_a):
    services.ai_model_create(
        tenant=tenant_a,
        name="premium-llm",
        capability="chat",
        engine="openai-compatible",
        path="http://127.0.0.1:8080/v1",  # nothing listens: the call shows it got that far
    )
    limited = new_key(tenant_a, allowed_models=["extractive-answerer"]).raw
    assert chat(limited).status_code == 200  # the default is on its list
    refused = chat(limited, model="premium-llm")
    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "model_not_permitted" and "premium-llm" in error["message"]
    unlimited = chat(new_key(tenant_a, name="open").raw, model="premium-llm")
    assert unlimited.json()["error"]["code"] == "backend_unavailable"  # allowed, tried, down

    nothing = new_key(tenant_a, name="odd", allowed_models=["no-such-model"]).raw
    assert chat(nothing).json()["error"]["code"] == "model_not_permitted"


def test_a_keys_rpm_stops_that_key_only_and_the_headers_count_down(tenant_a):
    limited = new_key(tenant_a)
    services.key_limits_set(key=limited.record, rpm=2)
    first = chat(limited.raw)
    assert first["x-ratelimit-limit-requests"] == "2"
    assert first["x-ratelimit-remaining-requests"] == "1"
    assert re.fullmatch(r"\d+s", first["x-ratelimit-reset-requests"])
    assert chat(limited.raw)["x-ratelimit-remaining-requests"] == "0"
    refused = chat(limited.raw)
    assert refused.status_code == 429
    assert "crm" in refused.json()["error"]["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    other = chat(new_key(tenant_a, name="other").raw)
    assert other.status_code == 200 and "x-ratelimit-limit-requests" not in other


def test_a_call_refused_by_one_limit_is_charged_to_none_of_the_others(tenant_a):
    limited = new_key(tenant_a)
    services.key_limits_set(key=limited.record, rpm=100)  # the lower id: charged first
    Quota.objects.create(tenant=tenant_a.parent, unit=Unit.REQUESTS, period=Period.DAY, limit=1)
    assert [chat(limited.raw).status_code for _ in range(3)] == [200, 429, 429]
    rpm = Quota.objects.get(api_key=limited.record, unit=Unit.REQUESTS)
    assert list(QuotaCounter.objects.filter(quota=rpm).values_list("used", flat=True)) == [1]


@covers("api:ai-key-terms-list", "api:ai-key-terms-detail")
def test_key_terms_over_rest_are_set_audited_enforced_and_tenant_scoped(api_a, tenant_a, tenant_b):
    mine, theirs = new_key(tenant_a, name="crm"), new_key(tenant_b, name="theirs")
    listed = api_a.get(reverse("api:ai-key-terms-list")).json()["results"]
    assert [row["id"] for row in listed] == [mine.record.pk]
    detail = reverse("api:ai-key-terms-detail", args=[mine.record.pk])
    served = registry.resolve(tenant_a, "chat")[0].name  # what "default" means here
    terms = {"rpm": 1, "monthly_budget": "2.50", "allowed_models": [served]}
    changed = api_a.patch(detail, terms, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json() == {
        "id": mine.record.pk, "name": "crm", "prefix": mine.record.prefix,
        "allowed_models": [served], "rpm": 1, "tpm": None, "monthly_budget": "2.50",
    }  # fmt: skip
    assert [chat(mine.raw).status_code for _ in range(2)] == [200, 429]
    # A limit left out stays as it is; null removes it.
    assert api_a.patch(detail, {"tpm": 900}, format="json").json()["rpm"] == 1
    assert api_a.patch(detail, {"rpm": None}, format="json").json()["rpm"] is None
    assert chat(mine.raw).status_code == 200
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai_key_limits.set").count() == 3
    bad = api_a.patch(detail, {"rpm": -1}, format="json")
    assert bad.status_code == 400 and "rpm" in bad.json()["error"]["fields"]
    assert api_a.get(detail).json()["tpm"] == 900  # nothing of the refused change was kept

    other = reverse("api:ai-key-terms-detail", args=[theirs.record.pk])
    assert api_a.get(other).status_code == 404
    assert api_a.patch(other, {"rpm": 0}, format="json").status_code == 404
    assert not Quota.objects.filter(api_key=theirs.record).exists()


def test_the_key_terms_list_costs_the_same_queries_for_one_key_or_many(api_a, tenant_a):
    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert api_a.get(reverse("api:ai-key-terms-list")).status_code == 200
        return len(queries)

    services.key_limits_set(key=new_key(tenant_a, name="k0").record, rpm=5)
    one = queries_for_list()
    for n in range(1, 4):
        services.key_limits_set(key=new_key(tenant_a, name=f"k{n}").record, rpm=n, tpm=100 * n)
    rows = api_a.get(reverse("api:ai-key-terms-list")).json()["results"]
    assert [(row["rpm"], row["tpm"]) for row in rows] == [(5, None), (1, 100), (2, 200), (3, 300)]
    assert queries_for_list() == one


def test_the_tightest_of_key_and_tenant_limits_is_reported(tenant_a):
    Quota.objects.create(
        tenant=tenant_a.parent, unit=Unit.TOKENS, period=Period.DAY, limit=1_000_000
    )
    limited = new_key(tenant_a)
    services.key_limits_set(key=limited.record, tpm=5000)
    response = chat(limited.raw)
    used = response.json()["usage"]["total_tokens"]
    assert response["x-ratelimit-limit-tokens"] == "5000"
    assert response["x-ratelimit-remaining-tokens"] == str(5000 - used)


def test_a_keys_monthly_budget_stops_its_calls(tenant_a):
    services.price_set(
        tenant=tenant_a.parent, capability="chat", unit=PriceUnit.REQUESTS, yuan=Decimal("0.4")
    )
    limited = new_key(tenant_a)
    services.key_limits_set(key=limited.record, monthly_budget=Decimal("1.00"))
    assert [chat(limited.raw).status_code for _ in range(3)] == [200, 200, 429]
    assert "¥1.00" in chat(limited.raw).json()["error"]["message"]


def test_the_portal_creates_a_key_with_its_terms_and_lists_them(client_a, tenant_a):
    response = client_a.post(
        reverse("portal:api_keys"),
        {
            "name": "CRM 集成",
            "scopes": ["maas"],
            "expires_on": (timezone.localdate() + timedelta(days=30)).isoformat(),
            "allowed_models": "extractive-answerer, whisper-base",
            "rpm": "60",
            "tpm": "",
            "monthly_budget": "200",
        },
    )
    assert response.status_code == 302
    key = ApiKey.objects.get(tenant=tenant_a)
    assert key.allowed_models == ["extractive-answerer", "whisper-base"]
    assert timezone.localtime(key.expires_at).date() == timezone.localdate() + timedelta(days=30)
    limits = {(q.unit, q.period): q.limit for q in Quota.objects.filter(api_key=key)}
    assert limits == {("requests", "minute"): 60, ("spend", "month"): 200_000_000}
    page = client_a.get(reverse("portal:api_keys")).content.decode()
    assert "¥200.00" in page and "<code>whisper-base</code>" in page
    # A key's limits are not the tenant's quotas.
    assert "data-quota-id" not in client_a.get(reverse("ai:quotas")).content.decode()


def test_a_bad_expiry_keeps_the_form_and_creates_nothing(client_a, tenant_a):
    response = client_a.post(
        reverse("portal:api_keys"),
        {"name": "late", "scopes": ["maas"], "expires_on": "2020-01-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not ApiKey.objects.exists() and not Quota.objects.exists()


@covers("portal:api_key_limits")
def test_key_limits_are_edited_audited_and_hidden_from_other_tenants(client_a, tenant_a, tenant_b):
    mine = new_key(tenant_a).record
    theirs = new_key(tenant_b).record
    url = reverse("portal:api_key_limits", args=[mine.pk])
    response = client_a.post(
        url, {"allowed_models": "extractive-answerer", "rpm": "", "tpm": "9000"}
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    assert mine.allowed_models == ["extractive-answerer"]
    assert Quota.objects.get(api_key=mine).limit == 9000
    assert AuditEntry.objects.filter(action="ai_key_limits.set", tenant=tenant_a).exists()
    assert AuditEntry.objects.filter(action="api_key.models_set", tenant=tenant_a).exists()
    edit = client_a.get(url).content.decode()
    assert 'value="9000"' in edit

    other = reverse("portal:api_key_limits", args=[theirs.pk])
    assert client_a.get(other).status_code == 404
    assert client_a.post(other, {"rpm": "1"}).status_code == 404
    assert not Quota.objects.filter(api_key=theirs).exists()
