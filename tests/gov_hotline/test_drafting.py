"""Drafting with a chat model configured, classifier training and metrics, the knowledge base,
hotspot warnings and the PDF/XLSX reports."""

import io
import json
import re

from openpyxl import load_workbook

from gov_hotline import hotspots, knowledge, reports, training
from gov_hotline.drafting import draft_build
from gov_hotline.models import ClassifierModel, HotspotAlert, TrainingExample
from suite.ai import gateway
from suite.ai.backends import ENGINE_MODULES
from suite.ai.backends.base import ChatBackend, register
from suite.ai.capabilities import Capability
from suite.ai.models import AiModel
from suite.ai.types import ChatResult

from .conftest import new_order

seen_prompts: list[str] = []


@register
class PickSecondCandidate(ChatBackend):
    """A stand-in language model: picks the second candidate it was offered, as JSON, and
    records what it was sent (to prove phone numbers are masked before a prompt)."""

    engine = "test-gh-classify"
    capabilities = frozenset({Capability.CHAT})

    def chat(self, messages, **kwargs):
        seen_prompts.extend(m.content for m in messages)
        candidates = re.search(r"候选分类：(.*)\n", messages[0].content).group(1).split("；")
        answer = {"subcategory": candidates[1], "request_type": "投诉", "summary": "要求处理"}
        return ChatResult(json.dumps(answer, ensure_ascii=False), 10, 10)


TEXT = "天河区体育西路楼下烧烤店吵到凌晨两点，希望处理，电话13912345678"


def test_the_classifiers_category_stands_and_the_models_pick_is_kept_beside_it(
    trained_a, monkeypatch
):
    monkeypatch.setitem(ENGINE_MODULES, PickSecondCandidate.engine, __name__)
    AiModel.objects.create(
        tenant=trained_a.tenant, name="gh", capability=Capability.CHAT, engine="test-gh-classify"
    )
    seen_prompts.clear()
    draft = draft_build(caller=gateway.Caller(tenant=trained_a.tenant), text=TEXT)
    first, second = (c["subcategory"] for c in draft["candidates"][:2])
    # Measured on the bench: where they disagree, the classifier is right three times as often.
    assert f"{draft['category']}/{draft['subcategory']}" == first
    assert draft["sources"]["chat_subcategory"] == second
    assert draft["sources"]["chat"] == "gh" and draft["fallback"] is False
    assert draft["summary"] == "要求处理"
    assert not any("13912345678" in p for p in seen_prompts)
    assert any("139****5678" in p for p in seen_prompts)


def test_training_caches_embeddings_and_reports_held_out_metrics(trained_a):
    assert trained_a.version == 1 and trained_a.is_active
    metrics = trained_a.metrics
    assert 0 < metrics["subcategory_accuracy"] <= 1 and 0 < metrics["subcategory_macro_f1"] <= 1
    examples = TrainingExample.objects.for_tenant(trained_a.tenant)
    assert not examples.filter(embedding__isnull=True).exists()
    second = training.classifier_train(
        tenant=trained_a.tenant, caller=gateway.Caller(tenant=trained_a.tenant)
    )
    assert second.version == 2
    assert list(
        ClassifierModel.objects.for_tenant(trained_a.tenant).values_list("version", "is_active")
    ) == [(2, True), (1, False)]


def test_training_refuses_too_few_examples(hl_a):
    import pytest

    with pytest.raises(ValueError, match="At least"):
        training.classifier_train(tenant=hl_a, caller=gateway.Caller(tenant=hl_a))


def test_shipped_labelled_set_is_large_and_uses_the_default_taxonomy():
    from gov_hotline.taxonomy import DEFAULT_TAXONOMY, REQUEST_TYPES

    rows = training.labelled_rows()
    assert len({r["group"] for r in rows}) >= 290 and len(rows) >= 580
    for row in rows:
        assert row["subcategory"] in DEFAULT_TAXONOMY[row["category"]]
        assert row["request_type"] in REQUEST_TYPES
    assert {r["category"] for r in rows} == set(DEFAULT_TAXONOMY)


def test_kb_answer_cites_the_matching_article(hl_a):
    caller = gateway.Caller(tenant=hl_a)
    knowledge.article_save(
        caller=caller,
        title="低保申请条件",
        answer="家庭人均收入低于当地低保标准的，可向户籍所在地镇街提出申请。",
        source="《社会救助暂行办法》",
    )
    knowledge.article_save(
        caller=caller, title="居住证办理", answer="持身份证和住所证明到派出所申领居住证。"
    )
    answer = knowledge.kb_answer(caller=caller, question="家里困难怎么申请低保")
    assert answer.citations[0]["title"] == "低保申请条件"
    assert answer.engine == "extractive" and answer.fallback
    assert "低保" in answer.text
    assert knowledge.kb_rebuild(caller=caller) == 2


