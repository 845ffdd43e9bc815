"""/api/v1/ai/: models, quotas, safety terms and usage for tenant admins."""

from datetime import date, timedelta
from xml.etree import ElementTree

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from suite.ai import services
from suite.ai.capabilities import Unit
from suite.ai.models import AiModel, Period, Quota, SafetyTerm, UsageRecord
from suite.audit.models import AuditEntry
from suite.portal import charts
from suite.tenancy.models import Role
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db


def body_ids(response) -> set[int]:
    return {row["id"] for row in response.json()["results"]}


def test_model_crud_goes_through_the_service_with_audit(api_a, tenant_a):
    url = reverse("api:ai-model-list")
    response = api_a.post(
        url,
        {"name": "ocr-main", "capability": "ocr", "engine": "rapidocr", "priority": 5},
        format="json",
    )
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert AiModel.objects.for_tenant(tenant_a).get(pk=pk).priority == 5
    detail = reverse("api:ai-model-detail", args=[pk])
    response = api_a.patch(detail, {"enabled": False, "dialect": "yue"}, format="json")
    assert response.status_code == 200
    assert (response.json()["enabled"], response.json()["dialect"]) == (False, "yue")
    assert api_a.delete(detail).status_code == 204
    actions = list(
        AuditEntry.objects.filter(tenant=tenant_a, object_id=str(pk))
        .order_by("pk")
        .values_list("action", flat=True)
    )
    assert actions == ["ai_model.created", "ai_model.updated", "ai_model.deleted"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"engine": "faster-whisper", "capability": "chat"}, "engine"),
        ({"path": "/nonexistent/e5-small"}, "path"),
        ({"options": ["not", "an", "object"]}, "options"),
    ],
)
def test_model_validation_errors_use_the_suite_error_shape(api_a, payload, field):
    data = {"name": "e5", "capability": "embed", "engine": "e5", **payload}
    response = api_a.post(reverse("api:ai-model-list"), data, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]


def test_duplicate_model_name_is_a_400(api_a, tenant_a):
    services.ai_model_create(tenant=tenant_a, name="e5", capability="embed", engine="e5")
    response = api_a.post(
        reverse("api:ai-model-list"),
        {"name": "e5", "capability": "embed", "engine": "e5"},
        format="json",
    )
    assert response.status_code == 400
    assert "name" in response.json()["error"]["fields"]


def test_quota_api_create_update_delete(api_a, tenant_a):
    url = reverse("api:ai-quota-list")
    data = {"capability": "", "unit": Unit.REQUESTS, "period": Period.DAY, "limit": 10}
    response = api_a.post(url, data, format="json")
    assert response.status_code == 201, response.json()
    detail = reverse("api:ai-quota-detail", args=[response.json()["id"]])
    assert api_a.patch(detail, {"limit": 20}, format="json").json()["limit"] == 20
    assert Quota.objects.for_tenant(tenant_a).get().limit == 20
    assert api_a.delete(detail).status_code == 204
    assert not Quota.objects.for_tenant(tenant_a).exists()
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai_quota.deleted").count() == 1


def test_safety_terms_api_add_and_remove(api_a, tenant_a):
    response = api_a.post(
        reverse("api:ai-safety-term-list"), {"term": "刷单返利", "category": "fraud"}, format="json"
    )
    assert response.status_code == 201
    term = SafetyTerm.objects.for_tenant(tenant_a).get()
    assert term.category == "fraud"
    again = api_a.post(reverse("api:ai-safety-term-list"), {"term": "刷单返利"}, format="json")
    assert again.status_code == 400
    assert api_a.delete(reverse("api:ai-safety-term-detail", args=[term.pk])).status_code == 204
    assert not SafetyTerm.objects.filter(pk=term.pk).exists()


def test_usage_list_filters_and_daily_rows(api_a, tenant_a):
    UsageRecord.objects.create(tenant=tenant_a, capability="chat", model="a", status="ok", tokens=7)
    UsageRecord.objects.create(
        tenant=tenant_a, capability="chat", model="a", status="ok", tokens=5, fallback=True
    )
    UsageRecord.objects.create(tenant=tenant_a, capability="ocr", model="b", status="failed")
    url = reverse("api:ai-usage-list")
    assert len(api_a.get(url, {"capability": "chat"}).json()["results"]) == 2
    assert len(api_a.get(url, {"status": "failed"}).json()["results"]) == 1
    tomorrow = (date.today() + timedelta(days=2)).isoformat()
    assert api_a.get(url, {"date_from": tomorrow}).json()["results"] == []
    rows = api_a.get(reverse("api:ai-usage-daily")).json()
    chat = next(r for r in rows if r["capability"] == "chat")
    assert (chat["requests"], chat["tokens"], chat["fallback"], chat["failed"]) == (2, 12, 1, 0)
    ocr = next(r for r in rows if r["capability"] == "ocr")
    assert ocr["failed"] == 1
    only_ocr = api_a.get(reverse("api:ai-usage-daily"), {"capability": "ocr"}).json()
    assert [r["capability"] for r in only_ocr] == ["ocr"]
    bad = api_a.get(reverse("api:ai-usage-daily"), {"days": 0})
    assert bad.status_code == 400


def test_non_admins_and_api_keys_are_refused(tenant_a, key_a):
    agent = APIClient()
    agent.force_login(member(tenant_a, Role.CS_AGENT))
    assert agent.get(reverse("api:ai-model-list")).status_code == 403
    keyed = APIClient()
    keyed.credentials(HTTP_AUTHORIZATION=f"Bearer {key_a}")
    assert keyed.get(reverse("api:ai-quota-list")).status_code == 403


