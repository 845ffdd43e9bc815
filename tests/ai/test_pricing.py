"""Price books down the tenant tree, each call's cost on its usage row, budgets in money
(quotas in the spend unit) on every ancestor, and the monthly statement."""

import csv
import io
import math
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from suite.accounts.services import api_key_create
from suite.ai import gateway, pricing, services
from suite.ai.capabilities import MICRO_YUAN, Capability, PriceUnit, Unit
from suite.ai.errors import QuotaExceeded
from suite.ai.loader import unload_all
from suite.ai.models import Period, Price, Quota, QuotaCounter, UsageRecord
from suite.ai.types import ChatMessage, Passage
from suite.audit.models import AuditEntry
from suite.tenancy.models import Role, TenantKind
from suite.tenancy.services import tenant_create
from tests.cross_tenant import covers
from tests.factories import member

PASSAGES = [Passage("kb-1", "5G畅享套餐每月128元，包含30GB国内通用流量。", "5G畅享套餐")]


@pytest.fixture(autouse=True)
def _fresh_backends():
    yield
    unload_all()


def ask(tenant, **kwargs) -> gateway.Served:
    return gateway.chat(
        gateway.Caller(tenant=tenant, **kwargs),
        [ChatMessage("user", "5G畅享套餐多少钱？")],
        passages=PASSAGES,
    )


def price(tenant, unit, yuan, per=1, model="", capability=Capability.CHAT) -> Price:
    return services.price_set(
        tenant=tenant, capability=capability, model=model, unit=unit, yuan=Decimal(yuan), per=per
    )


def budget(tenant, yuan: str, period=Period.MONTH) -> Quota:
    return services.quota_set(
        tenant=tenant,
        capability="",
        unit=Unit.SPEND,
        period=period,
        limit=int(Decimal(yuan) * MICRO_YUAN),
    )


# --- Prices and costs ----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_chat_call_costs_its_input_and_output_tokens_at_the_provinces_price(tenant_a):
    province = tenant_a.parent
    price(province, PriceUnit.INPUT_TOKENS, "0.002", per=1000)
    price(province, PriceUnit.OUTPUT_TOKENS, "0.006", per=1000)
    served = ask(tenant_a)

    row = UsageRecord.objects.for_tenant(tenant_a).get()
    result = served.value
    assert (row.input_tokens, row.output_tokens) == (
        result.prompt_tokens, result.completion_tokens,
    )  # fmt: skip
    exact = Decimal(result.prompt_tokens) * 2 + Decimal(result.completion_tokens) * 6  # µ¥
    assert row.cost == Decimal(math.ceil(exact)) / MICRO_YUAN
    assert row.cost > 0
    assert served.info.usage["spend"] == math.ceil(exact)


@pytest.fixture
def enterprise(tenant_a):
    return tenant_create(
        slug="gd-sz-ent", name="前海云帆科技", kind=TenantKind.ENTERPRISE, parent=tenant_a
    )


@pytest.mark.django_db
def test_the_nearest_seller_prices_a_call_and_a_named_model_beats_every_model(tenant_a, enterprise):
    province = tenant_a.parent
    price(province, PriceUnit.REQUESTS, "0.05")
    ask(enterprise)
    assert UsageRecord.objects.latest("pk").cost == Decimal("0.05")

    price(tenant_a, PriceUnit.REQUESTS, "0.08")  # the city sells to its enterprise dearer
    ask(enterprise)
    assert UsageRecord.objects.latest("pk").cost == Decimal("0.08")
    ask(tenant_a)  # ... but cannot price its own calls: the province sells to it
    assert UsageRecord.objects.latest("pk").cost == Decimal("0.05")

    price(province, PriceUnit.REQUESTS, "0.01", model="extractive-answerer")
    ask(enterprise)
    # The city's line for every model is nearer than the province's line for this model.
    assert UsageRecord.objects.latest("pk").cost == Decimal("0.08")
    price(tenant_a, PriceUnit.REQUESTS, "0.06", model="extractive-answerer")
    ask(enterprise)
    assert UsageRecord.objects.latest("pk").cost == Decimal("0.06")

    # A price change never rewrites the rows already priced.
    costs = list(UsageRecord.objects.order_by("pk").values_list("cost", flat=True))
    assert costs == [Decimal(c) for c in ("0.05", "0.08", "0.05", "0.08", "0.06")]


@pytest.mark.django_db
def test_a_tenant_at_the_top_prices_its_own_calls(tenant_a):
    price(tenant_a.parent, PriceUnit.REQUESTS, "0.02")
    ask(tenant_a.parent)
    assert UsageRecord.objects.get().cost == Decimal("0.02")


