import socket

import pytest
from pytest_socket import SocketConnectBlockedError

from tests.factories import AuditEntryFactory

pytestmark = pytest.mark.django_db


def test_pagination_and_filtering(api_a, tenant_a):
    for i in range(30):
        AuditEntryFactory(tenant=tenant_a, action="bulk.item" if i % 2 else "bulk.other")
    page = api_a.get("/api/v1/audit-log/?page_size=10&action=bulk.item").json()
    assert page["count"] == 15
    assert len(page["results"]) == 10
    assert "page=2" in page["next"] and "action=bulk.item" in page["next"]


def test_validation_errors_use_the_single_error_shape(api_a):
    response = api_a.post("/api/v1/api-keys/", {"scopes": []}, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert error["message"].startswith("name:")
    assert "name" in error["fields"]


def test_unknown_api_path_is_json_404(api_a):
    response = api_a.get("/api/v1/does-not-exist/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_anonymous_api_call_is_401(client):
    response = client.get("/api/v1/jobs/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert "error" in response.json()


def test_openapi_schema_and_docs_are_self_hosted(client):
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/api-keys/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "swagger-ui" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_outbound_network_is_blocked_during_tests():
    with pytest.raises(SocketConnectBlockedError):
        socket.create_connection(("203.0.113.1", 80), timeout=1)


def test_api_key_scope_is_enforced_per_view(tenant_a):
    from rest_framework.response import Response
    from rest_framework.test import APIRequestFactory

    from suite.accounts.services import api_key_create
    from suite.api.viewsets import TenantAPIView

    class HotlineProbe(TenantAPIView):
        api_key_scope = "hotline"

        def get(self, request):
            return Response({"tenant": self.tenant.slug})

    maas = api_key_create(tenant=tenant_a, name="m", scopes=["maas"]).raw
    hotline = api_key_create(tenant=tenant_a, name="h", scopes=["hotline"]).raw
    factory = APIRequestFactory()
    view = HotlineProbe.as_view()
    denied = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {maas}"))
    assert denied.status_code == 403
    assert "hotline" in denied.data["error"]["message"]
    allowed = view(factory.get("/", HTTP_AUTHORIZATION=f"Bearer {hotline}"))
    assert allowed.status_code == 200
    assert allowed.data == {"tenant": "gd-sz"}


def test_server_error_page_renders_without_touching_the_database(rf, django_assert_num_queries):
    from suite.portal.errors import server_error

    with django_assert_num_queries(0):
        html = server_error(rf.get("/some/page/"))
    assert html.status_code == 500
    assert b"500" in html.content
    api = server_error(rf.get("/api/v1/jobs/"))
    assert api.status_code == 500
    assert b'"server_error"' in api.content
