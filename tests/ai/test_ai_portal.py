"""Tenant-admin pages for models, quotas, safety terms and usage."""

import re

import pytest
from django.urls import reverse

from suite.ai import gateway, services
from suite.ai.capabilities import Capability, Unit
from suite.ai.loader import unload_all
from suite.ai.models import AiModel, Period, Quota, SafetyTerm, UsageRecord
from suite.ai.safety import find_prohibited
from suite.ai.types import ChatMessage, Passage
from suite.audit.models import AuditEntry
from suite.tenancy.models import Role, Tenant
from tests.cross_tenant import covers
from tests.factories import member

pytestmark = pytest.mark.django_db

PASSAGES = [Passage("kb-1", "5G畅享套餐每月128元，包含30GB国内通用流量。", "5G畅享套餐")]


@pytest.fixture(autouse=True)
def _fresh_backends():
    yield
    unload_all()


def ask(tenant) -> gateway.Served:
    return gateway.chat(
        gateway.Caller(tenant=tenant),
        [ChatMessage("user", "5G畅享套餐多少钱？")],
        passages=PASSAGES,
    )


def model_form(**overrides) -> dict:
    data = {
        "name": "whisper-small",
        "capability": "transcribe",
        "engine": "faster-whisper",
        "path": "",
        "options": '{"beam_size": 5}',
        "priority": "10",
        "enabled": "on",
        "timeout_s": "",
        "dialect": "",
    }
    return {**data, **overrides}


def make_model(tenant, **overrides) -> AiModel:
    values = {"name": "m1", "capability": "chat", "engine": "extractive", **overrides}
    return services.ai_model_create(tenant=tenant, **values)


# --- Models --------------------------------------------------------------------------------


def test_model_add_edit_delete_through_the_pages_with_audit(client_a, tenant_a, tmp_path, settings):
    settings.AI_MODEL_ROOTS = [str(tmp_path)]
    response = client_a.post(reverse("ai:models"), model_form(path=str(tmp_path)))
    assert response.status_code == 302
    model = AiModel.objects.for_tenant(tenant_a).get()
    assert (model.engine, model.options, model.priority, model.path) == (
        "faster-whisper",
        {"beam_size": 5},
        10,
        str(tmp_path),
    )
    created = AuditEntry.objects.get(tenant=tenant_a, action="ai_model.created")
    assert created.object_id == str(model.pk)
    assert created.actor.username == "admin_a"

    page = client_a.get(reverse("ai:models")).content.decode()
    assert f'data-model-id="{model.pk}"' in page
    edit_url = reverse("ai:model_edit", args=[model.pk])
    assert "whisper-small" in client_a.get(edit_url).content.decode()

    response = client_a.post(edit_url, model_form(path="", priority="5", dialect="yue"))
    assert response.status_code == 302
    model.refresh_from_db()
    assert (model.priority, model.dialect, model.path) == (5, "yue", "")
    updated = AuditEntry.objects.get(tenant=tenant_a, action="ai_model.updated")
    assert updated.data["changed"]["priority"] == 5

    response = client_a.post(reverse("ai:model_delete", args=[model.pk]))
    assert response.status_code == 302
    assert not AiModel.objects.filter(pk=model.pk).exists()
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai_model.deleted").count() == 1


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"engine": "kokoro"}, "引擎不支持"),
        ({"engine": "rapidocr", "capability": "chat"}, "引擎不支持"),
        ({"path": "/nonexistent/models/whisper-small"}, "/nonexistent/models/whisper-small"),
        ({"path": "http://gpu-1:8000/v1"}, "需要本地路径"),
        ({"options": "[1, 2]"}, "JSON 对象"),
    ],
)
def test_model_form_shows_validation_errors(client_a, tenant_a, overrides, message):
    response = client_a.post(reverse("ai:models"), model_form(**overrides))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not AiModel.objects.for_tenant(tenant_a).exists()
    assert not AuditEntry.objects.filter(action="ai_model.created").exists()