@pytest.mark.django_db
def test_a_call_without_a_price_costs_nothing_and_no_budget_counts_it(tenant_a):
    budget(tenant_a, "0.01")
    for _ in range(3):
        ask(tenant_a)
    assert set(UsageRecord.objects.values_list("cost", flat=True)) == {Decimal(0)}
    assert not QuotaCounter.objects.exists()


@pytest.mark.django_db
def test_prices_only_for_tokens_price_the_chat_tokens_once():
    rules = {"tokens": pricing.PriceRule("tokens", Decimal("1"), 1000, 1)}
    amounts = {"tokens": 300, "input_tokens": 200, "output_tokens": 100, "requests": 1}
    assert pricing.cost_micro_yuan(rules, amounts) == 300_000  # ¥0.30, not ¥0.60


# --- Budgets ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_budget_stops_calls_when_spent_and_names_itself(tenant_a):
    price(tenant_a.parent, PriceUnit.REQUESTS, "0.10")
    budget(tenant_a.parent, "0.25")
    ask(tenant_a)
    ask(tenant_a)
    with pytest.raises(QuotaExceeded) as exc:
        ask(tenant_a)
    assert "广东省分公司" in exc.value.message and "¥0.25" in exc.value.message
    assert exc.value.retry_after and exc.value.retry_after > 0
    assert QuotaCounter.objects.get().used == 200_000
    assert UsageRecord.objects.filter(status="ok").count() == 2


@pytest.mark.django_db
def test_the_estimate_is_settled_to_the_actual_cost(tenant_a):
    price(tenant_a.parent, PriceUnit.OUTPUT_TOKENS, "1", per=1000)
    budget(tenant_a, "100")
    served = ask(tenant_a)
    # Reserved at max_tokens (512 output tokens), settled at what the answer used.
    assert QuotaCounter.objects.get().used == served.value.completion_tokens * 1000
    assert served.value.completion_tokens < 512


@pytest.mark.django_db
def test_crossing_80_percent_raises_one_alert_and_the_quota_page_shows_it(client, tenant_a):
    price(tenant_a.parent, PriceUnit.REQUESTS, "0.01")
    budget(tenant_a, "0.05")
    alerts = AuditEntry.objects.filter(action="ai.budget_alert", tenant=tenant_a)
    for _ in range(3):
        ask(tenant_a)
    assert not alerts.exists()
    ask(tenant_a)  # ¥0.04 of ¥0.05
    assert alerts.count() == 1
    assert alerts.get().data["percent"] == 80
    ask(tenant_a)
    assert alerts.count() == 1  # once per window

    client.force_login(member(tenant_a, Role.TENANT_ADMIN, username="sz_boss"))
    page = client.get(reverse("ai:quotas")).content.decode()
    assert "budget-alert" in page and "¥0.05" in page


@pytest.mark.django_db(transaction=True)
def test_100_concurrent_calls_against_a_budget_for_37_spend_exactly_that(tenant_a):
    """On PostgreSQL the calls really race: 25 connections, 100 calls, one barrier."""
    province = tenant_a.parent
    price(province, PriceUnit.REQUESTS, "0.01")
    budget(province, "0.37")
    budget(tenant_a, "5.00")  # the city's own, larger: the province's binds
    calls, workers = 100, 25
    barrier = threading.Barrier(workers)
    outcomes: list[str] = []

    def run(index: int) -> None:
        if index < workers:
            barrier.wait()
        try:
            ask(tenant_a)
            outcomes.append("ok")
        except QuotaExceeded:
            outcomes.append("refused")

    def worker_calls(first: int) -> None:
        try:
            for index in range(first, calls, workers):
                run(index)
        finally:
            connection.close()

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker_calls, range(workers)))
    assert outcomes.count("ok") == 37 and outcomes.count("refused") == 63
    used = dict(QuotaCounter.objects.values_list("quota__tenant__slug", "used"))
    assert used == {"gd": 370_000, "gd-sz": 370_000}
    billed = UsageRecord.objects.filter(status="ok")
    assert sum(billed.values_list("cost", flat=True)) == Decimal("0.37")


# --- Statements ------------------------------------------------------------------------------


@pytest.fixture
def province_admin(tenant_a):
    return member(tenant_a.parent, Role.TENANT_ADMIN, username="gd_boss")


