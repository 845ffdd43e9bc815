"""Model aliases: a tenant names which of its models a client's model name means (a stock
client's `gpt-4o-mini`), inherited down the tree, nearest first; /v1 lists them."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from suite.accounts.services import api_key_create
from suite.ai import gateway, services
from suite.ai.loader import unload_all
from suite.ai.models import ModelAlias
from suite.ai.types import ChatMessage
from suite.audit.models import AuditEntry
from suite.tenancy.models import TenantKind
from suite.tenancy.services import tenant_create
from tests.cross_tenant import covers

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_backends():
    yield
    unload_all()


def chat_model(tenant, name) -> None:
    services.ai_model_create(tenant=tenant, name=name, capability="chat", engine="extractive")


def v1_chat(key: str, model: str):
    return Client().post(
        "/v1/chat/completions",
        data=json.dumps({"model": model, "messages": [{"role": "user", "content": "话费"}]}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_an_openai_name_aliased_by_the_tenant_is_served_by_the_chosen_model(tenant_a):
    chat_model(tenant_a, "kb-alpha")
    chat_model(tenant_a, "kb-zeta")
    key = api_key_create(tenant=tenant_a, name="crm", scopes=["maas"]).raw
    # Unaliased, the name means the default model (the first by name here).
    assert v1_chat(key, "gpt-4o-mini").json()["model"] == "kb-alpha"

    services.alias_set(tenant=tenant_a, capability="chat", alias="gpt-4o-mini", target="kb-zeta")
    assert v1_chat(key, "gpt-4o-mini").json()["model"] == "kb-zeta"
    listed = Client().get("/v1/models", headers={"Authorization": f"Bearer {key}"}).json()
    entry = next(m for m in listed["data"] if m["id"] == "gpt-4o-mini")
    assert entry["alias_of"] == "kb-zeta"
    assert AuditEntry.objects.filter(action="ai_alias.set", tenant=tenant_a).exists()


def test_the_nearest_tenants_alias_wins_for_every_caller(tenant_a):
    province = tenant_a.parent
    chat_model(province, "gd-llm")
    sibling = tenant_create(
        slug="gd-gz", name="广州市分公司", kind=TenantKind.CITY, parent=province
    )
    services.alias_set(tenant=province, capability="chat", alias="house-model", target="gd-llm")
    chat_model(tenant_a, "sz-llm")
    services.alias_set(tenant=tenant_a, capability="chat", alias="house-model", target="sz-llm")

    def served(tenant) -> str:
        caller = gateway.Caller(tenant=tenant)
        return gateway.chat(caller, [ChatMessage("user", "话费")], model="house-model").info.model

    assert served(tenant_a) == "sz-llm"
    assert served(sibling) == "gd-llm"


def test_a_keys_allow_list_may_name_an_alias(tenant_a):
    chat_model(tenant_a, "kb-fast")
    chat_model(tenant_a, "kb-careful")
    services.alias_set(tenant=tenant_a, capability="chat", alias="house", target="kb-careful")
    key = api_key_create(tenant=tenant_a, name="crm", scopes=["maas"], allowed_models=["house"]).raw
    assert v1_chat(key, "house").json()["model"] == "kb-careful"
    assert v1_chat(key, "kb-careful").status_code == 200  # what the alias means
    assert v1_chat(key, "kb-fast").status_code == 403


def test_an_alias_must_mean_a_model_of_the_tenant_and_cannot_hide_one(client_a, tenant_a):
    chat_model(tenant_a, "kb-fast")
    url = reverse("ai:aliases")
    missing = client_a.post(url, {"capability": "chat", "alias": "gpt-4o", "target": "nope"})
    assert missing.status_code == 200 and "nope" in missing.context["form"].errors["target"][0]
    hiding = client_a.post(url, {"capability": "chat", "alias": "kb-fast", "target": "kb-fast"})
    assert hiding.context["form"].errors["alias"]
    odd = client_a.post(url, {"capability": "chat", "alias": "a b", "target": "kb-fast"})
    assert odd.context["form"].errors["alias"]
    assert not ModelAlias.objects.exists()


@covers("ai:aliases", "ai:alias_delete")
def test_alias_pages_set_and_hide_other_tenants_aliases(client_a, tenant_a, tenant_b):
    chat_model(tenant_a, "kb-fast")
    chat_model(tenant_b, "their-llm")
    theirs = services.alias_set(
        tenant=tenant_b, capability="chat", alias="their-alias", target="their-llm"
    )
    response = client_a.post(
        reverse("ai:aliases"), {"capability": "chat", "alias": "gpt-4o", "target": "kb-fast"}
    )
    assert response.status_code == 302
    mine = ModelAlias.objects.get(tenant=tenant_a)
    page = client_a.get(reverse("ai:aliases")).content.decode()
    assert f'data-alias-id="{mine.pk}"' in page and "their-alias" not in page
    assert client_a.post(reverse("ai:alias_delete", args=[theirs.pk])).status_code == 404
    assert ModelAlias.objects.filter(pk=theirs.pk).exists()
    assert client_a.post(reverse("ai:alias_delete", args=[mine.pk])).status_code == 302
    assert not ModelAlias.objects.filter(pk=mine.pk).exists()


@covers("api:ai-alias-list", "api:ai-alias-detail")
def test_the_alias_api_sets_and_hides_other_tenants_aliases(api_a, tenant_a, tenant_b):
    chat_model(tenant_a, "kb-fast")
    chat_model(tenant_b, "their-llm")
    theirs = services.alias_set(
        tenant=tenant_b, capability="chat", alias="their-alias", target="their-llm"
    )
    url = reverse("api:ai-alias-list")
    created = api_a.post(
        url, {"capability": "chat", "alias": "gpt-4o", "target": "kb-fast"}, format="json"
    )
    assert created.status_code == 201, created.json()
    bad = api_a.post(url, {"capability": "chat", "alias": "x", "target": "nope"}, format="json")
    assert bad.status_code == 400 and "target" in bad.json()["error"]["fields"]
    assert [row["alias"] for row in api_a.get(url).json()["results"]] == ["gpt-4o"]
    other = reverse("api:ai-alias-detail", args=[theirs.pk])
    assert api_a.get(other).status_code == 404
    assert api_a.delete(other).status_code == 404
    assert ModelAlias.objects.filter(pk=theirs.pk).exists()
    mine = reverse("api:ai-alias-detail", args=[created.json()["id"]])
    assert api_a.delete(mine).status_code == 204