@pytest.mark.parametrize(
    ("overrides", "setting"),
    [
        ({"path": "/etc"}, "AI_MODEL_ROOTS"),
        (
            {
                "engine": "openai-compatible",
                "capability": "chat",
                "path": "http://169.254.169.254/v1",
            },
            "AI_CHAT_HOSTS",
        ),
        (
            {
                "engine": "openai-compatible",
                "capability": "chat",
                "path": "",
                "options": '{"base_url": "http://10.0.0.5:8080/v1", "model": "m"}',
            },
            "AI_CHAT_HOSTS",
        ),
    ],
)
def test_tenant_admins_cannot_aim_models_at_arbitrary_files_or_hosts(
    client_a, tenant_a, overrides, setting
):
    response = client_a.post(reverse("ai:models"), model_form(**overrides))
    assert response.status_code == 200
    assert setting in response.content.decode()
    assert not AiModel.objects.for_tenant(tenant_a).exists()


def test_duplicate_model_name_is_refused_per_capability(client_a, tenant_a):
    make_model(tenant_a, name="whisper-small", capability="transcribe", engine="faster-whisper")
    response = client_a.post(reverse("ai:models"), model_form())
    assert response.status_code == 200
    assert "本租户已有名为 whisper-small 的" in response.content.decode()
    # The same name for another capability is fine.
    ok = client_a.post(
        reverse("ai:models"), model_form(capability="synthesize", engine="kokoro", options="")
    )
    assert ok.status_code == 302
    assert AiModel.objects.for_tenant(tenant_a).count() == 2


def test_chat_server_url_is_accepted_as_the_path_of_a_remote_engine(tenant_a, settings):
    settings.AI_CHAT_HOSTS = ["gpu-1:8000"]
    model = make_model(tenant_a, engine="openai-compatible", path="http://gpu-1:8000/v1")
    assert model.path == "http://gpu-1:8000/v1"


def test_models_page_marks_own_inherited_and_default_rows(client_a, tenant_a):
    province = Tenant.objects.get(slug="gd")
    make_model(province, name="province-chat")
    make_model(tenant_a, name="city-ocr", capability="ocr", engine="rapidocr")
    page = client_a.get(reverse("ai:models")).content.decode()
    chat = page.split('id="capability-chat"')[1].split("</section>")[0]
    ocr = page.split('id="capability-ocr"')[1].split("</section>")[0]
    assert "province-chat" in chat
    assert f"继承自 {province.name}" in chat
    assert "extractive-answerer" in chat  # the suite default, shown but not in effect
    assert "本租户" in ocr
    assert "city-ocr" in ocr


def test_only_one_default_per_capability(tenant_a):
    first = make_model(tenant_a, name="a", is_default=True)
    second = make_model(tenant_a, name="b", is_default=True)
    first.refresh_from_db()
    assert second.is_default
    assert not first.is_default


# --- Quotas --------------------------------------------------------------------------------


def test_quota_page_shows_used_and_remaining_after_a_gateway_call(client_a, tenant_a):
    response = client_a.post(
        reverse("ai:quotas"),
        {"capability": "chat", "unit": Unit.REQUESTS, "period": Period.DAY, "limit": "5"},
    )
    assert response.status_code == 302
    quota = Quota.objects.for_tenant(tenant_a).get()
    assert AuditEntry.objects.filter(tenant=tenant_a, action="ai_quota.set").count() == 1
    ask(tenant_a)
    ask(tenant_a)
    page = client_a.get(reverse("ai:quotas")).content.decode()
    row = page.split(f'data-quota-id="{quota.pk}"')[1].split("</tr>")[0]
    assert re.search(r'class="progress-text quota-used">2<', row)
    assert re.search(r'class="quota-remaining">3<', row)
    assert 'value="40"' in row


def test_parent_quota_binds_and_is_shown_with_its_cap(client_a, tenant_a):
    province = Tenant.objects.get(slug="gd")
    parent = services.quota_set(
        tenant=province, capability="", unit=Unit.REQUESTS, period=Period.DAY, limit=3
    )
    own = services.quota_set(
        tenant=tenant_a, capability="chat", unit=Unit.REQUESTS, period=Period.DAY, limit=100
    )
    ask(tenant_a)
    page = client_a.get(reverse("ai:quotas")).content.decode()
    parent_row = page.split(f'data-quota-id="{parent.pk}"')[1].split("</tr>")[0]
    own_row = page.split(f'data-quota-id="{own.pk}"')[1].split("</tr>")[0]
    assert province.name in parent_row
    assert re.search(r'class="quota-remaining">2<', parent_row)
    assert reverse("ai:quota_edit", args=[parent.pk]) not in page  # managed by the province
    assert f"受 {province.name} 限制为 3" in own_row