def test_the_bundled_model_answers_policy_questions_from_the_cited_article(hl_a, language_model):
    caller = gateway.Caller(tenant=hl_a)
    knowledge.article_save(
        caller=caller,
        title="居住证办理",
        answer="持身份证、住所证明和劳动合同到居住地派出所申领居住证，15个工作日内办结。",
    )
    knowledge.article_save(
        caller=caller,
        title="低保申请条件",
        answer="家庭人均收入低于当地低保标准的，可向户籍所在地镇街提出申请。",
    )
    answer = knowledge.kb_answer(caller=caller, question="外地人来这边上班，要办那个证得带啥材料")
    assert answer.engine == "openai-compatible" and answer.fallback is False
    assert "身份证" in answer.text
    assert [c["title"] for c in answer.citations] == ["居住证办理"]


def test_hotspot_warning_is_recorded_once(hl_a):
    for i in range(5):
        new_order(hl_a, text=f"天河区体育西路工地夜间施工噪音扰民，第{i}位市民反映")
    new_order(
        hl_a, text="海珠区自来水发黄", district="海珠区", category="公用事业", subcategory="供水"
    )
    [cluster, quiet] = hotspots.clusters(hl_a)
    assert cluster.is_warning and cluster.district.name == "天河区" and not quiet.is_warning
    alerts = hotspots.hotspot_scan(tenant=hl_a)
    assert len(alerts) == 1 and alerts[0].count == 5
    assert hotspots.hotspot_scan(tenant=hl_a) == []
    assert HotspotAlert.objects.for_tenant(hl_a).count() == 1


def test_reports_render_xlsx_and_pdf(hl_a, hl_b):
    new_order(hl_a)
    new_order(hl_b)
    data = reports.report_data(hl_a, "weekly")
    assert data["total"] == 1 and data["by_category"] == [("生态环境", 1)]
    book = load_workbook(io.BytesIO(reports.render_xlsx(data)))
    assert book.sheetnames == ["概况", "按分类", "按区域", "按诉求类型", "热点"]
    assert book["概况"]["B3"].value == 1
    pdf = reports.render_pdf(data)
    assert pdf.startswith(b"%PDF") and b"NotoSans" in pdf  # the CJK font is embedded


def test_demo_seed_trains_the_classifier_in_a_job(db):
    from gov_hotline import demo
    from gov_hotline.drafting import draft_build
    from gov_hotline.models import ClassifierModel, TrainingExample
    from suite.jobs.models import Job
    from suite.tenancy.demo import seed_demo as seed_suite
    from suite.tenancy.models import Tenant

    seed_suite()
    demo.seed_demo()
    tenant = Tenant.objects.get(slug=demo.TENANT)
    job = Job.objects.get(tenant=tenant, kind="gov_hotline.train")
    assert job.status == "queued"  # for the worker; seeding did not embed anything
    assert not ClassifierModel.objects.for_tenant(tenant).exists()
    assert TrainingExample.objects.for_tenant(tenant).count() >= 300
    draft = draft_build(caller=gateway.Caller(tenant=tenant), text=TEXT_FOR_DEMO)
    assert draft["sources"]["classifier"] == "training" and draft["fallback"] is True
    assert "being trained" in draft["fallback_reason"]
    demo.seed_demo()  # idempotent: no second training job
    assert Job.objects.filter(tenant=tenant, kind="gov_hotline.train").count() == 1
    # the seeded orders hold the address their callers gave, as a draft would
    from gov_hotline.models import WorkOrder

    addresses = list(WorkOrder.objects.for_tenant(tenant).values_list("text", "address"))
    assert sum(bool(address) for _text, address in addresses) >= len(addresses) // 2
    assert all(address in text for text, address in addresses if address)
    # ... and a one-line summary and the caller's contact, not the call's first 60 characters
    orders = list(WorkOrder.objects.for_tenant(tenant))
    greeted = [o for o in orders if o.text.startswith(("你好", "喂", "我是附近的居民"))]
    assert greeted and not any(o.summary.startswith(("你好", "喂", "我是附近")) for o in greeted)
    named = [o for o in orders if "我姓" in o.text or "联系人" in o.text]
    assert named and all(o.contact_name and o.contact_name in o.text for o in named)
    with_phone = [o for o in orders if re.search(r"1[3-9]\d{9}", o.text)]
    assert with_phone and all(o.contact_phone in o.text for o in with_phone)
    assert not any(re.search(r"1[3-9]\d{9}", o.summary) for o in orders)


TEXT_FOR_DEMO = "天河区体育西路的工地晚上还在打桩施工，噪音太大了"


def test_the_bundled_model_drafts_the_order_in_the_schema(trained_a, language_model):
    text = "我姓王，住在天河区体育西路华景花园3栋，楼下烧烤店每天吵到凌晨两点，希望派人管一管"
    draft = draft_build(caller=gateway.Caller(tenant=trained_a.tenant), text=text)
    assert draft["sources"]["chat"] == language_model.served_name
    assert draft["fallback"] is False
    subcategory = f"{draft['category']}/{draft['subcategory']}"
    assert subcategory in [c["subcategory"] for c in draft["candidates"]]
    assert draft["district"] == "天河区"  # one of the tenant's own districts
    # The address is a place the citizen named, not "我是…" or an invented one.
    assert draft["address"] and draft["address"] in text and not draft["address"].startswith("我")
    assert draft["summary"] and draft["summary"] != text[:60]
    assert draft["request_type"] in ("投诉", "求助", "举报", "建议", "咨询", "表扬")
