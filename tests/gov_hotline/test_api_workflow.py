"""REST workflow: dispatch, accept, return, extension and its decision, reply with the
completeness check, return visit, merge; roles, the `hotline` key scope, the tenant wall."""

from rest_framework.test import APIClient

from gov_hotline.models import Assignment, Department, ExtensionRequest, WorkOrder
from tests.cross_tenant import covers

from .conftest import new_order
from .test_workflow import GOOD_REPLY

API = "/api/v1/gov-hotline"


def bearer(key: str) -> APIClient:
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_ACCEPT_LANGUAGE="en")
    return api


def as_user(user) -> APIClient:
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.force_login(user)
    return api


def _dep(tenant, code):
    return Department.objects.for_tenant(tenant).get(code=code)


@covers("api:gh-order-dispatch-to", "api:gh-assignment-accept", "api:gh-assignment-reply")
def test_dispatch_accept_reply_over_rest(hl_a, hl_b, hotline_key_a, hotline_key_b, handler_a):
    order = new_order(hl_a)
    lead = _dep(hl_a, "sthj").pk
    # Another tenant's key: the order does not exist for it.
    other = bearer(hotline_key_b).post(
        f"{API}/orders/{order.pk}/dispatch/", {"lead": lead}, format="json"
    )
    assert other.status_code == 404
    bad = bearer(hotline_key_a).post(
        f"{API}/orders/{order.pk}/dispatch/", {"lead": 999999}, format="json"
    )
    assert bad.status_code == 400 and "Unknown department" in bad.content.decode()
    # The other tenant's department is unknown here too.
    foreign = bearer(hotline_key_a).post(
        f"{API}/orders/{order.pk}/dispatch/", {"lead": _dep(hl_b, "sthj").pk}, format="json"
    )
    assert foreign.status_code == 400
    done = bearer(hotline_key_a).post(
        f"{API}/orders/{order.pk}/dispatch/", {"lead": lead, "co": [_dep(hl_a, "cgj").pk]},
        format="json",
    )  # fmt: skip
    assert done.status_code == 200, done.content
    assert done.json()["status"] == WorkOrder.objects.get(pk=order.pk).status == "dispatched"
    assignment = Assignment.objects.get(order=order, role="lead")

    assert (
        bearer(hotline_key_b).post(f"{API}/assignments/{assignment.pk}/accept/").status_code == 404
    )
    handler = as_user(handler_a)
    accepted = handler.post(f"{API}/assignments/{assignment.pk}/accept/")
    assert accepted.status_code == 200 and accepted.json()["status"] == "accepted"
    again = handler.post(f"{API}/assignments/{assignment.pk}/accept/")
    assert again.status_code == 400  # only a pending assignment can be accepted

    assert (
        bearer(hotline_key_b)
        .post(f"{API}/assignments/{assignment.pk}/reply/", {"reply": GOOD_REPLY}, format="json")
        .status_code
        == 404
    )
    short = handler.post(f"{API}/assignments/{assignment.pk}/reply/", {"reply": "已处理"})
    assert short.status_code == 400
    assignment.refresh_from_db()
    assert assignment.reply == ""  # the completeness check refused it; nothing half-saved
    replied = handler.post(f"{API}/assignments/{assignment.pk}/reply/", {"reply": GOOD_REPLY})
    assert replied.status_code == 200, replied.content
    assert WorkOrder.objects.get(pk=order.pk).status == "replied"


def test_a_handler_sees_only_their_departments_assignments(hl_a, handler_a, dispatcher_a):
    from gov_hotline import services

    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "jtj"))  # not one of handler_a's
    assignment = order.assignments.get()
    handler = as_user(handler_a)
    assert handler.get(f"{API}/assignments/").json()["count"] == 0
    assert handler.post(f"{API}/assignments/{assignment.pk}/accept/").status_code == 404
    # Dispatching is not a handler's job.
    other = new_order(hl_a)
    refused = handler.post(
        f"{API}/orders/{other.pk}/dispatch/", {"lead": _dep(hl_a, "sthj").pk}, format="json"
    )
    assert refused.status_code == 403
    assert as_user(dispatcher_a).get(f"{API}/assignments/").json()["count"] == 1