def test_quota_edit_and_delete_with_audit(client_a, tenant_a):
    quota = services.quota_set(
        tenant=tenant_a, capability="", unit=Unit.TOKENS, period=Period.MONTH, limit=1000
    )
    url = reverse("ai:quota_edit", args=[quota.pk])
    assert 'value="1000"' in client_a.get(url).content.decode()
    response = client_a.post(
        url, {"capability": "", "unit": Unit.TOKENS, "period": Period.MONTH, "limit": "2500"}
    )
    assert response.status_code == 302
    quota.refresh_from_db()
    assert quota.limit == 2500
    entry = AuditEntry.objects.filter(action="ai_quota.set").latest("pk")
    assert (entry.data["limit"], entry.data["previous_limit"]) == (2500, 1000)
    assert client_a.post(reverse("ai:quota_delete", args=[quota.pk])).status_code == 302
    assert not Quota.objects.filter(pk=quota.pk).exists()
    assert AuditEntry.objects.filter(action="ai_quota.deleted").count() == 1


def test_quota_edit_refuses_a_clash_with_another_row(client_a, tenant_a):
    services.quota_set(tenant=tenant_a, capability="", unit=Unit.TOKENS, period=Period.DAY, limit=1)
    other = services.quota_set(
        tenant=tenant_a, capability="", unit=Unit.TOKENS, period=Period.MONTH, limit=9
    )
    response = client_a.post(
        reverse("ai:quota_edit", args=[other.pk]),
        {"capability": "", "unit": Unit.TOKENS, "period": Period.DAY, "limit": "5"},
    )
    assert response.status_code == 200
    assert "本租户已有相同能力、单位和周期的配额" in response.content.decode()
    other.refresh_from_db()
    assert (other.period, other.limit) == (Period.MONTH, 9)


# --- Safety terms --------------------------------------------------------------------------


def test_safety_terms_add_and_remove_take_effect_at_once(client_a, tenant_a):
    assert find_prohibited(tenant_a, "欢迎购买靓号宝") is None
    response = client_a.post(reverse("ai:safety_terms"), {"term": "靓号宝", "category": "fraud"})
    assert response.status_code == 302
    hit = find_prohibited(tenant_a, "欢迎购买靓 号 宝")
    assert hit is not None
    assert hit.category == "fraud"
    term = SafetyTerm.objects.for_tenant(tenant_a).get()
    page = client_a.get(reverse("ai:safety_terms")).content.decode()
    assert "靓号宝" in page
    assert re.search(r"与 \d+ 个内置词语", page)
    duplicate = client_a.post(reverse("ai:safety_terms"), {"term": "靓号宝", "category": "other"})
    assert "该词语已在列表中" in duplicate.content.decode()
    assert client_a.post(reverse("ai:safety_term_remove", args=[term.pk])).status_code == 302
    assert find_prohibited(tenant_a, "欢迎购买靓号宝") is None
    actions = set(AuditEntry.objects.filter(tenant=tenant_a).values_list("action", flat=True))
    assert {"ai_safety_term.added", "ai_safety_term.removed"} <= actions


# --- Usage ---------------------------------------------------------------------------------


def test_usage_dashboard_shows_counts_fallback_share_and_svg(client_a, tenant_a):
    ask(tenant_a)
    ask(tenant_a)
    UsageRecord.objects.create(
        tenant=tenant_a, capability=Capability.OCR, model="rapidocr", status="failed"
    )
    page = client_a.get(reverse("ai:usage")).content.decode()
    assert re.search(r'data-total="requests">3<', page)
    assert re.search(r'data-total="failed">1<', page)
    assert re.search(r'data-total="fallback">2 <small class="muted">\(67%\)', page)
    assert page.count("<svg") == 3  # calls, spend, fallback share
    assert 'id="chart-spend"' in page
    assert '<title id="chart-calls-title">' in page
    assert "extractive-answerer" in page
    filtered = client_a.get(reverse("ai:usage"), {"capability": "ocr"}).content.decode()
    assert re.search(r'data-total="requests">1<', filtered)
    assert 'data-model="extractive-answerer"' not in filtered