@covers("api:ai-model-list", "api:ai-model-detail")
def test_models_api_hides_other_tenants(api_a, tenant_a, tenant_b):
    mine = services.ai_model_create(
        tenant=tenant_a, name="m", capability="chat", engine="extractive"
    )
    theirs = services.ai_model_create(
        tenant=tenant_b, name="m", capability="chat", engine="extractive"
    )
    assert body_ids(api_a.get(reverse("api:ai-model-list"))) == {mine.pk}
    detail = reverse("api:ai-model-detail", args=[theirs.pk])
    assert api_a.get(detail).status_code == 404
    assert api_a.patch(detail, {"priority": 1}, format="json").status_code == 404
    assert api_a.delete(detail).status_code == 404
    assert AiModel.objects.get(pk=theirs.pk).priority == 100


@covers("api:ai-quota-list", "api:ai-quota-detail")
def test_quotas_api_hides_other_tenants(api_a, tenant_a, tenant_b):
    theirs = services.quota_set(
        tenant=tenant_b, capability="", unit=Unit.REQUESTS, period=Period.DAY, limit=7
    )
    assert body_ids(api_a.get(reverse("api:ai-quota-list"))) == set()
    detail = reverse("api:ai-quota-detail", args=[theirs.pk])
    assert api_a.get(detail).status_code == 404
    assert (
        api_a.put(
            detail, {"unit": "requests", "period": "day", "limit": 1}, format="json"
        ).status_code
        == 404
    )
    assert api_a.delete(detail).status_code == 404
    assert Quota.objects.get(pk=theirs.pk).limit == 7


@covers("api:ai-safety-term-list", "api:ai-safety-term-detail")
def test_safety_terms_api_hides_other_tenants(api_a, tenant_a, tenant_b):
    mine = services.safety_term_add(tenant=tenant_a, term="我的词")
    theirs = services.safety_term_add(tenant=tenant_b, term="他们的词")
    assert body_ids(api_a.get(reverse("api:ai-safety-term-list"))) == {mine.pk}
    detail = reverse("api:ai-safety-term-detail", args=[theirs.pk])
    assert api_a.get(detail).status_code == 404
    assert api_a.delete(detail).status_code == 404
    assert SafetyTerm.objects.filter(pk=theirs.pk).exists()


@covers("api:ai-usage-list", "api:ai-usage-detail", "api:ai-usage-daily")
def test_usage_api_hides_other_tenants(api_a, tenant_a, tenant_b):
    mine = UsageRecord.objects.create(tenant=tenant_a, capability="ocr", model="x", status="ok")
    theirs = UsageRecord.objects.create(
        tenant=tenant_b, capability="ocr", model="secret", status="ok"
    )
    assert body_ids(api_a.get(reverse("api:ai-usage-list"))) == {mine.pk}
    assert api_a.get(reverse("api:ai-usage-detail", args=[theirs.pk])).status_code == 404
    daily = api_a.get(reverse("api:ai-usage-daily")).json()
    assert [(r["model"], r["requests"]) for r in daily] == [("x", 1)]


def test_charts_are_valid_accessible_svg():
    days = [date(2025, 3, 1) + timedelta(days=n) for n in range(3)]
    bars = charts.stacked_bar_chart(
        chart_id="c",
        title="Calls <per> day",
        desc="d",
        days=days,
        series={"chat": {days[0]: 3, days[2]: 1}, "ocr": {days[0]: 2}},
        labels={"chat": "对话", "ocr": "OCR"},
    )
    ns = "{http://www.w3.org/2000/svg}"
    scroller = ElementTree.fromstring(str(bars))  # noqa: S314 - our own output
    assert scroller.get("class") == "chart-scroll"  # scrolls sideways on a phone
    svg = scroller.find(f"{ns}svg")
    assert svg.find(f"{ns}title").text == "Calls <per> day"
    rects = [r for r in svg.iter(f"{ns}rect") if r.find(f"{ns}title") is not None]
    assert len(rects) == 3
    heights = {r.find(f"{ns}title").text: float(r.get("height")) for r in rects}
    # The y axis tops out at 5 (a "nice" maximum above 3 + 2): 3 calls fill 3/5 of the plot.
    assert heights["2025-03-01 · 对话: 3"] == pytest.approx(
        heights["2025-03-03 · 对话: 1"] * 3, 0.01
    )

    def line(values: dict) -> ElementTree.Element:
        chart = charts.line_chart(
            chart_id="l", title="t", desc="d", days=days, values=values, percent=True
        )
        return ElementTree.fromstring(str(chart))  # noqa: S314 - our own output

    # A day without calls is a gap, not 0%: only the day with a value gets a point, and one
    # point alone draws no line.
    single = line({days[1]: 0.5})
    titles = [c.find(f"{ns}title").text for c in single.iter(f"{ns}circle")]
    assert titles == ["2025-03-02: 50%"]
    assert list(single.iter(f"{ns}polyline")) == []
    gapped = line({days[0]: 1.0, days[2]: 0.0})
    titles = [c.find(f"{ns}title").text for c in gapped.iter(f"{ns}circle")]
    assert titles == ["2025-03-01: 100%", "2025-03-03: 0%"]
    assert list(gapped.iter(f"{ns}polyline")) == []  # the missing day breaks the line
    joined = line({days[0]: 1.0, days[1]: 0.5})
    (polyline,) = joined.iter(f"{ns}polyline")
    assert len(polyline.get("points").split()) == 2
    assert charts.nice_max(0) == 1
    assert charts.nice_max(7) == 10
    assert charts.nice_max(120) == 200
