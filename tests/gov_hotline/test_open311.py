"""Open311 GeoReport v2 conformance: field names, formats, error shape, jurisdictions."""

from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from gov_hotline.models import Category, Open311Feed, WorkOrder
from gov_hotline.services import open311_feed_set
from suite.audit.models import AuditEntry
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


# --- Integrators without a key: the public feed, token lookup, discovery, error lists ---

ROOT = "/api/v1/gov-hotline/open311"
READ_PATHS = ("services.json", "requests.json")


def _reads(tenant, order) -> list[str]:
    return [
        f"{BASE}/services.json",
        f"{BASE}/services/{_noise(tenant).code}.json",
        f"{BASE}/requests.json",
        f"{BASE}/requests/{order.number}.json",
        f"{BASE}/tokens/{order.number}.json",
    ]


def _caller_order(tenant):
    return new_order(
        tenant,
        summary="黄伟反映工地夜间施工噪音，回电13700001111",
        contact_name="黄伟",
        contact_phone="13700001111",
    )


@covers(
    "api:gh-open311-services",
    "api:gh-open311-service",
    "api:gh-open311-requests",
    "api:gh-open311-request",
    "api:gh-open311-token",
)
def test_private_tenant_reads_without_key_are_refused(hl_a, hl_b, client):
    order = _caller_order(hl_a)
    open311_feed_set(tenant=hl_b, public_reads=True)  # another tenant's choice changes nothing
    assert not Open311Feed.objects.for_tenant(hl_a).exists()  # off unless the tenant says so
    for path in _reads(hl_a, order):
        for params in ({"jurisdiction_id": hl_a.slug}, {}, {"jurisdiction_id": "no-such-city"}):
            response = client.get(path, params)
            assert response.status_code == 401, (path, params)
            [error] = response.json()
            assert error["code"] == 401 and "13700001111" not in response.content.decode()
    open311_feed_set(tenant=hl_a, public_reads=False)
    response = client.get(f"{BASE}/requests.json", {"jurisdiction_id": hl_a.slug})
    assert response.status_code == 401 and "api_key" in response.json()[0]["description"]


@covers(
    "api:gh-open311-services",
    "api:gh-open311-service",
    "api:gh-open311-requests",
    "api:gh-open311-request",
    "api:gh-open311-token",
)
def test_public_tenant_reads_without_key_show_only_masked_data(hl_a, hl_b, client):
    order = _caller_order(hl_a)
    _caller_order(hl_b)
    theirs = _caller_order(hl_b)  # numbers count per tenant: hl_a has no second one
    assert not WorkOrder.objects.for_tenant(hl_a).filter(number=theirs.number).exists()
    feed = open311_feed_set(tenant=hl_a, public_reads=True)
    assert AuditEntry.objects.filter(
        tenant=hl_a, action="gov_hotline.open311.feed_set", object_id=str(feed.pk)
    ).exists()
    public = {"jurisdiction_id": hl_a.slug}
    for path in _reads(hl_a, order):
        response = client.get(path, public)
        assert response.status_code == 200, (path, response.content)
        body = response.content.decode()
        assert "13700001111" not in body and "黄伟" not in body
    [row] = client.get(f"{BASE}/requests.json", public).json()
    assert row["service_request_id"] == order.number and set(row) == REQUEST_FIELDS
    assert "137****1111" in row["description"] and "黄*" in row["description"]
    [one] = client.get(f"{BASE}/requests/{order.number}.json", public).json()
    assert one["description"] == row["description"]
    # The other tenant's request and token stay out of this tenant's public feed.
    for path in (f"{BASE}/requests/{theirs.number}.json", f"{BASE}/tokens/{theirs.number}.json"):
        response = client.get(path, public)
        assert response.status_code == 404 and response.json()[0]["code"] == 404
    foreign = client.get(f"{BASE}/services/{_noise(hl_b).code}.json", public)
    assert foreign.status_code == 404 and foreign.json()[0]["code"] == 404
    # hl_b did not open its feed: naming it without a key is still refused.
    refused = client.get(f"{BASE}/requests.json", {"jurisdiction_id": hl_b.slug})
    assert refused.status_code == 401


def test_create_always_needs_the_key(hl_a, client):
    open311_feed_set(tenant=hl_a, public_reads=True)
    response = client.post(
        f"{BASE}/requests.json?jurisdiction_id={hl_a.slug}",
        {
            "jurisdiction_id": hl_a.slug,
            "service_code": _noise(hl_a).code,
            "lat": "23.1",
            "long": "113.3",
            "description": "工地噪音",
        },
    )
    assert response.status_code == 401 and response.json()[0]["code"] == 401
    assert not WorkOrder.objects.exists()


