"""What the schemathesis run (test_api_schemathesis.py) found, pinned as plain regression tests:
requests the OpenAPI document allows answer 2xx/4xx, and responses match the document."""

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from suite.tenancy.models import Membership, Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(tenant_a, admin_a) -> APIClient:
    for role in Role.values:
        Membership.objects.get_or_create(user=admin_a, tenant=tenant_a, role=role)
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(admin_a)
    return client


@pytest.fixture(scope="module")
def openapi() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _response_schema(openapi: dict, path: str, method: str, code: str = "200") -> dict:
    content = openapi["paths"][path][method]["responses"][code]["content"]
    schema = content["application/json"]["schema"]
    if "$ref" in schema:
        schema = openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_quota_without_a_capability_covers_every_capability(api):
    response = api.post(
        "/api/v1/ai/quotas/", {"limit": 0, "period": "day", "unit": "frames"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["capability"] == ""


def test_lexicon_entry_without_a_mandarin_reading(api):
    response = api.post(
        "/api/v1/customer-service/lexicon/", {"dialect": "cantonese", "term": "0"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["mandarin"] == ""


def test_camera_created_with_a_status(api):
    response = api.post(
        "/api/v1/video-analytics/cameras/", {"name": "gate", "status": "disabled"}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "disabled"


@pytest.mark.parametrize("body", ["[null, null]", "0", '"text"', "null"])
def test_a_json_body_that_is_not_an_object_is_a_400(api, body):
    response = api.post("/api/v1/video-ringtone/drafts/", body, content_type="application/json")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "The request body must be a JSON object."


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/customer-service/assist/",
        "/api/v1/customer-service/dialect/identify",
        "/api/v1/gov-hotline/orders/draft",
        "/api/v1/customer-service/lexicon/",
    ],
)
def test_options_describes_views_without_a_serializer_class_too(api, url):
    response = api.options(url)
    assert response.status_code == 200
    assert response.json()["name"]


def test_ticket_assignee_is_documented_as_nullable(api, openapi):
    response = api.post(
        "/api/v1/customer-service/tickets/", {"type": "consultation", "summary": "x"}
    )
    assert response.status_code == 201, response.content
    assert response.json()["assignee"] is None
    for name in ("CustomerServiceTicket", "CustomerServiceTicketDetail"):
        assert openapi["components"]["schemas"][name]["properties"]["assignee"]["nullable"]


@pytest.mark.parametrize(
    ("path", "url"),
    [
        ("/api/v1/customer-service/conversations/queue/", None),
        ("/api/v1/customer-service/kb/articles/{id}/versions/", "article"),
        ("/api/v1/video-ringtone/gallery/{id}/comments/", None),
    ],
)
def test_list_actions_are_documented_as_the_lists_they_return(openapi, path, url):
    schema = _response_schema(openapi, path, "get")
    assert schema["type"] == "array", schema


def test_queue_and_versions_answer_plain_lists(api, tenant_a):
    from customer_service.services.knowledge import article_create

    queue = api.get("/api/v1/customer-service/conversations/queue/")
    assert queue.status_code == 200 and queue.json() == []
    article = article_create(tenant=tenant_a, title="t", body="b", category="c")
    versions = api.get(f"/api/v1/customer-service/kb/articles/{article.pk}/versions/")
    assert versions.status_code == 200 and isinstance(versions.json(), list)


def test_draft_response_is_not_documented_as_the_request(openapi):
    schema = _response_schema(openapi, "/api/v1/gov-hotline/orders/draft/", "post")
    assert "text" not in schema.get("required", [])


def test_error_responses_are_documented(openapi):
    operation = openapi["paths"]["/api/v1/ai/quotas/"]["post"]["responses"]
    assert {"201", "400", "401", "403", "404", "413", "415"} <= operation.keys()
    assert "429" in openapi["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    error = openapi["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
