"""Analytics reads handle times in minutes and seconds (6分22秒), not "382 s" (issue 16)."""

import pytest
from django.conf import settings
from django.urls import reverse

from customer_service import analytics
from suite.tenancy.models import Role
from tests.factories import member
from tests.labels import visible_text

pytestmark = pytest.mark.django_db


@pytest.fixture
def supervisor_client(client, tenant_a, monkeypatch):
    client.force_login(member(tenant_a, Role.CS_SUPERVISOR, username="sup_a"))
    figures = analytics.figures

    def with_times(tenant, **kwargs):
        data = figures(tenant, **kwargs)
        data.update(average_handle_seconds=382.4, average_call_seconds=75, calls=3)
        return data

    monkeypatch.setattr(analytics, "figures", with_times)
    return client


@pytest.mark.parametrize(
    ("language", "handle", "call"),
    [("zh-hans", "6分22秒", "1分15秒"), ("en", "6 min 22 s", "1 min 15 s")],
)
def test_handle_and_call_times_read_in_minutes_and_seconds(
    supervisor_client, language, handle, call
):
    supervisor_client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = supervisor_client.get(reverse("customer_service:analytics"))
    assert response.status_code == 200
    text = visible_text(response.content.decode())
    assert handle in text and call in text
    assert "382 s" not in text and "75 s" not in text
