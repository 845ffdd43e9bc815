"""Demo data for the 12345 hotline center (gd-12345): the default catalogue, the labelled set
and a trained classifier, a policy knowledge base, holidays, and orders in every state of the
workflow over the last two weeks, including a growing noise cluster for the early warning."""

from __future__ import annotations

import random
from datetime import date, timedelta
from typing import TypedDict

from django.db import transaction
from django.utils import timezone

from suite.accounts.models import User
from suite.ai import gateway
from suite.tenancy.models import Tenant

from . import extraction, hotspots, knowledge, services, training
from .models import (
    Assignment,
    ClassifierModel,
    Department,
    Satisfaction,
    WorkOrder,
)
from .selectors import dispatch_suggestions

TENANT = "gd-12345"
HANDLER = "hl_handler"
HANDLER_DEPARTMENTS = ("sthj", "cgj")

HOLIDAYS_2026 = [
    (date(2026, 1, 1), "元旦", False),
    (date(2026, 2, 16), "春节", False),
    (date(2026, 2, 17), "春节", False),
    (date(2026, 2, 18), "春节", False),
    (date(2026, 2, 19), "春节", False),
    (date(2026, 2, 20), "春节", False),
    (date(2026, 2, 14), "春节调休上班", True),
    (date(2026, 4, 6), "清明节", False),
    (date(2026, 5, 1), "劳动节", False),
    (date(2026, 5, 4), "劳动节", False),
    (date(2026, 5, 5), "劳动节", False),
    (date(2026, 6, 19), "端午节", False),
    (date(2026, 9, 25), "中秋节", False),
    (date(2026, 10, 1), "国庆节", False),
    (date(2026, 10, 2), "国庆节", False),
    (date(2026, 10, 5), "国庆节", False),
    (date(2026, 10, 6), "国庆节", False),
    (date(2026, 10, 7), "国庆节", False),
    (date(2026, 10, 10), "国庆调休上班", True),
]

ARTICLES = [
    (
        "居住证办理指南",
        "在广州怎么办理居住证？",
        "在本市居住半年以上，符合合法稳定就业、合法稳定住所、连续就读条件之一的，"
        "可持身份证、住所证明和就业或就读证明到居住地派出所或来穗人员服务管理站申领居住证，"
        "材料齐全的，15个工作日内发证。",
        "《广州市流动人员管理规定》",
    ),
    (
        "劳动者被拖欠工资的维权途径",
        "老板拖欠工资怎么办？",
        "可向用人单位所在地的人力资源和社会保障局劳动保障监察机构投诉，也可申请劳动仲裁，"
        "仲裁时效为一年；建设领域农民工欠薪可拨打12345或到项目所在区人社局现场投诉，"
        "工资保证金制度保障先行垫付。",
        "《保障农民工工资支付条例》",
    ),
    (
        "社会噪声扰民的处理",
        "晚上楼下烧烤店太吵怎么办？",
        "商业经营活动中使用高音广播喇叭或者其他发出噪声的方法招揽顾客的，由生态环境部门或城管部门"
        "依法处理；夜间22时至次日6时的施工噪声须取得夜间施工许可，无许可施工可向生态环境局举报。",
        "《中华人民共和国噪声污染防治法》",
    ),
    (
        "灵活就业人员参加养老保险",
        "灵活就业人员怎么交养老保险？",
        "无雇工的个体工商户、未在用人单位参保的非全日制从业人员及其他灵活就业人员，"
        "可持身份证到户籍或居住地社保经办机构或通过粤省事小程序办理参保登记，按月或按年缴费。",
        "《广东省灵活就业人员参加企业职工基本养老保险办法》",
    ),
    (
        "义务教育阶段随迁子女入学",
        "非户籍孩子怎么申请小学学位？",
        "来穗人员随迁子女可在每年4月至5月通过积分制申请公办学校学位，需提供居住证、"
        "社保缴费记录和住房证明；积分排名在区内统一公布，未获公办学位的可申请民办学位补贴。",
        "《广州市来穗人员随迁子女申请义务教育学校起始年级学位实施办法》",
    ),
    (
        "低保申请条件",
        "怎么申请低保？",
        "共同生活的家庭成员人均收入低于当地低保标准且财产符合规定的，可向户籍所在地镇街提出申请，"
        "经入户调查、民主评议和公示后由区民政局审批，一般在30个工作日内办结。",
        "《社会救助暂行办法》",
    ),
]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


DEMO_TRAIN_KEY = "gov-hotline-demo-train"


