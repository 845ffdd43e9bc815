"""The order workflow end to end through the services: dispatch, accept, return, extension,
reply with completeness check, close, return visit, reopen, merge, transfer, deadlines."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gov_hotline import services
from gov_hotline.models import (
    Assignment,
    Category,
    Department,
    ExampleSource,
    OrderEvent,
    TrainingExample,
    WorkOrder,
)
from gov_hotline.selectors import dispatch_suggestions, duplicate_candidates

from .conftest import new_order

GOOD_REPLY = "经现场核实，该工地无夜间施工许可，已责令停止夜间打桩施工并立案处罚，已告知市民。"


def _dep(tenant, code):
    return Department.objects.for_tenant(tenant).get(code=code)


def test_default_taxonomy_is_exactly_the_issue_list(hl_a):
    tops = list(
        Category.objects.for_tenant(hl_a)
        .filter(parent=None)
        .order_by("position")
        .values_list("name", flat=True)
    )
    assert tops == [
        "城乡建设", "生态环境", "交通运输", "劳动保障", "市场监管", "教育", "医疗卫生",
        "公共安全", "公用事业", "住房保障", "民政", "农业农村", "其他",
    ]  # fmt: skip
    assert Category.objects.for_tenant(hl_a).filter(parent__name="劳动保障", name="欠薪").exists()
    # Idempotent.
    count = Category.objects.for_tenant(hl_a).count()
    services.catalogue_install_defaults(tenant=hl_a)
    assert Category.objects.for_tenant(hl_a).count() == count


def test_taxonomy_is_editable_per_tenant(hl_a, hl_b):
    top = Category.objects.for_tenant(hl_a).get(parent=None, name="生态环境")
    services.category_create(tenant=hl_a, name="光污染", parent=top)
    assert not Category.objects.for_tenant(hl_b).filter(name="光污染").exists()
    with pytest.raises(ValidationError):
        services.category_create(tenant=hl_a, name="光污染", parent=top)
    other_top = Category.objects.for_tenant(hl_b).get(parent=None, name="生态环境")
    with pytest.raises(ValidationError):
        services.category_create(tenant=hl_a, name="辐射", parent=other_top)


def test_suggestions_come_from_the_catalogue_with_reasons(hl_a):
    order = new_order(hl_a)
    suggestions = dispatch_suggestions(order)
    assert suggestions[0].department.code == "sthj" and suggestions[0].role == "lead"
    assert "噪音污染" in suggestions[0].reasons[0]
    assert {s.department.code for s in suggestions if s.role == "co"} == {"gaj"}


def test_district_rule_beats_the_city_wide_one(hl_a):
    from gov_hotline.models import DispatchRule, District

    order = new_order(hl_a)
    special = Department.objects.create(tenant=hl_a, code="th-env", name="天河区生态环境分局")
    DispatchRule.objects.create(
        tenant=hl_a,
        category=order.subcategory,
        district=District.objects.for_tenant(hl_a).get(name="天河区"),
        department=special,
    )
    assert dispatch_suggestions(order)[0].department == special


def test_full_cycle_with_extension_reopen_and_history(hl_a, dispatcher_a, handler_a):
    order = new_order(hl_a)
    assert order.status == "new" and order.due_at > timezone.now()
    services.order_dispatch(
        order=order, lead=_dep(hl_a, "sthj"), co=[_dep(hl_a, "gaj")], user=dispatcher_a
    )
    lead = Assignment.objects.for_tenant(hl_a).get(order=order, role="lead")
    co = Assignment.objects.for_tenant(hl_a).get(order=order, role="co")
    assert order.status == "dispatched"

    with pytest.raises(ValidationError):  # must accept first
        services.assignment_reply(assignment=lead, reply=GOOD_REPLY, user=handler_a)
    services.assignment_accept(assignment=lead, user=handler_a)
    services.assignment_accept(assignment=co, user=handler_a)
    order.refresh_from_db()
    assert order.status == "in_progress"

    due = order.due_at
    extension = services.extension_request(
        assignment=lead, working_days=3, reason="需要联合执法，协调住建部门", user=handler_a
    )
    services.extension_decide(extension=extension, approve=True, user=dispatcher_a)
    order.refresh_from_db()
    assert order.due_at > due + timedelta(days=2)

    with pytest.raises(ValidationError) as incomplete:
        services.assignment_reply(assignment=lead, reply="已处理", user=handler_a)
    assert "reply" in incomplete.value.message_dict
    lead.refresh_from_db()
    assert lead.status == "accepted" and lead.reply == ""  # nothing half-saved

    services.assignment_reply(assignment=lead, reply=GOOD_REPLY, user=handler_a)
    order.refresh_from_db()
    assert order.status == "replied"
    services.order_close(order=order, user=dispatcher_a)
    assert order.status == "closed" and order.closed_at

    services.visit_record(order=order, satisfaction="unsatisfied", comment="晚上还在施工")
    order.refresh_from_db()
    assert order.status == "in_progress" and order.reopen_count == 1
    lead.refresh_from_db()
    assert lead.status == "accepted"
    services.assignment_reply(
        assignment=lead, reply=GOOD_REPLY + "复查无夜间施工。", user=handler_a
    )
    services.order_close(order=order, user=dispatcher_a)
    services.visit_record(order=order, satisfaction="satisfied")
    order.refresh_from_db()
    assert order.status == "closed"
    actions = list(order.events.values_list("action", flat=True))
    assert actions == [
        "created", "dispatched", "accepted", "accepted", "extension_requested",
        "extension_approved", "replied", "closed", "reopened", "replied", "closed", "visited",
    ]  # fmt: skip


def test_handler_of_another_department_cannot_act(hl_a, handler_a):
    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "jyj"))  # handler_a is not in 教育局
    assignment = order.assignments.get()
    with pytest.raises(PermissionDenied):
        services.assignment_accept(assignment=assignment, user=handler_a)


def test_return_with_objection_then_reassign(hl_a, handler_a, dispatcher_a):
    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "cgj"))
    assignment = order.assignments.get()
    with pytest.raises(ValidationError):
        services.assignment_return(assignment=assignment, objection="", user=handler_a)
    services.assignment_return(
        assignment=assignment, objection="工地噪音归生态环境局管辖", user=handler_a
    )
    order.refresh_from_db()
    assert order.status == "returned"
    services.order_dispatch(order=order, lead=_dep(hl_a, "sthj"), user=dispatcher_a)
    assert order.status == "dispatched"
    assert order.events.filter(action="reassigned").exists()
    assert list(order.assignments.values_list("status", flat=True)) == ["returned", "pending"]


def test_unknown_category_or_district_saves_nothing(hl_a):
    for bad in ({"subcategory": "不存在"}, {"category": "火星"}, {"district": "火星区"}):
        with pytest.raises(ValidationError):
            new_order(hl_a, **bad)
    with pytest.raises(ValidationError):
        new_order(hl_a, text="！！！？？")
    with pytest.raises(ValidationError):
        new_order(hl_a, text="啊" * 6000)
    assert not WorkOrder.objects.exists() and not OrderEvent.objects.exists()


def test_corrections_are_kept_as_training_data(hl_a):
    draft = {"request_type": "咨询", "category": "城乡建设", "subcategory": "违法建设",
             "district": "天河区", "urgency": "normal"}  # fmt: skip
    order = new_order(hl_a, draft=draft)
    example = TrainingExample.objects.for_tenant(hl_a).get(order=order)
    assert example.source == ExampleSource.CORRECTION
    assert set(example.corrected_fields) == {"request_type", "subcategory"}
    agreed = dict(draft, request_type="投诉", category="生态环境", subcategory="噪音污染")
    order2 = new_order(hl_a, draft=agreed)
    assert TrainingExample.objects.for_tenant(hl_a).get(order=order2).source == ExampleSource.ORDER


def test_duplicates_are_found_and_merged(hl_a, dispatcher_a):
    main = new_order(hl_a)
    dup = new_order(hl_a, text="体育西路那个工地晚上十一点还在打桩施工，噪音太大了")
    other = new_order(
        hl_a,
        text="海珠区自来水发黄有异味",
        district="海珠区",
        subcategory="供水",
        category="公用事业",
    )
    found = [o for o, _score in duplicate_candidates(main)]
    assert found == [dup]
    services.order_merge(main=main, duplicates=[dup], user=dispatcher_a)
    dup.refresh_from_db()
    assert dup.status == "merged" and dup.merged_into == main
    with pytest.raises(ValidationError):
        services.order_merge(main=main, duplicates=[dup])
    other.refresh_from_db()
    assert other.status == "new"


def test_transfer_to_emergency_line(hl_a):
    order = new_order(hl_a, emergency_line="119")
    assert order.status == "transferred"
    order2 = new_order(hl_a)
    with pytest.raises(ValidationError):
        services.order_transfer(order=order2, line="999")
    services.order_transfer(order=order2, line="110")
    assert order2.status == "transferred" and order2.emergency_line == "110"


def test_direct_answer_closes_a_consultation(hl_a):
    order = new_order(
        hl_a,
        text="请问在白云区怎么办理居住证",
        request_type="咨询",
        category="其他",
        subcategory="政策咨询",
        district="白云区",
        summary="咨询居住证办理",
        direct_answer="已告知需持身份证和住所证明到派出所申领。",
    )
    assert order.status == "closed"


def test_sla_sweep_reminds_then_escalates_once(hl_a):
    order = new_order(hl_a)
    now = timezone.now()
    WorkOrder.objects.filter(pk=order.pk).update(due_at=now + timedelta(hours=3))
    assert services.sla_sweep(tenant=hl_a, now=now) == {"reminded": 1, "escalated": 0}
    assert services.sla_sweep(tenant=hl_a, now=now) == {"reminded": 0, "escalated": 0}
    later = now + timedelta(hours=4)
    assert services.sla_sweep(tenant=hl_a, now=later) == {"reminded": 0, "escalated": 1}
    assert services.sla_sweep(tenant=hl_a, now=later) == {"reminded": 0, "escalated": 0}
    assert order.events.filter(action="sla_overdue").count() == 1


def test_sla_by_type_urgency_and_tenant_rule(hl_a):
    from gov_hotline.sla import sla_working_days

    assert sla_working_days(hl_a, "举报", "normal") == 10
    assert sla_working_days(hl_a, "举报", "critical") == 1
    services.sla_rule_set(tenant=hl_a, request_type="举报", urgency="normal", working_days=7)
    assert sla_working_days(hl_a, "举报", "normal") == 7


def test_sweep_task_covers_tenants_separately(hl_a, hl_b):
    from gov_hotline.tasks import sweep

    a = new_order(hl_a)
    new_order(hl_b)
    WorkOrder.objects.filter(pk=a.pk).update(due_at=timezone.now() - timedelta(hours=1))
    result = sweep()
    assert result["tenants"] == 2 and result["escalated"] == 1
    assert not WorkOrder.objects.for_tenant(hl_b).filter(escalated_at__isnull=False).exists()


def test_sweep_is_declared_for_celery_beat():
    from django.apps import apps

    from gov_hotline import tasks  # noqa: F401  (registers the task, as the worker does)
    from suite.celery import app, collect_periodic_tasks

    config = apps.get_app_config("gov_hotline")
    assert config.periodic_tasks["gov-hotline-sweep"]["task"] == "gov_hotline.sweep"
    collect_periodic_tasks(app)
    assert app.conf.beat_schedule["gov-hotline-sweep"]["task"] == "gov_hotline.sweep"
    assert "gov_hotline.sweep" in app.tasks


CONFIRMED = {
    "text": "天河区体育西路那个工地晚上十一点还在打桩施工，噪音太大了，希望处理",
    "request_type": "投诉",
    "subcategory": "生态环境/噪音污染",
    "district": "天河区",
    "address": "体育西路",
    "summary": "工地夜间打桩噪音扰民",
    "urgency": "normal",
}


def test_intake_confirm_links_the_intake_and_picks_the_channel(hl_a, agent_a):
    from gov_hotline.models import RecordingIntake

    typed = services.intake_confirm(tenant=hl_a, user=agent_a, **CONFIRMED)
    assert typed.channel == "phone" and typed.subcategory.name == "噪音污染"
    assert typed.category.name == "生态环境" and typed.created_by == agent_a
    segments = [{"start": 0.0, "end": 3.2, "text": CONFIRMED["text"]}]
    recorded = RecordingIntake.objects.create(tenant=hl_a, text=CONFIRMED["text"])
    heard = services.intake_confirm(
        tenant=hl_a, transcript=segments, draft=["not", "a", "dict"], intake=recorded, **CONFIRMED
    )
    assert heard.channel == "recording" and heard.transcript == segments
    assert heard.draft == {}  # a tampered draft field is dropped, not stored
    recorded.refresh_from_db()
    assert recorded.order_id == heard.pk


def test_intake_confirm_is_all_or_nothing_when_the_merge_is_refused(hl_a, agent_a):
    closed = new_order(hl_a, direct_answer="已当场答复。")
    assert closed.status == "closed"
    with pytest.raises(ValidationError):
        services.intake_confirm(tenant=hl_a, merge_into=closed, user=agent_a, **CONFIRMED)
    assert WorkOrder.objects.for_tenant(hl_a).count() == 1
    main = new_order(hl_a)
    merged = services.intake_confirm(tenant=hl_a, merge_into=main, user=agent_a, **CONFIRMED)
    merged.refresh_from_db()
    assert merged.status == "merged" and merged.merged_into_id == main.pk
    assert merged.text == CONFIRMED["text"]  # the citizen's words stay on the merged order


def test_evidence_check_refuses_by_name_then_size_then_content(monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def check(name, data):
        with pytest.raises(ValidationError) as refused:
            services.evidence_check(upload=SimpleUploadedFile(name, data))
        return refused.value.message_dict["evidence"][0]

    assert "JPEG, PNG or PDF" in check("a.exe", b"%PDF-")
    monkeypatch.setattr(services.dispatch, "MAX_EVIDENCE_BYTES", 8)
    assert "limited to 10 MB" in check("a.pdf", b"%PDF-1.4 0123456789")
    monkeypatch.undo()
    assert "not a PDF" in check("a.pdf", b"GIF89a")
    # Images the loader would read, under another type's name.
    from io import BytesIO

    from PIL import Image

    for fmt, name, named in (("WEBP", "a.jpg", "JPEG"), ("JPEG", "a.png", "PNG")):
        buffer = BytesIO()
        Image.new("RGB", (8, 8)).save(buffer, format=fmt)
        assert f"not a {named}" in check(name, buffer.getvalue())
    buffer = BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    services.evidence_check(upload=SimpleUploadedFile("a.png", buffer.getvalue()))
    assert "truncated" in check("a.pdf", b"%PDF-1.4 cut off here")
    whole = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
    upload = SimpleUploadedFile("a.pdf", whole)
    services.evidence_check(upload=upload)
    assert upload.read() == whole  # left readable from the start for the save
