"""Portal pages by role, the agent's intake (text and recording), and the tenant wall."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from gov_hotline import services
from gov_hotline.models import Category, Department, TrainingExample, WorkOrder
from suite.jobs.models import Job, JobStatus
from tests.cross_tenant import covers

from .conftest import new_order

AUDIO = Path(__file__).parents[1] / "ai" / "data" / "mandarin_kokoro.wav"
TEXT = "你好，我住在天河区体育西路，楼下烧烤店天天吵到凌晨两点，希望有关部门处理。电话13912345678"


def login(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"  # the portal is Chinese unless the user picks
    client.force_login(user)
    return client


def _dispatched(tenant, code="sthj"):
    order = new_order(tenant)
    services.order_dispatch(order=order, lead=Department.objects.for_tenant(tenant).get(code=code))
    return order, order.assignments.get()


@covers("gov_hotline:intake")
def test_intake_text_draft_then_confirm_with_correction(trained_a, agent_a, hl_b, admin_b):
    client = login(agent_a)
    page = client.post("/gov-hotline/intake/", {"step": "draft", "text": TEXT})
    assert page.status_code == 200
    html = page.content.decode()
    assert 'value="生态环境/噪音污染" selected' in html
    assert "139****5678" in html
    shown = html.split('id="gh-text">', 1)[1].split("</p>", 1)[0]
    assert "13912345678" not in shown and "139****5678" in shown
    assert "Fallback" in html  # no chat model configured: labelled
    draft = page.context["confirm"].initial["draft"]
    saved = client.post(
        "/gov-hotline/intake/",
        {
            "step": "save",
            "text": TEXT,
            "draft": draft,
            "request_type": "投诉",
            "subcategory": "生态环境/油烟污染",  # the agent corrects the category
            "district": "天河区",
            "address": "体育西路",
            "summary": "烧烤店夜间噪音和油烟扰民",
            "urgency": "normal",
        },
    )
    order = WorkOrder.objects.get()
    assert saved.status_code == 302 and saved["Location"] == f"/gov-hotline/orders/{order.pk}/"
    assert order.subcategory.name == "油烟污染" and order.contact_phone == "13912345678"
    assert TrainingExample.objects.get(order=order).corrected_fields == ["subcategory"]
    # Tenant B's agent sees B's catalogue only: a category added in A is not offered.
    top = Category.objects.for_tenant(order.tenant).get(parent=None, name="生态环境")
    services.category_create(tenant=order.tenant, name="光污染A", parent=top)
    other = login(admin_b).post("/gov-hotline/intake/", {"step": "draft", "text": TEXT})
    assert "光污染A" not in other.content.decode()
    assert other.context["draft"]["subcategory"] == ""  # B has no classifier; A's is not used


@covers("gov_hotline:intake_recording")
def test_intake_recording_is_a_job_on_the_asr_queue(
    trained_a, hl_b, agent_a, admin_b, eager, django_capture_on_commit_callbacks
):
    from gov_hotline.models import RecordingIntake
    from gov_hotline.tasks import transcribe_intake

    assert transcribe_intake.route_queue == "asr"
    client = login(agent_a)
    upload = SimpleUploadedFile("call.wav", AUDIO.read_bytes(), content_type="audio/wav")
    with django_capture_on_commit_callbacks(execute=True):
        posted = client.post("/gov-hotline/intake/", {"step": "draft", "recording": upload})
    started = RecordingIntake.objects.get(tenant=hl_a_of(trained_a))
    assert posted.status_code == 302
    assert posted["Location"] == f"/gov-hotline/intake/recordings/{started.pk}/"
    assert started.recording.read() == AUDIO.read_bytes()  # the validated upload, stored
    job = Job.objects.get(pk=started.job_id)
    assert (job.kind, job.status) == ("gov_hotline.transcribe", JobStatus.SUCCEEDED), job.error
    page = client.get(posted["Location"])
    initial = page.context["confirm"].initial
    assert "宽带" in initial["text"]  # the committed clip talks about broadband
    assert '"start"' in initial["transcript"]
    assert f'name="intake" value="{started.pk}"' in page.content.decode()
    # Another tenant cannot see the recording or its draft.
    assert login(admin_b).get(posted["Location"]).status_code == 404
    # Confirming keeps the recording with the order.
    form = {k: v for k, v in initial.items() if v is not None}
    form.update(step="save", intake=str(started.pk), direct_answer="")
    saved = client.post("/gov-hotline/intake/", form)
    assert saved.status_code == 302, saved.content.decode()[:800]
    order = WorkOrder.objects.get(tenant=started.tenant)
    assert order.channel == "recording"
    assert order.recording.read() == AUDIO.read_bytes()


def test_intake_recording_shows_progress_until_the_job_ends(hl_a, agent_a):
    from gov_hotline.models import RecordingIntake

    client = login(agent_a)
    upload = SimpleUploadedFile("call.wav", AUDIO.read_bytes(), content_type="audio/wav")
    posted = client.post("/gov-hotline/intake/", {"step": "draft", "recording": upload})
    started = RecordingIntake.objects.get(tenant=hl_a)
    page = client.get(posted["Location"]).content.decode()
    assert "data-job-progress" in page  # not run yet: no worker in this test
    assert f'data-job-id="{started.job_id}"' in page
    # The shared progress component follows the job over the jobs socket and reloads the page
    # when it ends (static scripts: the Content-Security-Policy forbids inline ones).
    assert "portal/jobsocket.js" in page and "portal/job_progress.js" in page
    script = (settings.BASE_DIR / "suite/portal/static/portal/jobsocket.js").read_text()
    assert "/ws/jobs/" in script
    script = (settings.BASE_DIR / "suite/portal/static/portal/job_progress.js").read_text()
    assert "reload" in script
    Job.objects.filter(pk=started.job_id).update(status=JobStatus.FAILED, error="ASR down")
    failed = client.get(posted["Location"]).content.decode()
    assert "Recording transcription failed." in failed and "ASR down" in failed


def hl_a_of(model):
    return model.tenant


@pytest.mark.parametrize(
    ("name", "data", "fragment"),
    [
        ("call.txt", b"hello", "Upload a recording as"),
        ("call.wav", b"RIFF not really a wave file", "could not decode audio"),
        ("call.wav", b"", "empty"),
    ],
)
def test_intake_rejects_bad_recordings(hl_a, agent_a, name, data, fragment):
    client = login(agent_a)
    upload = SimpleUploadedFile(name, data, content_type="application/octet-stream")
    page = client.post("/gov-hotline/intake/", {"step": "draft", "recording": upload})
    assert page.status_code == 200
    assert fragment in page.content.decode()
    assert not WorkOrder.objects.exists()
    assert not Job.objects.exists()  # nothing stored or enqueued for a bad upload


def test_intake_rejects_garbage_text(hl_a, agent_a):
    page = login(agent_a).post("/gov-hotline/intake/", {"step": "draft", "text": "？？？!!!"})
    assert "no words to work with" in page.content.decode()


@covers("gov_hotline:home", "gov_hotline:orders", "gov_hotline:order")
def test_orders_pages_are_tenant_scoped(hl_a, hl_b, dispatcher_a, admin_b):
    order = new_order(hl_a)
    mine = login(dispatcher_a)
    assert order.number in mine.get("/gov-hotline/orders/").content.decode()
    detail = mine.get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    assert "市生态环境局" in detail  # dispatch suggestion with its reason
    assert "派单目录" in detail or "Dispatch catalogue" in detail
    other = login(admin_b)
    assert order.number not in other.get("/gov-hotline/orders/").content.decode()
    assert other.get(f"/gov-hotline/orders/{order.pk}/").status_code == 404
    home = other.get("/gov-hotline/").context["counts"]
    assert sum(n for _label, _code, n in home) == 0
    assert sum(n for _l, _c, n in mine.get("/gov-hotline/").context["counts"]) == 1


@covers("gov_hotline:order_act")
def test_dispatch_close_visit_through_the_portal(hl_a, hl_b, dispatcher_a, handler_a, admin_b):
    order = new_order(hl_a)
    sthj = Department.objects.for_tenant(hl_a).get(code="sthj")
    act = f"/gov-hotline/orders/{order.pk}/act/"
    assert login(admin_b).post(act, {"action": "dispatch", "lead": sthj.pk}).status_code == 404
    client = login(dispatcher_a)
    client.post(act, {"action": "dispatch", "lead": sthj.pk})
    order.refresh_from_db()
    assert order.status == "dispatched"
    assignment = order.assignments.get()
    assert "派单目录" in assignment.reason or "Dispatch catalogue" in assignment.reason
    services.assignment_accept(assignment=assignment, user=handler_a)
    services.assignment_reply(
        assignment=assignment,
        reply="经现场核实，该工地夜间打桩施工无许可，已责令停止夜间施工并立案处罚。",
        user=handler_a,
    )
    client.post(act, {"action": "close"})
    client.post(act, {"action": "visit", "satisfaction": "unsatisfied", "comment": "还在吵"})
    order.refresh_from_db()
    assert order.status == "in_progress" and order.reopen_count == 1
    bad = client.post(act, {"action": "transfer", "line": "999"}, follow=True)
    assert "110, 119, 120 and 122" in bad.content.decode()


def test_agent_cannot_dispatch_and_handler_cannot_see_orders(hl_a, agent_a, handler_a):
    order = new_order(hl_a)
    sthj = Department.objects.for_tenant(hl_a).get(code="sthj")
    login(agent_a).post(
        f"/gov-hotline/orders/{order.pk}/act/", {"action": "dispatch", "lead": sthj.pk}
    )
    order.refresh_from_db()
    assert order.status == "new"
    assert login(handler_a).get("/gov-hotline/orders/").status_code == 404
    assert login(agent_a).get("/gov-hotline/catalogue/").status_code == 404


@covers("gov_hotline:queue", "gov_hotline:assignment")
def test_department_queue_accept_reply(hl_a, hl_b, handler_a, handler_b):
    order, assignment = _dispatched(hl_a)
    queue = login(handler_a).get("/gov-hotline/queue/").content.decode()
    assert order.number in queue
    assert order.number not in login(handler_b).get("/gov-hotline/queue/").content.decode()
    assert login(handler_b).get(f"/gov-hotline/queue/{assignment.pk}/").status_code == 404
    client = login(handler_a)
    url = f"/gov-hotline/queue/{assignment.pk}/"
    client.post(url, {"action": "accept"})
    incomplete = client.post(url, {"action": "reply", "reply": "好的"}, follow=True)
    assert "does not state a result" in incomplete.content.decode()
    evidence = SimpleUploadedFile("photo.png", b"not an image", content_type="image/png")
    bad = client.post(
        url,
        {"action": "reply", "reply": "已处理完毕，工地已停止夜间打桩施工。", "evidence": evidence},
        follow=True,
    )
    assert bad.status_code == 200
    assignment.refresh_from_db()
    assert assignment.status == "accepted" and not assignment.evidence
    done = client.post(
        url, {"action": "reply", "reply": "经核实，已责令工地停止夜间打桩施工，噪音问题已解决。"}
    )
    assert done.status_code == 302
    order.refresh_from_db()
    assert order.status == "replied"


def test_an_order_without_contact_prints_no_empty_contact_line(hl_a, handler_a, dispatcher_a):
    order, assignment = _dispatched(hl_a)
    handler_page = login(handler_a).get(f"/gov-hotline/queue/{assignment.pk}/").content.decode()
    order_page = login(dispatcher_a).get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    assert "Contact:" not in handler_page
    assert "<dt>Contact</dt><dd>—</dd>" in order_page

    order.contact_name, order.contact_phone = "王先生", "13912345678"
    order.save(update_fields=["contact_name", "contact_phone"])
    handler_page = login(handler_a).get(f"/gov-hotline/queue/{assignment.pk}/").content.decode()
    assert "Contact: 王先生 139****5678" in handler_page


def test_handler_outside_the_department_gets_404(hl_a, handler_a):
    _order, assignment = _dispatched(hl_a, code="jyj")
    assert login(handler_a).get(f"/gov-hotline/queue/{assignment.pk}/").status_code == 404


@covers("gov_hotline:extension_decide")
def test_extension_decision_is_tenant_scoped(hl_a, hl_b, handler_a, dispatcher_a, admin_b):
    _order, assignment = _dispatched(hl_a)
    services.assignment_accept(assignment=assignment, user=handler_a)
    extension = services.extension_request(
        assignment=assignment, working_days=2, reason="需要等待检测报告", user=handler_a
    )
    url = f"/gov-hotline/extensions/{extension.pk}/decide/"
    assert login(admin_b).post(url, {"decision": "approve"}).status_code == 404
    login(dispatcher_a).post(url, {"decision": "reject"})
    extension.refresh_from_db()
    assert extension.status == "rejected"


@covers("gov_hotline:kb")
def test_kb_answers_with_citations_and_labels_the_fallback(hl_a, hl_b, agent_a, admin_a, admin_b):
    admin = login(admin_a)
    admin.post(
        "/gov-hotline/knowledge/",
        {
            "title": "居住证办理指南",
            "question": "怎么办理居住证",
            "answer": "持身份证和住所证明到居住地派出所申领居住证，15个工作日内发证。",
            "source": "《居住证暂行条例》",
        },
    )
    page = login(agent_a).get("/gov-hotline/knowledge/", {"q": "居住证怎么办"})
    answer = page.context["answer"]
    assert answer.citations[0]["title"] == "居住证办理指南"
    assert answer.fallback  # the extractive answerer, labelled
    assert "Extractive answer" in page.content.decode()
    other = login(admin_b).get("/gov-hotline/knowledge/", {"q": "居住证怎么办"})
    assert "居住证办理指南" not in other.content.decode()


@covers("gov_hotline:hotspots", "gov_hotline:report_download")
def test_hotspots_and_reports(
    hl_a, hl_b, dispatcher_a, admin_b, eager, django_capture_on_commit_callbacks
):
    for i in range(5):
        new_order(hl_a, text=f"天河区体育西路工地夜间施工噪音扰民第{i}次反映")
    client = login(dispatcher_a)
    page = client.get("/gov-hotline/hotspots/")
    assert '<svg class="chart" id="gh-trend"' in page.content.decode()
    [cluster] = page.context["clusters"]
    assert cluster.count == 5 and cluster.is_warning
    assert login(admin_b).get("/gov-hotline/hotspots/").context["clusters"] == []
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/gov-hotline/hotspots/", {"period": "daily", "format": "xlsx"})
    job = Job.objects.get(kind="gov_hotline.report")
    assert job.status == JobStatus.SUCCEEDED, job.error
    download = client.get(f"/gov-hotline/reports/{job.pk}/")
    assert download.status_code == 200
    body = b"".join(download.streaming_content)
    assert body[:2] == b"PK"  # an XLSX is a zip
    assert login(admin_b).get(f"/gov-hotline/reports/{job.pk}/").status_code == 404


@covers("gov_hotline:catalogue")
def test_catalogue_edit_and_retrain(
    hl_a, hl_b, admin_a, admin_b, eager, django_capture_on_commit_callbacks
):
    from gov_hotline import training

    from .conftest import subset_rows

    training.examples_import_labelled(tenant=hl_a, rows=subset_rows())
    client = login(admin_a)
    client.post("/gov-hotline/catalogue/", {"action": "add", "name": "共享单车", "parent": ""})
    assert Category.objects.for_tenant(hl_a).filter(name="共享单车", parent=None).exists()
    assert "共享单车" not in login(admin_b).get("/gov-hotline/catalogue/").content.decode()
    noise = Category.objects.for_tenant(hl_a).get(name="噪音污染")
    assert (
        login(admin_b)
        .post("/gov-hotline/catalogue/", {"action": "toggle", "category": noise.pk})
        .status_code
        == 404
    )
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/gov-hotline/catalogue/", {"action": "train"})
    job = Job.objects.get(kind="gov_hotline.train")
    assert job.status == JobStatus.SUCCEEDED, job.error
    assert job.result["version"] == 1 and job.result["metrics"]["n"] > 0
    page = client.get("/gov-hotline/catalogue/").content.decode()
    assert "Version 1" in page


def test_admin_edits_holidays_deadlines_and_the_dispatch_catalogue(hl_a, hl_b, admin_a):
    from gov_hotline.models import DispatchRule, District, Holiday, SlaRule
    from gov_hotline.selectors import dispatch_suggestions

    client = login(admin_a)
    url = "/gov-hotline/catalogue/"
    client.post(url, {"action": "holiday", "date": "2026-10-01", "name": "国庆节"})
    assert Holiday.objects.for_tenant(hl_a).get().name == "国庆节"
    bad = client.post(
        url,
        {"action": "sla", "request_type": "投诉", "urgency": "normal", "working_days": 99},
        follow=True,
    )
    assert "between 0 and 60" in bad.content.decode()
    client.post(
        url, {"action": "sla", "request_type": "投诉", "urgency": "normal", "working_days": 3}
    )
    assert SlaRule.objects.for_tenant(hl_a).get().working_days == 3
    noise = Category.objects.for_tenant(hl_a).get(name="噪音污染")
    district = District.objects.for_tenant(hl_a).get(name="天河区")
    cgj = Department.objects.for_tenant(hl_a).get(code="cgj")
    client.post(
        url,
        {
            "action": "rule",
            "subcategory": noise.pk,
            "district": district.pk,
            "department": cgj.pk,
            "role": "lead",
        },
    )
    assert DispatchRule.objects.for_tenant(hl_a).filter(district=district, department=cgj).exists()
    assert dispatch_suggestions(new_order(hl_a))[0].department == cgj
    # Another tenant's department id is a 404, never a rule pointing across tenants.
    foreign = Department.objects.for_tenant(hl_b).get(code="cgj")
    response = client.post(
        url, {"action": "rule", "subcategory": noise.pk, "department": foreign.pk, "role": "lead"}
    )
    assert response.status_code in (200, 404)
    assert not DispatchRule.objects.filter(tenant=hl_a, department=foreign).exists()


def test_admin_adds_districts_and_installs_the_default_catalogue(hl_a, hl_b, admin_a):
    from gov_hotline.models import District, TrainingExample

    client = login(admin_a)
    url = "/gov-hotline/catalogue/"
    client.post(url, {"action": "district", "name": "前海合作区"})
    assert District.objects.for_tenant(hl_a).filter(name="前海合作区").exists()
    assert not District.objects.for_tenant(hl_b).filter(name="前海合作区").exists()
    refused = client.post(url, {"action": "district", "name": ""}, follow=True)
    assert refused.status_code == 200 and "1 to 40 characters" in refused.content.decode()

    examples = TrainingExample.objects.for_tenant(hl_a).count()
    client.post(url, {"action": "install"})
    assert TrainingExample.objects.for_tenant(hl_a).count() > examples
    assert Category.objects.for_tenant(hl_a).filter(parent=None).exists()
    # An action the page does not have changes nothing and shows the page again.
    districts = District.objects.for_tenant(hl_a).count()
    assert client.post(url, {"action": "explode"}).status_code == 200
    assert District.objects.for_tenant(hl_a).count() == districts


def test_admin_manages_department_handlers(hl_a, hl_b, admin_a, handler_b, agent_a):
    from suite.tenancy.models import Role
    from tests.factories import member

    new_handler = member(hl_a, Role.DEPARTMENT_HANDLER, username="new_handler")
    sthj = Department.objects.for_tenant(hl_a).get(code="sthj")
    client = login(admin_a)
    url = "/gov-hotline/catalogue/"
    client.post(url, {"action": "member_add", "department": sthj.pk, "user": new_handler.pk})
    assert sthj.members.filter(pk=new_handler.pk).exists()
    refused = client.post(
        url, {"action": "member_add", "department": sthj.pk, "user": agent_a.pk}, follow=True
    )
    assert "Only department handlers" in refused.content.decode()
    # A user of another tenant is not found, like one that does not exist.
    foreign = client.post(
        url, {"action": "member_add", "department": sthj.pk, "user": handler_b.pk}
    )
    assert foreign.status_code == 404 and not sthj.members.filter(pk=handler_b.pk).exists()
    client.post(url, {"action": "member_remove", "department": sthj.pk, "user": new_handler.pk})
    assert not sthj.members.filter(pk=new_handler.pk).exists()


def test_intake_flags_likely_duplicates_and_merges_at_once(hl_a, hl_b, agent_a):
    earlier = new_order(hl_a, text="体育西路的工地晚上十一点还在打桩施工，噪音太大了，吵得睡不着")
    unrelated = new_order(
        hl_a,
        text="海珠区自来水发黄有异味",
        district="海珠区",
        category="公用事业",
        subcategory="供水",
    )
    theirs = new_order(hl_b, text=earlier.text)
    client = login(agent_a)
    text = "天河区体育西路那个工地晚上十一点还在打桩施工，噪音太大了，希望处理"
    page = client.post("/gov-hotline/intake/", {"step": "draft", "text": text})
    shown = [o.pk for o, _score in page.context["duplicates"]]
    assert shown == [earlier.pk]  # not the unrelated order, not the other tenant's
    html = page.content.decode()
    assert f'name="merge_into" value="{earlier.pk}"' in html
    form = {
        "step": "save",
        "text": text,
        "draft": page.context["confirm"].initial["draft"],
        "request_type": "投诉",
        "subcategory": "生态环境/噪音污染",
        "district": "天河区",
        "address": "体育西路",
        "summary": "工地夜间打桩噪音扰民",
        "urgency": "normal",
    }
    # Another tenant's order cannot be the main one: refused, nothing saved.
    refused = client.post("/gov-hotline/intake/", {**form, "merge_into": str(theirs.pk)})
    assert refused.status_code == 200
    assert "does not exist" in refused.content.decode()
    assert WorkOrder.objects.filter(tenant=hl_a).count() == 2
    assert WorkOrder.objects.get(pk=theirs.pk).status == "new"
    saved = client.post("/gov-hotline/intake/", {**form, "merge_into": str(earlier.pk)})
    assert saved.status_code == 302 and saved["Location"] == f"/gov-hotline/orders/{earlier.pk}/"
    new = WorkOrder.objects.for_tenant(hl_a).exclude(pk__in=[earlier.pk, unrelated.pk]).get()
    assert new.status == "merged" and new.merged_into_id == earlier.pk


def test_kb_articles_are_edited_and_deleted_by_the_admin_only(
    hl_a, hl_b, admin_a, admin_b, agent_a
):
    from gov_hotline import knowledge
    from gov_hotline.models import PolicyArticle
    from suite.ai import gateway

    caller = gateway.Caller(tenant=hl_a)
    article = knowledge.article_save(
        caller=caller, title="居住证办理指南", answer="持身份证和住所证明到派出所申领居住证。"
    )
    admin = login(admin_a)
    form = admin.get("/gov-hotline/knowledge/", {"edit": article.pk}).content.decode()
    assert 'value="居住证办理指南"' in form and f'name="article" value="{article.pk}"' in form
    # Another tenant's admin cannot open, edit or delete it.
    assert login(admin_b).get("/gov-hotline/knowledge/", {"edit": article.pk}).status_code == 404
    theirs = login(admin_b).post(
        "/gov-hotline/knowledge/", {"article": article.pk, "action": "delete"}
    )
    assert theirs.status_code == 404
    # An agent's post changes nothing.
    login(agent_a).post("/gov-hotline/knowledge/", {"article": article.pk, "action": "delete"})
    assert PolicyArticle.objects.filter(pk=article.pk).exists()
    bad = admin.post(
        "/gov-hotline/knowledge/", {"article": article.pk, "title": "居住证", "answer": "短"}
    )
    assert bad.status_code == 200
    assert PolicyArticle.objects.get(pk=article.pk).title == "居住证办理指南"  # nothing saved
    edited = admin.post(
        "/gov-hotline/knowledge/",
        {
            "article": article.pk,
            "title": "居住证申领指南（2026年修订）",
            "answer": "持身份证、住所证明和近期照片到居住地派出所申领，15个工作日内发证。",
            "source": "《居住证暂行条例》",
        },
    )
    assert edited.status_code == 302
    assert PolicyArticle.objects.for_tenant(hl_a).count() == 1
    answer = knowledge.kb_answer(caller=caller, question="居住证怎么申领")
    assert answer.citations[0]["title"] == "居住证申领指南（2026年修订）"
    deleted = admin.post("/gov-hotline/knowledge/", {"article": article.pk, "action": "delete"})
    assert deleted.status_code == 302
    assert not PolicyArticle.objects.filter(pk=article.pk).exists()
    assert knowledge.kb_open(caller).get(str(article.pk)) is None  # gone from the index too


def test_handler_overview_counts_only_their_departments(hl_a, handler_a, dispatcher_a):
    mine = new_order(hl_a)
    services.order_dispatch(order=mine, lead=Department.objects.for_tenant(hl_a).get(code="sthj"))
    other = new_order(hl_a)
    services.order_dispatch(order=other, lead=Department.objects.for_tenant(hl_a).get(code="jtj"))
    new_order(hl_a)  # not dispatched yet

    def total(user):
        return sum(n for _label, _code, n in login(user).get("/gov-hotline/").context["counts"])

    assert total(handler_a) == 1
    assert total(dispatcher_a) == 3
