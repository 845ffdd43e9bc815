"""The return-visit script (回访话术) for a closed order: what the citizen reported, what the
department did, and the questions the agent asks. Written by the tenant's language model in a
JSON schema from the order and the department's reply; without one (or when it gives no usable
answer) a template fills the same parts from the order, labelled as the template."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from suite.ai import gateway
from suite.ai.types import ChatMessage
from suite.privacy import mask_text

from .models import HandlingRole, OrderStatus, WorkOrder

MAX_PART = 80
TEMPLATE_QUESTIONS = (
    "您反映的问题现在解决了吗？",
    "您对承办单位的处理结果满意吗？",
    "您对承办单位的服务态度还有什么意见或建议吗？",
)


def _handling(order: WorkOrder) -> tuple[str, str]:
    """(lead department, its reply) of the order's last replied lead assignment."""
    lead = (
        order.assignments.filter(role=HandlingRole.LEAD)
        .exclude(reply="")
        .select_related("department")
        .order_by("-replied_at", "-pk")
        .first()
    )
    if lead is None:
        return "", ""
    return lead.department.name, lead.reply


def _template(order: WorkOrder, department: str, reply: str) -> dict:
    reported = f"您于{order.created_at:%m月%d日}反映的“{mask_text(order.summary)[:40]}”"
    done = f"{department}已办理：{reply[:60]}" if department and reply else "已办结"
    return {
        "text": mask_text(
            "\n".join(
                [
                    f"您好，这里是12345热线，现对工单{order.number}进行回访。",
                    f"{reported}，{done}。",
                    *[f"{i}. {q}" for i, q in enumerate(TEMPLATE_QUESTIONS, 1)],
                ]
            )
        ),
        "source": "template",
        "model": "",
    }


def _schema() -> dict:
    part = {"type": "string", "maxLength": MAX_PART}
    return {
        "type": "object",
        "properties": {
            "reported": part,
            "handled": part,
            "questions": {"type": "array", "items": part, "minItems": 2, "maxItems": 3},
        },
        "required": ["reported", "handled", "questions"],
    }


def _with_model(caller, order: WorkOrder, department: str, reply: str) -> dict | None:
    prompt = (
        "你是12345政务服务热线的回访员。根据工单写回访话术（JSON）："
        "reported 用一句话对市民复述他反映的问题；handled 用一句话说明承办单位做了什么"
        "（只用答复里的事实，不编造）；questions 写2到3个回访时要问市民的问题"
        "（问题是否解决、对结果是否满意，以及针对这件事的具体问题）。"
    )
    facts = (
        f"工单：{order.number}\n分类：{order.subcategory or ''}\n"
        f"市民诉求：{order.summary}\n承办单位：{department or '无'}\n答复：{reply or '无'}"
    )
    answer = gateway.chat_json(
        caller,
        [ChatMessage("system", prompt), ChatMessage("user", facts)],
        _schema(),
        name="return_visit",
        max_tokens=260,
    )
    data = answer.data
    if data is None:
        return None
    reported = str(data.get("reported") or "").strip()
    handled = str(data.get("handled") or "").strip()
    questions = [str(q).strip() for q in data.get("questions") or [] if str(q).strip()]
    if not reported or not handled or not questions:
        return None
    lines = [f"您好，这里是12345热线，现对工单{order.number}进行回访。", reported, handled]
    lines += [f"{i}. {q}" for i, q in enumerate(questions[:3], 1)]
    return {"text": mask_text("\n".join(lines)), "source": "model", "model": answer.model}


def visit_script_build(*, caller: gateway.Caller, order: WorkOrder) -> dict:
    """The script for a closed order: {"text", "source": "model" | "template", "model"}.
    Calls the model, so never inside a transaction."""
    if order.status != OrderStatus.CLOSED:
        raise ValidationError(_("A return-visit script is written for a closed order."))
    department, reply = _handling(order)
    return _with_model(caller, order, department, reply) or _template(order, department, reply)


def visit_script_write(*, caller: gateway.Caller, order: WorkOrder) -> dict:
    """Builds the script and keeps it on the order (one short write after the model call)."""
    script = visit_script_build(caller=caller, order=order)
    order.visit_script = script
    WorkOrder.objects.filter(pk=order.pk, tenant=order.tenant).update(visit_script=script)
    return script