@covers("ai:models", "ai:model_edit", "ai:model_delete")
def test_models_pages_hide_other_tenants_models(client_a, tenant_a, tenant_b):
    mine = make_model(tenant_a, name="mine-model")
    theirs = make_model(tenant_b, name="their-model")
    page = client_a.get(reverse("ai:models")).content.decode()
    assert "mine-model" in page
    assert "their-model" not in page
    assert client_a.get(reverse("ai:model_edit", args=[theirs.pk])).status_code == 404
    assert (
        client_a.post(reverse("ai:model_edit", args=[theirs.pk]), model_form()).status_code == 404
    )
    assert client_a.post(reverse("ai:model_delete", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "their-model"
    assert mine.pk != theirs.pk


@covers("ai:quotas", "ai:quota_edit", "ai:quota_delete")
def test_quota_pages_hide_other_tenants_quotas(client_a, tenant_a, tenant_b):
    theirs = services.quota_set(
        tenant=tenant_b, capability="ocr", unit=Unit.IMAGES, period=Period.HOUR, limit=4242
    )
    page = client_a.get(reverse("ai:quotas")).content.decode()
    assert "4242" not in page
    assert f'data-quota-id="{theirs.pk}"' not in page
    assert client_a.get(reverse("ai:quota_edit", args=[theirs.pk])).status_code == 404
    assert client_a.post(reverse("ai:quota_delete", args=[theirs.pk])).status_code == 404
    assert Quota.objects.filter(pk=theirs.pk, limit=4242).exists()


@covers("ai:safety_terms", "ai:safety_term_remove")
def test_safety_term_pages_hide_other_tenants_terms(client_a, tenant_b):
    theirs = services.safety_term_add(tenant=tenant_b, term="他们的词")
    page = client_a.get(reverse("ai:safety_terms")).content.decode()
    assert "他们的词" not in page
    assert client_a.post(reverse("ai:safety_term_remove", args=[theirs.pk])).status_code == 404
    assert SafetyTerm.objects.filter(pk=theirs.pk).exists()


@covers("ai:usage")
def test_usage_dashboard_counts_only_own_calls(client_a, tenant_a, tenant_b):
    UsageRecord.objects.create(tenant=tenant_a, capability="ocr", model="mine-ocr", status="ok")
    for _ in range(3):
        UsageRecord.objects.create(
            tenant=tenant_b, capability="ocr", model="their-ocr", status="ok"
        )
    page = client_a.get(reverse("ai:usage")).content.decode()
    assert re.search(r'data-total="requests">1<', page)
    assert "mine-ocr" in page
    assert "their-ocr" not in page
    # Not offered as a filter value either, and asking for it shows none of its rows.
    filtered = client_a.get(reverse("ai:usage"), {"model": "their-ocr"}).content.decode()
    assert '<option value="their-ocr"' not in filtered
    assert 'data-model="their-ocr"' not in filtered
    assert re.search(r'data-total="requests">1<', filtered)


@pytest.mark.parametrize(
    "route", ["ai:models", "ai:quotas", "ai:safety_terms", "ai:usage"], ids=lambda r: r
)
def test_non_admin_staff_cannot_open_the_pages(client, tenant_a, route):
    agent = member(tenant_a, Role.CS_AGENT)
    client.force_login(agent)
    assert client.get(reverse(route)).status_code == 404
    client.logout()
    response = client.get(reverse(route))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_nav_links_to_model_access_for_admins_only(client_a, client, tenant_a):
    assert reverse("ai:models") in client_a.get(reverse("portal:home")).content.decode()
    client.logout()
    client.force_login(member(tenant_a, Role.CS_AGENT))
    assert reverse("ai:models") not in client.get(reverse("portal:home")).content.decode()


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("http://127.0.0.1:8080/v1", True),
        ("http://localhost:8080/v1", True),
        ("http://127.0.0.1:6379/v1", False),  # Redis on the same host
        ("http://localhost:5432/v1", False),
        ("http://127.0.0.1/v1", False),
        ("http://gpu-1/v1", True),  # a bare host: the scheme's default port only
        ("https://gpu-1/v1", True),
        ("http://gpu-1:9000/v1", False),
    ],
)
def test_chat_hosts_pin_host_and_port(settings, url, ok):
    from suite.ai.services import _check_url

    settings.AI_CHAT_HOSTS = ["127.0.0.1:8080", "localhost:8080", "gpu-1"]
    assert (_check_url(url, "path") == {}) is ok
