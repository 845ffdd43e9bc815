"""The catalogue: categories, districts, departments, holidays, dispatch and deadline rules."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from suite.tenancy.models import Tenant

from ..models import (
    Category,
    Department,
    DispatchRule,
    District,
    HandlingRole,
    Holiday,
    RequestType,
    SlaRule,
    Urgency,
)
from ..taxonomy import (
    CITY_DISTRICTS,
    DEFAULT_DEPARTMENTS,
    DEFAULT_DISPATCH,
    DEFAULT_TAXONOMY,
    districts_for_names,
)


def tenant_default_districts(tenant: Tenant) -> tuple[str, ...]:
    """The districts a tenant starts from: its own city's, found from its name or its
    ancestors' in the tenancy tree (a Shenzhen centre gets Shenzhen's, a provincial centre its
    province's cities')."""
    names: list[str] = []
    node: Tenant | None = tenant
    while node is not None:
        names.append(node.name)
        node = node.parent
    return districts_for_names(names)


@transaction.atomic
def catalogue_install_defaults(*, tenant: Tenant, city: str | None = None) -> None:
    """The default taxonomy, districts, departments and dispatch catalogue (idempotent). The
    districts are the tenant's own city's (`tenant_default_districts`), or `city`'s if given."""
    subs: dict[str, Category] = {}
    for position, (top_name, children) in enumerate(DEFAULT_TAXONOMY.items()):
        top, _created = Category.objects.get_or_create(
            tenant=tenant, parent=None, name=top_name, defaults={"position": position}
        )
        for child_pos, name in enumerate(children):
            subs[name], _created = Category.objects.get_or_create(
                tenant=tenant, parent=top, name=name, defaults={"position": child_pos}
            )
    for name in CITY_DISTRICTS[city] if city else tenant_default_districts(tenant):
        District.objects.get_or_create(tenant=tenant, name=name)
    departments = {}
    for code, name in DEFAULT_DEPARTMENTS:
        departments[code], _created = Department.objects.get_or_create(
            tenant=tenant, code=code, defaults={"name": name}
        )
    for sub_name, (lead, co) in DEFAULT_DISPATCH.items():
        DispatchRule.objects.get_or_create(
            tenant=tenant,
            category=subs[sub_name],
            district=None,
            department=departments[lead],
            defaults={"role": HandlingRole.LEAD},
        )
        for code in co:
            DispatchRule.objects.get_or_create(
                tenant=tenant,
                category=subs[sub_name],
                district=None,
                department=departments[code],
                defaults={"role": HandlingRole.CO},
            )


@transaction.atomic
def category_create(*, tenant: Tenant, name: str, parent: Category | None = None) -> Category:
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationError({"name": _("A category name needs 1 to 40 characters.")})
    if parent is not None and (parent.tenant_id != tenant.pk or parent.parent_id is not None):
        raise ValidationError({"parent": _("Choose a top-level category of this tenant.")})
    if Category.objects.for_tenant(tenant).filter(parent=parent, name=name).exists():
        raise ValidationError({"name": _("This category already exists.")})
    position = Category.objects.for_tenant(tenant).filter(parent=parent).count()
    return Category.objects.create(tenant=tenant, name=name, parent=parent, position=position)


@transaction.atomic
def district_create(*, tenant: Tenant, name: str) -> District:
    """Adds a district to the tenant's own list (drafts pick only from this list)."""
    name = name.strip()
    if not name or len(name) > 40:
        raise ValidationError({"name": _("A district name needs 1 to 40 characters.")})
    district, created = District.objects.get_or_create(tenant=tenant, name=name)
    if not created:
        raise ValidationError({"name": _("This district already exists.")})
    return district


@transaction.atomic
def category_set_active(*, category: Category, active: bool) -> Category:
    category.is_active = active
    category.save(update_fields=["is_active"])
    if category.parent_id is None:
        category.children.update(is_active=active)
    return category


@transaction.atomic
def holiday_set(*, tenant: Tenant, date, name: str, is_workday: bool = False) -> Holiday:
    holiday, _created = Holiday.objects.update_or_create(
        tenant=tenant, date=date, defaults={"name": name.strip()[:60], "is_workday": is_workday}
    )
    return holiday


@transaction.atomic
def department_member_set(*, department: Department, user, member: bool) -> Department:
    """Adds or removes a department handler; only handlers of the department's tenant."""
    from suite.tenancy.models import Role
    from suite.tenancy.selectors import user_has_role

    if member and not user_has_role(user, department.tenant, Role.DEPARTMENT_HANDLER):
        raise ValidationError(
            {"user": _("Only department handlers of this tenant can join a department.")}
        )
    if member:
        department.members.add(user)
    else:
        department.members.remove(user)
    return department


@transaction.atomic
def dispatch_rule_set(
    *,
    tenant: Tenant,
    category: Category,
    department: Department,
    role: str,
    district: District | None = None,
) -> DispatchRule:
    if role not in HandlingRole.values:
        raise ValidationError({"role": _("Choose lead or co-handling.")})
    for obj in (category, department, district):
        if obj is not None and obj.tenant_id != tenant.pk:
            raise ValidationError(_("Choose a category, department and district of this tenant."))
    rule, _created = DispatchRule.objects.update_or_create(
        tenant=tenant,
        category=category,
        district=district,
        department=department,
        defaults={"role": role},
    )
    return rule


@transaction.atomic
def sla_rule_set(*, tenant: Tenant, request_type: str, urgency: str, working_days: int) -> SlaRule:
    if request_type not in RequestType.values or urgency not in Urgency.values:
        raise ValidationError(_("Unknown request type or urgency."))
    if not 0 <= working_days <= 60:
        raise ValidationError({"working_days": _("Working days must be between 0 and 60.")})
    rule, _created = SlaRule.objects.update_or_create(
        tenant=tenant,
        request_type=request_type,
        urgency=urgency,
        defaults={"working_days": working_days},
    )
    return rule
