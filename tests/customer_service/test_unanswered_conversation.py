"""Issue 16: each unanswered question names the latest conversation that asked it, so the
supervisor can open it from the analytics page."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from customer_service import unanswered
from customer_service.models import Turn, TurnRole
from customer_service.services import dialogue
from suite.tenancy.models import Role
from tests.factories import member

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def _asked(tenant, text):
    conversation = dialogue.conversation_start(tenant=tenant)
    Turn.objects.create(
        tenant=tenant, conversation=conversation, seq=100, role=TurnRole.CUSTOMER,
        text=text, normalized_text=text, answered=False,
    )  # fmt: skip
    return conversation


def test_each_question_names_the_latest_conversation_that_asked_it(tenant_a):
    first = _asked(tenant_a, "宠物可以办手机卡吗")
    other = _asked(tenant_a, "火星上的天气怎么样")
    latest = _asked(tenant_a, "宠物可以办手机卡吗")
    report = unanswered.top_unanswered(tenant_a, since=timezone.now() - timedelta(days=1), limit=10)
    by_question = {g["question"]: g["conversation"] for g in report["groups"]}
    assert by_question["宠物可以办手机卡吗"] == latest.pk != first.pk
    assert by_question["火星上的天气怎么样"] == other.pk


def test_the_analytics_page_links_each_question_to_its_conversation(client, tenant_a):
    conversation = _asked(tenant_a, "宠物可以办手机卡吗")
    client.force_login(member(tenant_a, Role.CS_SUPERVISOR, username="sup_a"))
    page = client.get(reverse("customer_service:analytics")).content.decode()
    link = reverse("customer_service:conversation", args=[conversation.pk])
    assert f'<a href="{link}"' in page