@covers("api:gh-open311-token")
def test_token_lookup_is_tenant_scoped(hl_a, hl_b, hotline_key_a, hotline_key_b, client):
    order = new_order(hl_a)
    mine = client.get(f"{BASE}/tokens/{order.number}.json", {"api_key": hotline_key_a})
    assert mine.status_code == 200
    assert mine.json() == [{"token": order.number, "service_request_id": order.number}]
    xml = _xml(client.get(f"{BASE}/tokens/{order.number}.xml", {"api_key": hotline_key_a}).content)
    assert xml.tag == "service_requests" and xml[0].find("service_request_id").text == order.number
    theirs = client.get(f"{BASE}/tokens/{order.number}.json", {"api_key": hotline_key_b})
    assert theirs.status_code == 404
    assert theirs.json() == [{"code": 404, "description": "Unknown token."}]
    unknown = client.get(f"{BASE}/tokens/nope.json", {"api_key": hotline_key_a})
    assert unknown.status_code == 404 and unknown.json()[0]["code"] == 404


@covers("api:gh-open311-discovery")
def test_discovery_document(hl_a, hotline_key_a, client):
    for path in (f"{ROOT}/discovery.json", f"{BASE}/discovery.json"):
        response = client.get(path)
        assert response.status_code == 200 and response["Content-Type"] == "application/json"
        document = response.json()
        assert {"changeset", "contact", "key_service", "endpoints"} <= document.keys()
        assert document["contact"] and "/admin/api-keys/" in document["key_service"]
        [endpoint] = document["endpoints"]
        assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
        assert "application/json" in endpoint["formats"]
        assert endpoint["url"].endswith("/open311/v2/")
        assert hl_a.slug not in response.content.decode()  # the same for every tenant
    # The endpoint URL it names is where the resources are.
    url = endpoint["url"].removeprefix("http://testserver")
    services = client.get(f"{url}services.json", {"api_key": hotline_key_a})
    assert services.status_code == 200 and services.json()
    xml = _xml(client.get(f"{ROOT}/discovery.xml").content)
    assert xml.tag == "discovery"
    assert xml.find("endpoints/endpoint/specification").text.endswith("GeoReport_v2")
    assert "text/xml" in {f.text for f in xml.findall("endpoints/endpoint/formats/format")}
    refused = client.post(f"{ROOT}/discovery.json")
    assert refused.status_code == 405 and refused.json()[0]["code"] == 405


@covers("api:gh-open311-unknown")
def test_unknown_paths_answer_the_error_list(hl_a, hotline_key_a, client):
    for path in (
        f"{BASE}/nothing.json",
        f"{BASE}/services",
        f"{BASE}/services/",
        f"{BASE}/requests/a.b.json",
        f"{ROOT}/v3/services.json",
        ROOT,
        f"{ROOT}/",
    ):
        response = client.get(path, {"api_key": hotline_key_a})
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
        [error] = response.json()
        assert error["code"] == 404 and error["description"], path
    posted = client.post(f"{BASE}/nothing.json", {"api_key": hotline_key_a})
    assert posted.status_code == 404 and posted.json()[0]["code"] == 404
    xml = client.get(f"{BASE}/nothing.xml")
    assert xml.status_code == 404 and _xml(xml.content).find("error/code").text == "404"
    deleted = client.delete(f"{BASE}/requests.json?api_key={hotline_key_a}")
    assert deleted.status_code == 405 and deleted.json()[0]["code"] == 405


def test_bad_input_is_a_400_error_list(hl_a, hotline_key_a, client):
    broken = client.post(
        f"{BASE}/requests.json?api_key={hotline_key_a}",
        data="{not json",
        content_type="application/json",
    )
    assert broken.status_code == 400
    [error] = broken.json()
    assert error["code"] == 400 and error["description"]
    response = client.get(f"{BASE}/requests.json", {"api_key": hotline_key_a, "end_date": "soon"})
    assert response.status_code == 400 and response.json()[0]["code"] == 400


def test_missing_coordinates_are_null(hl_a, hotline_key_a, client):
    without = new_order(hl_a)
    with_coordinates = new_order(hl_a, latitude=23.135, longitude=113.327)
    rows = {
        r["service_request_id"]: r
        for r in client.get(f"{BASE}/requests.json", {"api_key": hotline_key_a}).json()
    }
    assert rows[without.number]["lat"] is None and rows[without.number]["long"] is None
    assert (rows[with_coordinates.number]["lat"], rows[with_coordinates.number]["long"]) == (
        23.135,
        113.327,
    )
    raw = client.get(f"{BASE}/requests/{without.number}.json", {"api_key": hotline_key_a})
    assert '"lat": null' in raw.content.decode() and '"long": null' in raw.content.decode()
    xml = _xml(
        client.get(f"{BASE}/requests/{without.number}.xml", {"api_key": hotline_key_a}).content
    )
    assert xml[0].find("lat").text is None and xml[0].find("long") is not None


def test_new_messages_are_translated(hl_a):
    zh = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    zh.cookies["django_language"] = "zh-hans"
    assert zh.get(f"{BASE}/nothing.json").json()[0]["description"] == "没有这个 Open311 资源。"
    refused = zh.get(f"{BASE}/requests.json", {"jurisdiction_id": hl_a.slug}).json()[0]
    assert refused["description"].startswith("需要 api_key")
    document = zh.get(f"{ROOT}/discovery.json").json()
    assert "12345 热线中心" in document["contact"] and "API 密钥" in document["key_service"]
