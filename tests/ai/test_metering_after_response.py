"""The /v1 API writes a call's usage row, audit entry and refund after its response: the
server has the body to send before they are written, and they are written when it closes the
response (or at the end of the request when it never does). Everywhere else the call's own
thread writes them before the call returns."""

import json
import logging

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import RequestFactory

from suite.accounts.services import api_key_create
from suite.ai import gateway, metering_db
from suite.ai.capabilities import Unit
from suite.ai.models import Period, Quota, QuotaCounter, UsageRecord
from suite.ai.types import ChatMessage
from suite.audit.models import AuditEntry

pytestmark = pytest.mark.django_db

MAX_TOKENS = 200


@pytest.fixture
def served(tenant_a):
    """A /v1 chat call served the way a WSGI server serves it: the body, then close(). As in
    Django's test client, the test's connection is kept across the request (it holds the test's
    transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    Quota.objects.create(
        tenant=tenant_a, capability="", unit=Unit.TOKENS, period=Period.DAY, limit=10**6
    )
    issued = api_key_create(tenant=tenant_a, name="crm", scopes=["maas"])
    factory = RequestFactory(headers={"Authorization": f"Bearer {issued.raw}"})
    body = {
        "model": "default",
        "max_tokens": MAX_TOKENS,
        "messages": [{"role": "user", "content": "话费怎么查"}],
    }

    def serve(path: str = "/v1/chat/completions", payload: dict | None = None):
        environ = factory.post(
            path, json.dumps(payload or body), content_type="application/json"
        ).environ
        response = WSGIHandler()(environ, lambda status, headers: None)
        content = b"".join(response)
        return response, content

    yield serve
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


def _tokens_counted(tenant) -> int:
    return QuotaCounter.objects.get(quota__tenant=tenant, quota__unit=Unit.TOKENS).used


def test_the_body_is_ready_before_the_calls_rows_and_they_are_written_when_it_closes(
    served, tenant_a
):
    response, content = served()
    assert response.status_code == 200
    answer = json.loads(content)
    # The reservation guards the limits from the start: the prompt and all of max_tokens.
    assert _tokens_counted(tenant_a) >= MAX_TOKENS
    assert not UsageRecord.objects.for_tenant(tenant_a).exists()
    assert not AuditEntry.objects.filter(tenant=tenant_a, action="ai.chat").exists()

    response.close()
    record = UsageRecord.objects.for_tenant(tenant_a).get()
    assert record.tokens == answer["usage"]["total_tokens"]
    assert record.api_key is not None
    # Settled to what the call used: the unused part of max_tokens went back.
    assert _tokens_counted(tenant_a) == answer["usage"]["total_tokens"]
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai.chat").count() == 1


def test_a_refused_call_is_recorded_after_its_error_response(served, tenant_a):
    bad = {"model": "default", "messages": [{"role": "robot", "content": "话费怎么查"}]}
    response, content = served(payload=bad)
    assert response.status_code == 400
    assert json.loads(content)["error"]["param"] == "messages"
    assert not UsageRecord.objects.for_tenant(tenant_a).exists()
    response.close()
    assert UsageRecord.objects.for_tenant(tenant_a).get().status == "invalid"


def test_a_response_the_server_never_closes_still_gets_its_rows_at_the_requests_end(
    served, tenant_a
):
    # A client that went away: an ASGI server drops the response unclosed and only sends
    # request_finished.
    served()
    assert not UsageRecord.objects.for_tenant(tenant_a).exists()
    request_finished.send(sender=WSGIHandler)
    assert UsageRecord.objects.for_tenant(tenant_a).count() == 1


def test_a_failed_write_is_logged_and_the_others_are_still_written(tenant_a, caplog):
    written = []

    def broken() -> None:
        raise RuntimeError("database went away")

    with metering_db.after_response():
        metering_db.write(broken)
        metering_db.write(lambda: written.append("second"))
    assert written == []
    with caplog.at_level(logging.ERROR, logger="suite.ai"):
        assert metering_db.flush() is True
    assert written == ["second"]
    assert "metering write failed" in caplog.text
    assert metering_db.flush() is False


def test_an_error_inside_the_deferral_writes_at_once(tenant_a):
    written = []
    with pytest.raises(ValueError), metering_db.after_response():
        metering_db.write(lambda: written.append("row"))
        raise ValueError("the view broke: no response will carry the writes")
    assert written == ["row"]


def test_outside_the_api_the_call_is_recorded_before_it_returns(tenant_a):
    served = gateway.chat(gateway.Caller(tenant=tenant_a), [ChatMessage("user", "话费怎么查")])
    record = UsageRecord.objects.for_tenant(tenant_a).get()
    assert record.model == served.info.model
