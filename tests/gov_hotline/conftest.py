"""Hotline fixtures: two tenants with the default catalogue, a user per hotline role, a
`hotline` API key per tenant, and a small classifier trained on part of the labelled set."""

import pytest
from django.utils import translation

from gov_hotline import services, training
from gov_hotline.models import Department
from suite.accounts.services import api_key_create
from suite.ai import gateway
from suite.tenancy.models import Role
from tests.factories import member

# Four well-separated subcategories keep training to a few seconds of embedding.
SUBSET = ("噪音污染", "欠薪", "供水", "政策咨询")


@pytest.fixture(autouse=True)
def _english(request):
    with translation.override("en"):
        yield


# The shared hotline fixtures hold Guangzhou's districts whatever their tenants' cities (the
# labelled set and these tests' calls are Guangzhou's); tests/gov_hotline/test_draft_fields.py
# covers districts derived from the tenancy tree.
@pytest.fixture
def hl_a(tenant_a):
    services.catalogue_install_defaults(tenant=tenant_a, city="广州")
    return tenant_a


@pytest.fixture
def hl_b(tenant_b):
    services.catalogue_install_defaults(tenant=tenant_b, city="广州")
    return tenant_b


@pytest.fixture
def agent_a(hl_a):
    return member(hl_a, Role.HOTLINE_AGENT, username="agent_a")


@pytest.fixture
def dispatcher_a(hl_a):
    return member(hl_a, Role.HOTLINE_DISPATCHER, username="dispatcher_a")


@pytest.fixture
def handler_a(hl_a):
    user = member(hl_a, Role.DEPARTMENT_HANDLER, username="handler_a")
    for code in ("sthj", "rsj", "swj", "zsj", "gaj", "cgj"):
        Department.objects.for_tenant(hl_a).get(code=code).members.add(user)
    return user


@pytest.fixture
def handler_b(hl_b):
    user = member(hl_b, Role.DEPARTMENT_HANDLER, username="handler_b")
    Department.objects.for_tenant(hl_b).get(code="sthj").members.add(user)
    return user


@pytest.fixture
def hotline_key_a(hl_a) -> str:
    return api_key_create(tenant=hl_a, name="hotline a", scopes=["hotline"]).raw


@pytest.fixture
def hotline_key_b(hl_b) -> str:
    return api_key_create(tenant=hl_b, name="hotline b", scopes=["hotline"]).raw


def subset_rows() -> list[dict]:
    return [r for r in training.labelled_rows() if r["subcategory"] in SUBSET]


@pytest.fixture
def trained_a(hl_a):
    training.examples_import_labelled(tenant=hl_a, rows=subset_rows())
    return training.classifier_train(tenant=hl_a, caller=gateway.Caller(tenant=hl_a))


def new_order(
    tenant, text="天河区体育西路的工地晚上十一点还在打桩施工，噪音太大了，希望尽快处理", **kw
):
    values = {
        "channel": "phone",
        "request_type": "投诉",
        "category": "生态环境",
        "subcategory": "噪音污染",
        "district": "天河区",
        "address": "体育西路",
        "summary": "工地夜间打桩施工噪音扰民，要求停止夜间施工",
    }
    values.update(kw)
    return services.order_create(tenant=tenant, text=text, **values)


@pytest.fixture
def client():
    """The Django test client, asking for English so tests can match the English messages."""
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def eager():
    """Jobs run in-process when their transaction commits (the real worker path is covered by
    tests/suite/test_jobs.py)."""
    from suite.celery import app

    before = app.conf.task_always_eager
    app.conf.update(task_always_eager=True)
    yield
    app.conf.update(task_always_eager=before)
