"""REST API: the draft endpoint (scope `hotline`, nothing saved), orders, bad input."""

import pytest
from rest_framework.test import APIClient

from gov_hotline.models import OrderEvent, TrainingExample, WorkOrder
from suite.accounts.services import api_key_create
from tests.cross_tenant import covers

DRAFT = "/api/v1/gov-hotline/orders/draft"
ORDERS = "/api/v1/gov-hotline/orders/"
TEXT = (
    "你好，我住在天河区体育西路，楼下烧烤店天天吵到凌晨两点，严重影响休息，希望有关部门处理。"
    "我的电话13912345678"
)


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    return api


@covers("api:gh-order-draft")
def test_draft_uses_only_the_callers_tenant_classifier(trained_a, hotline_key_a, hotline_key_b):
    response = bearer(hotline_key_a).post(DRAFT, {"text": TEXT}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert {"request_type", "category", "subcategory", "district", "address", "summary",
            "urgency", "confidence"} <= body.keys()  # fmt: skip
    assert (body["category"], body["subcategory"]) == ("生态环境", "噪音污染")
    assert body["request_type"] == "投诉"
    assert body["district"] == "天河区"
    assert body["contact"]["phone"] == "139****5678"
    assert "13912345678" not in response.content.decode()
    assert 0 < body["confidence"]["subcategory"] <= 1
    assert body["evidence"]["district"] == "天河区"
    # No chat model is configured: the draft says the classifier alone answered.
    assert body["fallback"] is True and body["sources"]["chat"] == "not_configured"
    assert body["fallback_reason"]
    assert (
        WorkOrder.objects.count() == 0
        and TrainingExample.objects.filter(order__isnull=False).count() == 0
    )

    # Tenant B has no classifier of its own: tenant A's model is never used for it.
    other = bearer(hotline_key_b).post(DRAFT, {"text": TEXT}, format="json")
    assert other.status_code == 200
    assert other.json()["subcategory"] == "" and other.json()["sources"]["classifier"] == "none"


def test_draft_needs_the_hotline_scope(hl_a):
    key = api_key_create(tenant=hl_a, name="maas only", scopes=["maas"]).raw
    response = bearer(key).post(DRAFT, {"text": TEXT}, format="json")
    assert response.status_code == 403
    assert "hotline" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"text": ""}, "empty"),
        ({"text": "   "}, "empty"),
        ({"text": "？？？！！！ 123"}, "no words"),
        ({"text": "噪" * 5001}, "limit"),
        ({}, "required"),
    ],
)
def test_draft_bad_input_is_a_clear_400(hl_a, hotline_key_a, payload, fragment):
    response = bearer(hotline_key_a).post(DRAFT, payload, format="json")
    assert response.status_code == 400
    assert fragment in response.json()["error"]["message"]


@covers("api:gh-order-list", "api:gh-order-detail")
def test_orders_api_create_list_detail_cross_tenant(trained_a, hl_b, hotline_key_a, hotline_key_b):
    api = bearer(hotline_key_a)
    created = api.post(ORDERS, {"text": TEXT, "channel": "mobile"}, format="json")
    assert created.status_code == 201, created.content
    order = WorkOrder.objects.get()
    assert order.channel == "mobile" and order.subcategory.name == "噪音污染"
    assert order.contact_phone == "13912345678"  # kept for the call-back
    assert created.json()["contact_phone"] == "139****5678"  # shown masked
    listed = api.get(ORDERS).json()
    assert [o["number"] for o in listed["results"]] == [order.number]
    other = bearer(hotline_key_b)
    assert other.get(ORDERS).json()["results"] == []
    assert other.get(f"{ORDERS}{order.pk}/").status_code == 404
    assert api.get(f"{ORDERS}{order.pk}/").json()["number"] == order.number


def test_order_without_classifier_or_with_unknown_category_saves_nothing(hl_a, hotline_key_a):
    api = bearer(hotline_key_a)
    response = api.post(ORDERS, {"text": TEXT}, format="json")
    assert response.status_code == 400
    assert "category" in response.json()["error"]["message"]
    response = api.post(
        ORDERS, {"text": TEXT, "category": "火星", "subcategory": "噪音污染"}, format="json"
    )
    assert response.status_code == 400 and "火星" in response.json()["error"]["message"]
    assert not WorkOrder.objects.exists() and not OrderEvent.objects.exists()
    ok = api.post(
        ORDERS, {"text": TEXT, "category": "生态环境", "subcategory": "噪音污染"}, format="json"
    )
    assert ok.status_code == 201
