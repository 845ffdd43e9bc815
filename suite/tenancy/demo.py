"""The demo data of `seed_demo`: two unrelated tenant trees and a user for every role."""

from dataclasses import dataclass

from django.db import transaction

from suite.accounts.models import User
from suite.tenancy.models import Role, Tenant, TenantKind
from suite.tenancy.services import membership_grant, tenant_get_or_create

DEMO_PASSWORD = "Demo-2026-suite"  # noqa: S105 - printed on purpose for the demo logins

TENANTS = [
    # slug, name, kind, parent slug
    ("gd", "广东省分公司", TenantKind.PROVINCE, None),
    ("gd-sz", "深圳市分公司", TenantKind.CITY, "gd"),
    ("gd-sz-ent", "深圳前海云帆科技有限公司", TenantKind.ENTERPRISE, "gd-sz"),
    ("gd-12345", "广东省12345政务服务便民热线", TenantKind.HOTLINE_CENTER, "gd"),
    ("sc", "四川省分公司", TenantKind.PROVINCE, None),
    ("sc-cd", "成都市分公司", TenantKind.CITY, "sc"),
]


@dataclass(frozen=True)
class DemoUser:
    username: str
    display_name: str
    grants: tuple[tuple[str, str], ...]  # (tenant slug, role)
    phone: str | None = None


USERS = [
    DemoUser("gd_admin", "广东管理员", (("gd", Role.TENANT_ADMIN),)),
    DemoUser("sz_admin", "深圳管理员", (("gd-sz", Role.TENANT_ADMIN),)),
    DemoUser("sz_agent", "客服坐席 李娜", (("gd-sz", Role.CS_AGENT),)),
    DemoUser("sz_supervisor", "客服班长 王强", (("gd-sz", Role.CS_SUPERVISOR),)),
    DemoUser("sz_reviewer", "彩铃审核 陈静", (("gd-sz", Role.RINGTONE_REVIEWER),)),
    DemoUser("sz_analyst", "视频分析 赵磊", (("gd-sz", Role.VIDEO_ANALYST),)),
    DemoUser("ent_admin", "云帆科技管理员", (("gd-sz-ent", Role.TENANT_ADMIN),)),
    DemoUser("hl_admin", "热线管理员", (("gd-12345", Role.TENANT_ADMIN),)),
    DemoUser("hl_agent", "热线话务员 刘芳", (("gd-12345", Role.HOTLINE_AGENT),)),
    DemoUser("hl_dispatcher", "热线派单员 黄伟", (("gd-12345", Role.HOTLINE_DISPATCHER),)),
    DemoUser("hl_handler", "承办单位 周敏", (("gd-12345", Role.DEPARTMENT_HANDLER),)),
    DemoUser("sc_admin", "四川管理员", (("sc", Role.TENANT_ADMIN), ("sc-cd", Role.TENANT_ADMIN))),
    DemoUser("cd_agent", "成都客服 杨洋", (("sc-cd", Role.CS_AGENT),)),
    # One person in both trees, to show the tenant switcher.
    DemoUser(
        "ops_multi", "跨省运维 孙悦", (("gd-sz", Role.TENANT_ADMIN), ("sc-cd", Role.TENANT_ADMIN))
    ),
    DemoUser("sub_13800138000", "深圳用户", (("gd-sz", Role.SUBSCRIBER),), phone="13800138000"),
    DemoUser("sub_13900139000", "成都用户", (("sc-cd", Role.SUBSCRIBER),), phone="13900139000"),
]


@transaction.atomic
def seed_demo() -> list[DemoUser]:
    tenants: dict[str, Tenant] = {}
    for slug, name, kind, parent in TENANTS:
        tenants[slug] = tenant_get_or_create(
            slug=slug, name=name, kind=kind, parent=tenants.get(parent) if parent else None
        )
    for demo in USERS:
        user = User.objects.filter(username=demo.username).first()
        if user is None:
            user = User(username=demo.username, display_name=demo.display_name, phone=demo.phone)
            if demo.phone:
                user.set_unusable_password()  # subscribers sign in with an SMS code only
            else:
                user.set_password(DEMO_PASSWORD)
            user.save()
        for slug, role in demo.grants:
            membership_grant(user=user, tenant=tenants[slug], role=role)
    return USERS