@covers(
    "api:gh-assignment-send-back",
    "api:gh-assignment-extension",
    "api:gh-extension-decide",
)
def test_return_and_extension_over_rest(hl_a, hl_b, hotline_key_a, hotline_key_b, handler_a):
    from gov_hotline import services

    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "sthj"))
    assignment = order.assignments.get()
    handler = as_user(handler_a)
    url = f"{API}/assignments/{assignment.pk}/return/"
    assert bearer(hotline_key_b).post(url, {"objection": "不归我们管"}).status_code == 404
    assert handler.post(url, {}).status_code == 400  # the objection is required
    returned = handler.post(url, {"objection": "该工地属城管执法范围，不属于本局职责。"})
    assert returned.status_code == 200, returned.content
    assert returned.json()["status"] == "returned"

    order2 = new_order(hl_a)
    services.order_dispatch(order=order2, lead=_dep(hl_a, "sthj"))
    lead = order2.assignments.get()
    ask_url = f"{API}/assignments/{lead.pk}/extension/"
    early = handler.post(ask_url, {"working_days": 3, "reason": "需要联合执法"})
    assert early.status_code == 400  # only after accepting
    services.assignment_accept(assignment=lead, user=handler_a)
    assert handler.post(ask_url, {"working_days": 0, "reason": "x"}).status_code == 400
    assert (
        bearer(hotline_key_b).post(ask_url, {"working_days": 3, "reason": "r"}).status_code == 404
    )
    asked = handler.post(ask_url, {"working_days": 3, "reason": "需要联合执法，协调住建部门"})
    assert asked.status_code == 201, asked.content
    extension = ExtensionRequest.objects.get(pk=asked.json()["id"])
    due_before = WorkOrder.objects.get(pk=order2.pk).due_at

    decide = f"{API}/extensions/{extension.pk}/decide/"
    assert handler.post(decide, {"decision": "approve"}).status_code == 403  # dispatchers decide
    assert bearer(hotline_key_b).post(decide, {"decision": "approve"}).status_code == 404
    assert bearer(hotline_key_a).post(decide, {}).status_code == 400
    approved = bearer(hotline_key_a).post(decide, {"decision": "approve"}, format="json")
    assert approved.status_code == 200 and approved.json()["status"] == "approved"
    assert WorkOrder.objects.get(pk=order2.pk).due_at > due_before
    assert bearer(hotline_key_a).post(decide, {"decision": "reject"}).status_code == 400


@covers("api:gh-order-return-visit", "api:gh-order-merge")
def test_return_visit_and_merge_over_rest(hl_a, hl_b, hotline_key_a, hotline_key_b, handler_a):
    from gov_hotline import services

    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "sthj"))
    lead = order.assignments.get()
    services.assignment_accept(assignment=lead, user=handler_a)
    services.assignment_reply(assignment=lead, reply=GOOD_REPLY, user=handler_a)
    services.order_close(order=order)
    visit = f"{API}/orders/{order.pk}/return-visit/"
    assert bearer(hotline_key_b).post(visit, {"satisfaction": "unsatisfied"}).status_code == 404
    assert bearer(hotline_key_a).post(visit, {"satisfaction": "meh"}).status_code == 400
    reopened = bearer(hotline_key_a).post(
        visit, {"satisfaction": "unsatisfied", "comment": "还在吵"}
    )
    assert reopened.status_code == 200, reopened.content
    assert reopened.json()["status"] != "closed"  # 不满意 reopens

    main = new_order(hl_a)
    dup = new_order(hl_a, text="体育西路那个工地晚上十一点还在打桩施工，噪音太大了")
    theirs = new_order(hl_b)
    merge = f"{API}/orders/{main.pk}/merge/"
    assert (
        bearer(hotline_key_b).post(merge, {"duplicates": [dup.pk]}, format="json").status_code
        == 404
    )
    assert bearer(hotline_key_a).post(merge, {"duplicates": []}, format="json").status_code == 400
    foreign = bearer(hotline_key_a).post(merge, {"duplicates": [theirs.pk]}, format="json")
    assert foreign.status_code == 400
    assert WorkOrder.objects.get(pk=theirs.pk).status != "merged"
    merged = bearer(hotline_key_a).post(merge, {"duplicates": [dup.pk]}, format="json")
    assert merged.status_code == 200, merged.content
    assert WorkOrder.objects.get(pk=dup.pk).status == "merged"


@covers(
    "api:gh-assignment-list",
    "api:gh-assignment-detail",
    "api:gh-extension-list",
    "api:gh-extension-detail",
)
def test_assignment_and_extension_reads_are_tenant_scoped(
    hl_a, hl_b, hotline_key_a, hotline_key_b, handler_a
):
    from gov_hotline import services

    order = new_order(hl_a)
    services.order_dispatch(order=order, lead=_dep(hl_a, "sthj"))
    lead = order.assignments.get()
    services.assignment_accept(assignment=lead, user=handler_a)
    ask = services.extension_request(
        assignment=lead, working_days=2, reason="需要协调相关部门", user=handler_a
    )
    mine, theirs = bearer(hotline_key_a), bearer(hotline_key_b)
    assert [a["id"] for a in mine.get(f"{API}/assignments/").json()["results"]] == [lead.pk]
    assert theirs.get(f"{API}/assignments/").json()["count"] == 0
    assert mine.get(f"{API}/assignments/{lead.pk}/").json()["order_number"] == order.number
    assert theirs.get(f"{API}/assignments/{lead.pk}/").status_code == 404
    assert mine.get(f"{API}/extensions/").json()["count"] == 1
    assert theirs.get(f"{API}/extensions/").json()["count"] == 0
    assert mine.get(f"{API}/extensions/{ask.pk}/").json()["status"] == "pending"
    assert theirs.get(f"{API}/extensions/{ask.pk}/").status_code == 404
