"""The hotline's recognition prompt: request types, the tenant's districts and catalogue (the
subcategories its orders use most first), cached per tenant and renewed when the catalogue
changes, and handed to recording intake and live calls."""

import pytest
from django.core.cache import cache

from gov_hotline import selectors, services
from gov_hotline.calls import HotlineCallHandler
from gov_hotline.intake import transcribe_recording
from gov_hotline.models import Category, Channel, RequestType, WorkOrder
from suite.ai import gateway
from suite.ai.asr_prompt import PROMPT_TOKENS, count_tokens, prompt_terms
from suite.telephony.services import call_start
from tests.ai.prompt_recorder import HEARD, speech_wav, use_prompt_recorder


@pytest.fixture(autouse=True)
def _no_cached_prompts():
    # Tenant pks repeat across tests on SQLite, and the same catalogue gives the same key.
    cache.clear()
    yield
    cache.clear()


def _orders(tenant, subcategory: Category, count: int) -> None:
    for index in range(count):
        WorkOrder.objects.create(
            tenant=tenant,
            number=f"T{subcategory.pk}-{index}",
            channel=Channel.WEB,
            text="市民来电",
            request_type=RequestType.HELP,
            category=subcategory.parent,
            subcategory=subcategory,
            summary="市民来电",
        )


def test_the_prompt_holds_request_types_districts_and_the_catalogue(hl_a):
    prompt = selectors.asr_prompt(hl_a)
    terms = prompt_terms(prompt)
    assert terms[:5] == ["咨询", "求助", "投诉", "举报", "建议"]
    for term in ("工单", "天河区", "越秀区", "占道经营", "噪音污染"):
        assert term in terms
    assert count_tokens(prompt) <= PROMPT_TOKENS


def test_another_tenant_s_districts_and_categories_never_appear(hl_a, hl_b):
    services.district_create(tenant=hl_b, name="蜀南新区")
    top = services.category_create(tenant=hl_b, name="乡村振兴")
    town = services.category_create(tenant=hl_b, name="古镇保护", parent=top)
    _orders(hl_b, town, 1)  # used, so it ranks among the subcategories that fit
    theirs, mine = selectors.asr_prompt(hl_b), selectors.asr_prompt(hl_a)
    assert "蜀南新区" in theirs and "古镇保护" in theirs
    assert "蜀南新区" not in mine and "古镇保护" not in mine and "乡村振兴" not in mine


def test_the_prompt_is_renewed_when_the_catalogue_changes(hl_a, monkeypatch):
    built = []
    real = selectors.asr_terms
    monkeypatch.setattr(selectors, "asr_terms", lambda t: built.append(t) or real(t))
    first = selectors.asr_prompt(hl_a)
    assert selectors.asr_prompt(hl_a) == first and len(built) == 1  # cached

    services.district_create(tenant=hl_a, name="知识城片区")
    assert "知识城片区" in selectors.asr_prompt(hl_a)

    noise = Category.objects.for_tenant(hl_a).get(name="噪音污染")
    noise.name = "噪音扰民投诉"
    noise.save()
    assert "噪音扰民投诉" in selectors.asr_prompt(hl_a)

    services.category_set_active(category=noise, active=False)
    assert "噪音扰民投诉" not in selectors.asr_prompt(hl_a)
    assert len(built) == 4


def test_the_subcategories_callers_use_most_come_first(hl_a):
    _orders(hl_a, Category.objects.for_tenant(hl_a).get(name="供水"), 3)
    terms = prompt_terms(selectors.asr_prompt(hl_a))
    first_subcategory = next(
        t for t in terms if t not in selectors.ASR_CORE_TERMS and "区" not in t
    )
    assert first_subcategory == "供水"


@pytest.mark.django_db
def test_recordings_and_live_calls_get_the_tenant_s_prompt(hl_a, hl_b, monkeypatch, settings):
    services.district_create(tenant=hl_b, name="蜀南新区")
    prompts = use_prompt_recorder(monkeypatch, settings)
    caller = gateway.Caller(tenant=hl_a)
    heard = transcribe_recording(caller=caller, data=speech_wav())
    assert heard["text"] == HEARD
    assert prompts == [selectors.asr_prompt(hl_a)] and "蜀南新区" not in prompts[0]

    call = call_start(tenant=hl_a, product="gov_hotline", protocol="stream")
    assert HotlineCallHandler(call=call, caller=caller).asr_prompt() == prompts[0]
