"""The return-visit script (回访话术) of a closed order: written by the language model in a schema
and labelled with its name, or by the template and labelled as such; another tenant's order is
a 404."""

import json

import pytest
from django.core.exceptions import ValidationError

from gov_hotline import services, visits
from gov_hotline.models import Department
from suite.ai import gateway

from .conftest import new_order
from .test_portal import login

REPLY = "经现场核实，该工地夜间打桩施工无许可，已责令停止夜间施工并立案处罚。"


def _closed(tenant, handler):
    order = new_order(tenant)
    services.order_dispatch(
        order=order, lead=Department.objects.for_tenant(tenant).get(code="sthj")
    )
    assignment = order.assignments.get()
    services.assignment_accept(assignment=assignment, user=handler)
    services.assignment_reply(assignment=assignment, reply=REPLY, user=handler)
    services.order_close(order=order)
    order.refresh_from_db()
    return order


def test_template_script_without_a_language_model(hl_a, handler_a):
    order = _closed(hl_a, handler_a)
    script = visits.visit_script_build(caller=gateway.Caller(tenant=hl_a), order=order)
    assert script["source"] == "template" and script["model"] == ""
    assert order.number in script["text"] and "市生态环境局" in script["text"]
    assert "责令停止夜间施工" in script["text"] and "满意" in script["text"]
    with pytest.raises(ValidationError):
        visits.visit_script_build(caller=gateway.Caller(tenant=hl_a), order=new_order(hl_a))


def test_model_script_is_labelled_with_the_model(hl_a, hl_b, handler_a, dispatcher_a, admin_b,
                                                 scripted_model):  # fmt: skip
    order = _closed(hl_a, handler_a)
    scripted_model.reply = json.dumps(
        {
            "reported": "您反映体育西路工地夜间打桩噪音扰民的问题",
            "handled": "市生态环境局已责令工地停止夜间施工并立案处罚",
            "questions": ["夜间还有施工噪音吗？", "您对处理结果满意吗？"],
        },
        ensure_ascii=False,
    )
    act = f"/gov-hotline/orders/{order.pk}/act/"
    assert login(admin_b).post(act, {"action": "visit_script"}).status_code == 404
    page = login(dispatcher_a).post(act, {"action": "visit_script"}, follow=True)
    html = page.content.decode()
    order.refresh_from_db()
    assert order.visit_script["source"] == "model" and order.visit_script["model"] == "scripted"
    assert "AI-generated" in html and "scripted" in html and "夜间还有施工噪音吗" in html
    sent = scripted_model.requests[-1]
    assert REPLY in sent["messages"][1]["content"]  # the department's own words are the facts
    assert sent["response_format"]["json_schema"]["name"] == "return_visit"


def test_unusable_model_answer_falls_back_to_the_template(hl_a, handler_a, scripted_model):
    order = _closed(hl_a, handler_a)
    scripted_model.reply = json.dumps({"reported": "", "handled": "", "questions": []})
    script = visits.visit_script_write(caller=gateway.Caller(tenant=hl_a), order=order)
    assert script["source"] == "template"
    order.refresh_from_db()
    assert order.visit_script["source"] == "template"