@pytest.mark.django_db
def test_the_statement_matches_the_usage_rows_to_the_fen(client, tenant_a, admin_a):
    price(tenant_a.parent, PriceUnit.INPUT_TOKENS, "0.0008", per=1000)
    price(tenant_a.parent, PriceUnit.OUTPUT_TOKENS, "0.002", per=1000)
    key = api_key_create(tenant=tenant_a, name="=HYPERLINK(1)", scopes=["maas"])
    subscriber = member(tenant_a, Role.SUBSCRIBER, username="13812345678")
    subscriber.display_name = ""  # known by the number they signed in with
    subscriber.save(update_fields=["display_name"])
    for _ in range(7):
        ask(tenant_a, user=subscriber)
    for _ in range(4):
        ask(tenant_a, api_key=key.record)
    last_month = timezone.now() - timedelta(days=40)
    UsageRecord.objects.create(
        tenant=tenant_a, capability="chat", model="old", status="ok", cost=Decimal("9.99")
    )
    UsageRecord.objects.filter(model="old").update(created_at=last_month)

    client.force_login(admin_a)
    page = client.get(reverse("ai:statement"))
    assert page.status_code == 200
    rows = UsageRecord.objects.filter(tenant=tenant_a, status="ok").exclude(model="old")
    exact = sum(rows.values_list("cost", flat=True))
    total = page.context["statement"]["total"]
    assert total == exact.quantize(Decimal("0.01"))
    assert page.context["statement"]["calls"] == 11
    spenders = page.context["statement"]["users"]
    assert [(u["name"], u["calls"]) for u in spenders] == [("138****5678", 7)]  # masked
    assert [line["requests"] for line in page.context["statement"]["lines"]] in ([7, 4], [4, 7])
    assert f"¥{total}" in page.content.decode()
    usage = client.get(reverse("ai:usage")).content.decode()
    assert f'data-total="cost">{pricing.yuan_text(exact)}<' in usage  # the same spend there

    month = date.today().strftime("%Y-%m")
    download = client.get(
        reverse("ai:statement"), {"month": month, "tenant": tenant_a.pk, "format": "csv"}
    )
    assert download["Content-Type"].startswith("text/csv")
    table = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    blank = table.index([])  # the lines and their total, then who spent it
    lines, total_row, users = table[1 : blank - 1], table[blank - 1], table[blank + 3 :]
    assert total_row[-1] == f"{total:.2f}"
    keys = {line[2] for line in lines}
    assert "'=HYPERLINK(1)" in keys  # a spreadsheet shows it, never runs it
    assert sum(Decimal(line[-1]) for line in lines) == exact
    subscriber_cost = sum(rows.filter(user=subscriber).values_list("cost", flat=True))
    assert users == [["138****5678", "7", f"{subscriber_cost:.6f}"]]  # masked, as on the page


@covers("ai:statement")
@pytest.mark.django_db
def test_statements_of_the_subtree_only(client, tenant_a, tenant_b, admin_a, province_admin):
    UsageRecord.objects.create(tenant=tenant_b, capability="chat", status="ok", cost=3)
    client.force_login(admin_a)
    assert client.get(reverse("ai:statement"), {"tenant": tenant_b.pk}).status_code == 404
    province = tenant_a.parent
    assert client.get(reverse("ai:statement"), {"tenant": province.pk}).status_code == 404

    UsageRecord.objects.create(tenant=tenant_a, capability="chat", status="ok", cost=2)
    client.force_login(province_admin)
    month = date.today().strftime("%Y-%m")
    page = client.get(reverse("ai:statement"), {"tenant": tenant_a.pk, "month": month})
    assert page.status_code == 200
    assert page.context["statement"]["total"] == Decimal("2.00")
    bad = client.get(reverse("ai:statement"), {"tenant": tenant_a.pk, "month": "2026-13"})
    assert bad.status_code == 400 and bad.context["form"].errors["month"]
    own = client.get(reverse("ai:statement"), {"month": month})  # the tenant defaults to its own
    assert own.context["statement"]["tenant"] == tenant_a.parent


# --- Price and budget administration ---------------------------------------------------------


@covers("ai:prices", "ai:price_delete")
@pytest.mark.django_db
def test_price_pages_set_audit_and_hide_other_tenants_prices(client_a, tenant_a, tenant_b):
    theirs = price(tenant_b, PriceUnit.REQUESTS, "0.777")
    inherited = price(tenant_a.parent, PriceUnit.REQUESTS, "0.04")
    response = client_a.post(
        reverse("ai:prices"),
        {"capability": "chat", "unit": "output_tokens", "yuan": "0.006", "per": "1000"},
    )
    assert response.status_code == 302
    own = Price.objects.get(tenant=tenant_a)
    assert (own.unit, own.yuan, own.per) == ("output_tokens", Decimal("0.006"), 1000)
    entry = AuditEntry.objects.get(action="ai_price.set", tenant=tenant_a)
    assert entry.data["yuan"] == "0.006"

    page = client_a.get(reverse("ai:prices")).content.decode()
    assert f'data-price-id="{own.pk}"' in page  # what the city sells at
    assert f'data-paid-price-id="{inherited.pk}"' in page  # what it pays
    assert f'data-paid-price-id="{own.pk}"' not in page
    assert "0.777" not in page and f'price-id="{theirs.pk}"' not in page
    assert client_a.post(reverse("ai:price_delete", args=[theirs.pk])).status_code == 404
    assert client_a.post(reverse("ai:price_delete", args=[inherited.pk])).status_code == 404
    assert Price.objects.filter(pk__in=[theirs.pk, inherited.pk]).count() == 2
    assert client_a.post(reverse("ai:price_delete", args=[own.pk])).status_code == 302
    assert AuditEntry.objects.filter(action="ai_price.deleted", tenant=tenant_a).exists()


