"""The 12345 pages in zh-hans name every field, urgency, status, history action, handling
role and report period in Chinese (issue 16), and the overview's status links all open."""

import re

from django.test import Client

from gov_hotline import services
from gov_hotline.models import Category, Department, DispatchRule, OrderStatus, WorkOrder
from suite.jobs.models import Job, JobStatus

from .conftest import new_order

BASE = "/api/v1/gov-hotline/open311/v2"


def zh(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.cookies["django_language"] = "zh-hans"
    client.force_login(user)
    return client


def en(user) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.cookies["django_language"] = "en"
    client.force_login(user)
    return client


def _text(html: str) -> str:
    """The page's visible text, without tags (attribute values keep codes on purpose)."""
    return re.sub(r"<[^>]+>", " ", html)


def _department(tenant, code) -> Department:
    return Department.objects.for_tenant(tenant).get(code=code)


def test_intake_draft_field_labels_are_chinese(hl_a, agent_a):
    page = zh(agent_a).post(
        "/gov-hotline/intake/",
        {"step": "draft", "text": "天河区体育西路有人打架，还有人受伤流血了，快派人来"},
    )
    assert page.status_code == 200
    rows = {field: label for field, label, _c, _e in page.context["field_rows"]}
    assert rows["subcategory"] == "小类" and rows["emergency_line"] == "紧急热线"
    text = _text(page.content.decode())
    assert "小类" in text
    assert "Subcategory" not in text and "Emergency line" not in text


def test_urgency_labels_are_distinct_in_the_form_and_open311(hl_a, agent_a, hotline_key_a):
    page = zh(agent_a).post("/gov-hotline/intake/", {"step": "draft", "text": "小区门口路灯坏了"})
    options = dict(page.context["confirm"].fields["urgency"].choices)
    assert [str(options[k]) for k in ("normal", "urgent", "critical")] == ["一般", "紧急", "特急"]
    html = page.content.decode()
    assert re.search(r'<option value="critical"[^>]*>特急</option>', html)
    assert re.search(r'<option value="urgent"[^>]*>紧急</option>', html)
    code = Category.objects.for_tenant(hl_a).get(name="噪音污染").code
    body = Client(HTTP_ACCEPT_LANGUAGE="zh-hans").get(
        f"{BASE}/services/{code}.json", {"api_key": hotline_key_a}
    )
    names = {v["key"]: v["name"] for v in body.json()["attributes"][0]["values"]}
    assert names == {"normal": "一般", "urgent": "紧急", "critical": "特急"}
    assert len(set(names.values())) == 3


def test_order_page_title_history_and_suggestions_in_chinese(hl_a, dispatcher_a, handler_a):
    order = new_order(hl_a)
    html = zh(dispatcher_a).get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    title = html.split("<h1>", 1)[1].split("<small", 1)[0]
    assert f"工单 {order.number}" in title and "顺序" not in title
    suggestions = _text(html.split('id="gh-suggestions"', 1)[1].split("</ul>", 1)[0])
    assert "主办" in suggestions and "协办" in suggestions  # sthj leads, gaj co-handles
    assert "(lead)" not in suggestions and "(co)" not in suggestions
    assert "派单目录" in suggestions

    services.order_dispatch(order=order, lead=_department(hl_a, "sthj"), user=dispatcher_a)
    assignment = order.assignments.get()
    services.assignment_accept(assignment=assignment, user=handler_a)
    html = zh(dispatcher_a).get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    history = html.split('id="gh-history"', 1)[1].split("</table>", 1)[0]
    rows = {
        action: _text(row)
        for action, row in re.findall(r'<tr data-action="(\w+)">(.*?)</tr>', history, re.S)
    }
    assert set(rows) == {"created", "dispatched", "accepted"}
    assert "受理登记" in rows["created"] and "待派单" in rows["created"]
    assert "→" not in rows["created"]  # nothing before the order existed
    assert "派单" in rows["dispatched"] and "待派单 → 已派单" in rows["dispatched"]
    assert "签收" in rows["accepted"] and "已派单 → 办理中" in rows["accepted"]
    visible = _text(history)
    for raw in ("created", "dispatched", "accepted", "new", "in_progress", "system"):
        assert not re.search(rf"\b{raw}\b", visible), raw


def test_english_history_keeps_english_labels(hl_a, dispatcher_a):
    order = new_order(hl_a)
    html = en(dispatcher_a).get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    assert "Order " + order.number in html
    history = _text(html.split('id="gh-history"', 1)[1].split("</table>", 1)[0])
    assert "Created" in history and "Awaiting dispatch" in history


def test_dispatch_reason_names_the_role_the_department_got(hl_a, dispatcher_a, handler_a):
    """The catalogue makes 市公安局 (gaj) a co-handler of noise; dispatched as lead, its reason
    must not say 协办, and its page names it 主办."""
    order = new_order(hl_a)
    gaj = _department(hl_a, "gaj")
    zh(dispatcher_a).post(
        f"/gov-hotline/orders/{order.pk}/act/", {"action": "dispatch", "lead": gaj.pk}
    )
    assignment = order.assignments.get()
    assert assignment.role == "lead" and assignment.department == gaj
    assert "派单目录" in assignment.reason
    assert "协办" not in assignment.reason and "主办" not in assignment.reason
    page = _text(zh(handler_a).get(f"/gov-hotline/queue/{assignment.pk}/").content.decode())
    assert "派单理由（主办）" in page
    assert "协办" not in page


def test_a_catalogue_without_a_lead_suggests_one_and_says_why(hl_a, dispatcher_a):
    order = new_order(hl_a)
    DispatchRule.objects.for_tenant(hl_a).filter(role="lead").delete()
    html = zh(dispatcher_a).get(f"/gov-hotline/orders/{order.pk}/").content.decode()
    first = html.split('id="gh-suggestions"', 1)[1].split("</li>", 1)[0]
    assert 'data-department="gaj"' in first
    assert 'data-role="lead"' in first and "主办" in first
    assert "目录未定主办单位" in first


def test_report_periods_in_chinese(hl_a, dispatcher_a):
    Job.objects.create(
        tenant=hl_a,
        kind="gov_hotline.report",
        status=JobStatus.SUCCEEDED,
        params={"period": "weekly", "format": "pdf"},
        idempotency_key="report-weekly",
    )
    page = zh(dispatcher_a).get("/gov-hotline/hotspots/")
    html = page.content.decode()
    assert re.search(r'<option value="daily"[^>]*>日报</option>', html)
    assert re.search(r'<option value="weekly"[^>]*>周报</option>', html)
    reports = _text(html.split('id="gh-reports"', 1)[1].split("</table>", 1)[0])
    assert "周报 PDF" in reports
    assert "weekly" not in reports and "daily" not in reports


def _status_links(html: str) -> dict[str, str]:
    counts = html.split('id="gh-status-counts"', 1)[1].split("</dl>", 1)[0]
    return {
        code: href.replace("&amp;", "&")
        for href, code in re.findall(r'<a href="([^"]+\?status=(\w+))"', counts)
    }


def _order_in(hl_a, status_path, handler_a, lead="sthj"):
    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_department(hl_a, lead))
    assignment = order.assignments.get()
    if status_path in ("in_progress", "replied", "closed"):
        services.assignment_accept(assignment=assignment, user=handler_a)
    if status_path in ("replied", "closed"):
        services.assignment_reply(
            assignment=assignment,
            reply="经现场核实，已责令工地停止夜间施工，并依法立案处罚。",
            user=handler_a,
        )
    if status_path == "closed":
        services.order_close(order=order)
    order.refresh_from_db()
    assert order.status == status_path
    return order


