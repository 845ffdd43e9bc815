"""Open311 GeoReport v2 conformance: field names, formats, error shape, jurisdictions."""

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from gov_hotline.models import Category, WorkOrder
from tests.cross_tenant import covers

from .conftest import new_order

BASE = "/api/v1/gov-hotline/open311/v2"
SERVICE_FIELDS = {
    "service_code",
    "service_name",
    "description",
    "metadata",
    "type",
    "keywords",
    "group",
}
REQUEST_FIELDS = {
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime",
    "expected_datetime", "address", "address_id", "zipcode", "lat", "long", "media_url",
}  # fmt: skip


def _xml(content: bytes) -> ET.Element:
    return ET.fromstring(content)  # noqa: S314 - our own server's response in a test


def _noise(tenant) -> Category:
    return Category.objects.for_tenant(tenant).get(name="噪音污染")


@covers("api:gh-open311-services")
def test_services_json_and_xml(hl_a, hl_b, hotline_key_a, client):
    response = client.get(f"{BASE}/services.json", {"api_key": hotline_key_a})
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    services = response.json()
    assert all(set(s) == SERVICE_FIELDS for s in services)
    codes = {s["service_code"] for s in services}
    assert _noise(hl_a).code in codes and _noise(hl_b).code not in codes
    assert {s["group"] for s in services} >= {"生态环境", "劳动保障"}
    xml = client.get(f"{BASE}/services.xml", {"api_key": hotline_key_a})
    root = _xml(xml.content)
    assert root.tag == "services" and root[0].tag == "service"
    assert {child.tag for child in root[0]} == SERVICE_FIELDS
    assert root[0].find("metadata").text == "true"


@covers("api:gh-open311-service")
def test_service_definition_and_other_tenants_code(hl_a, hl_b, hotline_key_a, client):
    code = _noise(hl_a).code
    body = client.get(f"{BASE}/services/{code}.json", {"api_key": hotline_key_a}).json()
    assert body["service_code"] == code
    attribute = body["attributes"][0]
    assert {"variable", "code", "datatype", "required", "datatype_description", "order",
            "description", "values"} <= attribute.keys()  # fmt: skip
    assert {v["key"] for v in attribute["values"]} == {"normal", "urgent", "critical"}
    xml = _xml(client.get(f"{BASE}/services/{code}.xml", {"api_key": hotline_key_a}).content)
    assert xml.tag == "service_definition"
    assert xml.find("attributes/attribute/values/value/key") is not None
    foreign = client.get(f"{BASE}/services/{_noise(hl_b).code}.json", {"api_key": hotline_key_a})
    assert foreign.status_code == 404
    assert foreign.json() == [{"code": 404, "description": "Unknown service_code."}]


@covers("api:gh-open311-requests")
def test_create_request_then_list_it(hl_a, hl_b, hotline_key_a, hotline_key_b, client):
    code = _noise(hl_a).code
    response = client.post(
        f"{BASE}/requests.json",
        {
            "api_key": hotline_key_a,
            "service_code": code,
            "lat": "23.135",
            "long": "113.327",
            "address_string": "天河区体育西路",
            "description": "体育西路工地凌晨还在施工，噪音很大",
            "first_name": "伟",
            "last_name": "黄",
            "phone": "13700001111",
        },
    )
    assert response.status_code == 201, response.content
    [created] = response.json()
    assert set(created) == {"service_request_id", "service_notice", "account_id"}
    order = WorkOrder.objects.get(number=created["service_request_id"])
    assert order.channel == "open311" and order.subcategory.name == "噪音污染"
    assert (order.latitude, order.longitude) == (23.135, 113.327)
    assert order.contact_name == "黄 伟"
    listed = client.get(f"{BASE}/requests.json", {"api_key": hotline_key_a}).json()
    assert [r["service_request_id"] for r in listed] == [order.number]
    assert set(listed[0]) == REQUEST_FIELDS and listed[0]["status"] == "open"
    assert client.get(f"{BASE}/requests.json", {"api_key": hotline_key_b}).json() == []
    closed = client.get(f"{BASE}/requests.json", {"api_key": hotline_key_a, "status": "closed"})
    assert closed.json() == []
    xml = _xml(client.get(f"{BASE}/requests.xml", {"api_key": hotline_key_a}).content)
    assert xml.tag == "service_requests" and xml[0].find("service_request_id").text == order.number


@covers("api:gh-open311-request")
def test_one_request_status_is_tenant_scoped(hl_a, hl_b, hotline_key_a, hotline_key_b, client):
    order = new_order(hl_a)
    mine = client.get(f"{BASE}/requests/{order.number}.json", {"api_key": hotline_key_a})
    assert mine.status_code == 200 and mine.json()[0]["service_request_id"] == order.number
    theirs = client.get(f"{BASE}/requests/{order.number}.json", {"api_key": hotline_key_b})
    assert theirs.status_code == 404
    xml = client.get(f"{BASE}/requests/{order.number}.xml", {"api_key": hotline_key_b})
    root = _xml(xml.content)
    assert root.tag == "errors" and root[0].find("code").text == "404"


def test_bearer_key_and_jurisdiction_id(hl_a, hotline_key_a):
    api = Client(HTTP_AUTHORIZATION=f"Bearer {hotline_key_a}", HTTP_ACCEPT_LANGUAGE="en")
    assert api.get(f"{BASE}/services.json", {"jurisdiction_id": hl_a.slug}).status_code == 200
    wrong = api.get(f"{BASE}/services.json", {"jurisdiction_id": "someone-else"})
    assert wrong.status_code == 404 and wrong.json()[0]["code"] == 404


def test_missing_or_wrong_key(hl_a, client):
    assert client.get(f"{BASE}/services.json").json()[0]["code"] in (401, 403)
    bad = client.get(f"{BASE}/services.json", {"api_key": "sk-nope"})
    assert bad.status_code == 401 and bad.json()[0]["description"]


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"service_code": ""}, "service_code is required"),
        ({"service_code": "c999999"}, "Unknown service_code"),
        ({"lat": "", "long": "", "address_string": ""}, "location is required"),
        ({"lat": "north", "long": "east"}, "decimal degrees"),
        ({"lat": "123", "long": "10"}, "out of range"),
        ({"description": ""}, "description is required"),
        ({"attribute[urgency]": "asap"}, "attribute[urgency]"),
    ],
)
def test_invalid_create_payloads(hl_a, hotline_key_a, client, change, fragment):
    payload = {
        "api_key": hotline_key_a,
        "service_code": _noise(hl_a).code,
        "lat": "23.1",
        "long": "113.3",
        "description": "工地噪音",
    }
    payload.update(change)
    response = client.post(f"{BASE}/requests.json", payload)
    assert response.status_code in (400, 404)
    [error] = response.json()
    assert error["code"] == response.status_code and fragment in error["description"]
    assert not WorkOrder.objects.exists()


def test_bad_dates_and_status_filters(hl_a, hotline_key_a, client):
    for params, fragment in (
        ({"start_date": "yesterday"}, "start_date"),
        ({"start_date": "2026-02-01T00:00:00Z", "end_date": "2026-01-01T00:00:00Z"}, "before"),
        ({"status": "pending"}, "open or closed"),
    ):
        response = client.get(f"{BASE}/requests.json", {"api_key": hotline_key_a, **params})
        assert response.status_code == 400 and fragment in response.json()[0]["description"]