def seed_demo() -> None:
    tenant = Tenant.objects.filter(slug=TENANT).first()
    if tenant is None:
        return
    services.catalogue_install_defaults(tenant=tenant)
    handler = _user(HANDLER)
    if handler is not None:
        for department in Department.objects.for_tenant(tenant).filter(
            code__in=HANDLER_DEPARTMENTS
        ):
            department.members.add(handler)
    for day, name, workday in HOLIDAYS_2026:
        services.holiday_set(tenant=tenant, date=day, name=name, is_workday=workday)
    training.examples_import_labelled(tenant=tenant)
    caller = gateway.Caller(tenant=tenant)
    if not ClassifierModel.objects.for_tenant(tenant).exists():
        # Embedding the 590 labelled rows takes about a minute on a laptop: a job for the
        # `make run` worker, so seeding stays quick; drafts say the classifier is training.
        training.classifier_train_start(tenant=tenant, idempotency_key=DEMO_TRAIN_KEY)
    if not knowledge.kb_open(caller).__len__():
        for title, question, answer, source in ARTICLES:
            knowledge.article_save(
                caller=caller, title=title, question=question, answer=answer, source=source
            )
    if not WorkOrder.objects.for_tenant(tenant).exists():
        _seed_orders(tenant)
        hotspots.hotspot_scan(tenant=tenant)


def _summary(text: str) -> str:
    return extraction.extract_summary(text).value or text[:60]


class _Drafted(TypedDict):
    address: str
    summary: str
    contact_name: str
    contact_phone: str


def _drafted(text: str, district: str) -> _Drafted:
    """What an agent's rules-only draft holds for a call: the address, a one-line summary
    (not the call's first 60 characters) and the caller's name and phone as they gave them."""
    name, phone = extraction.extract_contact(text)
    found = extraction.extract_district(text, [district])
    return _Drafted(
        address=extraction.extract_address(text, found).value,
        summary=_summary(text),
        contact_name=name.value,
        contact_phone=phone.value,
    )


@transaction.atomic
def _seed_orders(tenant: Tenant) -> None:
    rng = random.Random(5)  # noqa: S311 - demo data, not a secret
    rows = training.labelled_rows()
    agent = _user("hl_agent")
    dispatcher = _user("hl_dispatcher")
    handler = _user(HANDLER)
    now = timezone.now()
    created = []
    for i, row in enumerate(rng.sample(rows, 45)):
        order = services.order_create(
            tenant=tenant,
            text=row["text"],
            channel=rng.choice(["phone", "phone", "web", "mobile"]),
            request_type=row["request_type"],
            category=row["category"],
            subcategory=row["subcategory"],
            district=row["district"],
            urgency=row["urgency"],
            user=agent,
            **_drafted(row["text"], row["district"]),
        )
        created.append((order, i))
    # A noise cluster in one district over the last day: the early warning fires on it.
    noise = [
        "天河区石牌东路的工地晚上十一点以后还在打桩施工，噪音太大了，希望尽快处理",
        "石牌东路那个工地半夜还在打桩，天河区这边根本睡不着",
        "天河区石牌东路工地夜间施工扰民，凌晨还有机器声",
        "投诉天河区石牌东路建筑工地夜里施工，噪音很大",
        "天河区石牌东路工地每天夜里打桩，严重影响休息",
        "天河区石牌东路附近工地噪音扰民，晚上十二点还在施工",
    ]
    for text in noise:
        order = services.order_create(
            tenant=tenant,
            text=text,
            channel="phone",
            request_type="投诉",
            category="生态环境",
            subcategory="噪音污染",
            district="天河区",
            address="石牌东路",
            # Where the site is (石牌东路, 天河区): the hotspot map draws a circle there.
            latitude=23.1365,
            longitude=113.3420,
            summary=_summary(text),
            user=agent,
        )
        created.append((order, -1))
    for order, i in created:
        age = timedelta(hours=rng.randint(1, 20)) if i < 0 else timedelta(hours=rng.randint(2, 330))
        WorkOrder.objects.filter(pk=order.pk).update(created_at=now - age)
        order.created_at = now - age
        stage = i % 6 if i >= 0 else 0
        if stage == 0:
            continue
        suggestions = dispatch_suggestions(order)
        lead = next((s.department for s in suggestions if s.role == "lead"), None)
        if lead is None:
            continue
        co = [s.department for s in suggestions if s.role == "co"][:1]
        services.order_dispatch(order=order, lead=lead, co=co, user=dispatcher)
        if stage == 1:
            continue
        assignment = Assignment.objects.for_tenant(tenant).get(
            order=order, role="lead", status="pending"
        )
        acting = (
            handler
            if handler and assignment.department.members.filter(pk=handler.pk).exists()
            else None
        )
        if stage == 2 and acting is not None:
            continue  # waiting in the demo handler's queue
        services.assignment_accept(assignment=assignment, user=acting)
        if stage == 3:
            continue
        services.assignment_reply(
            assignment=assignment,
            reply=f"经核实，已针对“{order.summary[:30]}”的问题现场处理完毕，并已电话告知市民处理结果。",
            user=acting,
        )
        if stage == 4:
            continue
        services.order_close(order=order, user=dispatcher)
        services.visit_record(
            order=order,
            satisfaction=rng.choice(
                [Satisfaction.SATISFIED, Satisfaction.SATISFIED, Satisfaction.BASICALLY]
            ),
            user=agent,
        )