def test_handler_status_links_open_and_filter(hl_a, handler_a, dispatcher_a):
    made = {s: _order_in(hl_a, s, handler_a) for s in ("dispatched", "in_progress", "replied")}
    made["closed"] = _order_in(hl_a, "closed", handler_a)
    theirs_not = _order_in(hl_a, "dispatched", handler_a, lead="jtj")  # another department
    new_order(hl_a)  # not dispatched: not the handler's

    client = zh(handler_a)
    home = client.get("/gov-hotline/")
    counts = {code: n for _label, code, n in home.context["counts"]}
    links = _status_links(home.content.decode())
    assert set(links) == set(OrderStatus.values) and len(links) == 8
    for code, href in links.items():
        page = client.get(href)
        assert page.status_code == 200, href
        rows = re.findall(r'data-order="(\d+)" data-order-status="(\w+)"', page.content.decode())
        assert all(status == code for _number, status in rows), (code, rows)
        assert len(rows) == counts[code], code
        numbers = {number for number, _status in rows}
        assert theirs_not.number not in numbers
        if code in made:
            assert numbers == {made[code].number}
        else:
            assert not numbers
    # Unfiltered, the queue is still the handler's work to do.
    queue = client.get("/gov-hotline/queue/").content.decode()
    assert made["dispatched"].number in queue and made["in_progress"].number in queue
    assert made["closed"].number not in queue
    # A status the page does not know falls back to the work to do, without an error.
    assert client.get("/gov-hotline/queue/?status=bogus").status_code == 200


def test_dispatcher_status_links_open_and_filter(hl_a, dispatcher_a, handler_a):
    dispatched = _order_in(hl_a, "dispatched", handler_a)
    waiting = new_order(hl_a)
    client = zh(dispatcher_a)
    links = _status_links(client.get("/gov-hotline/").content.decode())
    assert len(links) == 8
    for code, href in links.items():
        page = client.get(href)
        assert page.status_code == 200, href
        numbers = set(re.findall(r'<tr data-order="(\d+)"', page.content.decode()))
        expected = {o.number for o in (dispatched, waiting) if o.status == code}
        assert numbers == expected, code
    assert WorkOrder.objects.count() == 2