@pytest.mark.django_db
def test_a_bad_price_is_refused_with_a_message(client_a, tenant_a):
    response = client_a.post(
        reverse("ai:prices"),
        {"capability": "chat", "model": "no-such-llm", "unit": "requests", "yuan": "1", "per": "1"},
    )
    assert response.status_code == 200
    assert "no-such-llm" in response.context["form"].errors["model"][0]
    negative = client_a.post(
        reverse("ai:prices"),
        {"capability": "chat", "model": "", "unit": "requests", "yuan": "-1", "per": "1"},
    )
    assert negative.context["form"].errors["yuan"]
    assert not Price.objects.exists()


@pytest.mark.django_db
def test_a_budget_is_entered_and_shown_in_yuan(client_a, tenant_a):
    response = client_a.post(
        reverse("ai:quotas"),
        {"capability": "", "unit": "spend", "period": "month", "limit": "1500.50"},
    )
    assert response.status_code == 302
    quota = Quota.objects.get(tenant=tenant_a)
    assert quota.limit == 1_500_500_000
    page = client_a.get(reverse("ai:quotas")).content.decode()
    assert "¥1,500.50" in page
    edit = client_a.get(reverse("ai:quota_edit", args=[quota.pk])).content.decode()
    assert 'value="1500.50"' in edit
    whole = client_a.post(
        reverse("ai:quotas"),
        {"capability": "", "unit": "requests", "period": "day", "limit": "2.5"},
    )
    assert whole.status_code == 200 and whole.context["form"].errors["limit"]


@pytest.mark.django_db
def test_a_sibling_city_does_not_pay_the_other_citys_price(tenant_a):
    sibling = tenant_create(
        slug="gd-gz", name="广州市分公司", kind=TenantKind.CITY, parent=tenant_a.parent
    )
    price(tenant_a, PriceUnit.REQUESTS, "0.50")
    ask(sibling)
    assert UsageRecord.objects.get(tenant=sibling).cost == 0


@covers("api:ai-price-list", "api:ai-price-detail")
@pytest.mark.django_db
def test_the_price_api_sets_lines_and_hides_other_tenants(api_a, tenant_a, tenant_b):
    theirs = price(tenant_b, PriceUnit.REQUESTS, "0.5")
    url = reverse("api:ai-price-list")
    created = api_a.post(
        url, {"capability": "chat", "unit": "input_tokens", "yuan": "0.0008", "per": 1000},
        format="json",
    )  # fmt: skip
    assert created.status_code == 201, created.json()
    detail = reverse("api:ai-price-detail", args=[created.json()["id"]])
    assert api_a.patch(detail, {"yuan": "0.001"}, format="json").json()["yuan"] == "0.001000"
    moved = api_a.patch(detail, {"unit": "requests"}, format="json")
    assert moved.status_code == 400 and "unit" in moved.json()["error"]["fields"]
    assert [row["id"] for row in api_a.get(url).json()["results"]] == [created.json()["id"]]
    other = reverse("api:ai-price-detail", args=[theirs.pk])
    assert api_a.get(other).status_code == 404
    assert api_a.patch(other, {"yuan": "0"}, format="json").status_code == 404
    assert api_a.delete(other).status_code == 404
    assert Price.objects.get(pk=theirs.pk).yuan == Decimal("0.5")
    assert api_a.delete(detail).status_code == 204
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai_price.deleted").exists()


@pytest.mark.django_db
def test_a_province_admin_sees_its_cities_spend_charted(client, tenant_a, tenant_b, province_admin):
    price(tenant_a.parent, PriceUnit.REQUESTS, "0.05")
    price(tenant_b.parent, PriceUnit.REQUESTS, "7.00")
    ask(tenant_a)
    ask(tenant_a)
    ask(tenant_b)  # another province's city: not in this chart
    client.force_login(province_admin)
    page = client.get(reverse("ai:usage")).content.decode()
    chart = page[
        page.index('id="chart-spend"') : page.index("</svg>", page.index('id="chart-spend"'))
    ]
    bars = re.findall(r"<title>[\d-]+ · ([^<]+)</title>", chart)
    assert bars == ["对话: ¥0.10"]
