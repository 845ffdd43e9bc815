from django.db import transaction

from .models import Membership, Role, Tenant, TenantKind

# Which kinds may hang under which: the tree is operator group -> province -> city -> leaf.
_ALLOWED_PARENT_KINDS: dict[TenantKind, set[TenantKind | None]] = {
    TenantKind.OPERATOR_GROUP: {None},
    TenantKind.PROVINCE: {None, TenantKind.OPERATOR_GROUP},
    TenantKind.CITY: {TenantKind.PROVINCE},
    TenantKind.ENTERPRISE: {TenantKind.CITY, TenantKind.PROVINCE},
    TenantKind.HOTLINE_CENTER: {TenantKind.CITY, TenantKind.PROVINCE},
}


class TenantTreeError(ValueError):
    pass


@transaction.atomic
def tenant_create(*, slug: str, name: str, kind: str, parent: Tenant | None = None) -> Tenant:
    parent_kind = parent.kind if parent else None
    if parent_kind not in _ALLOWED_PARENT_KINDS[TenantKind(kind)]:
        raise TenantTreeError(
            f"A {kind} tenant cannot be placed under {parent_kind or 'the root'}."
        )
    path = f"{parent.path if parent else '/'}{slug}/"
    return Tenant.objects.create(slug=slug, name=name, kind=kind, parent=parent, path=path)


@transaction.atomic
def tenant_get_or_create(
    *, slug: str, name: str, kind: str, parent: Tenant | None = None
) -> Tenant:
    existing = Tenant.objects.filter(slug=slug).first()
    return existing or tenant_create(slug=slug, name=name, kind=kind, parent=parent)


@transaction.atomic
def membership_grant(*, user, tenant: Tenant, role: str) -> Membership:
    membership, _ = Membership.objects.get_or_create(user=user, tenant=tenant, role=Role(role))
    return membership
