from django.db.models import QuerySet

from .models import Membership, Role, Tenant


def tenants_of_user(user) -> QuerySet[Tenant]:
    if not user.is_authenticated:
        return Tenant.objects.none()
    return Tenant.objects.filter(memberships__user=user, is_active=True).distinct()


def roles_in_tenant(user, tenant: Tenant | None) -> frozenset[str]:
    if tenant is None or not user.is_authenticated:
        return frozenset()
    return frozenset(
        Membership.objects.filter(user=user, tenant=tenant).values_list("role", flat=True)
    )


def user_has_role(user, tenant: Tenant | None, *roles: Role | str) -> bool:
    return bool(roles_in_tenant(user, tenant) & {str(role) for role in roles})


def tenant_subtree(tenant: Tenant) -> QuerySet[Tenant]:
    return Tenant.objects.filter(path__startswith=tenant.path)


def current_tenant(user, chosen_id) -> Tenant | None:
    """The tenant picked in the switcher if the user still belongs to it, else their first."""
    tenants = tenants_of_user(user)
    if chosen_id is not None:
        tenant = tenants.filter(pk=chosen_id).first()
        if tenant is not None:
            return tenant
    return tenants.order_by("path").first()
