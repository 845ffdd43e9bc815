from django.contrib.auth import get_user_model

from suite.products import product_apps
from suite.tenancy.selectors import roles_in_tenant, tenants_of_user


def portal(request) -> dict:
    user = getattr(request, "user", None)
    # An API key's principal is authenticated but is no user: a DRF page it gets (the API docs,
    # a browsable error) has no portal navigation to show.
    if not isinstance(user, get_user_model()) or not user.is_authenticated:
        return {}
    tenant = getattr(request, "tenant", None)
    roles = roles_in_tenant(user, tenant)
    return {
        "current_tenant": tenant,
        "user_tenants": tenants_of_user(user),
        "current_roles": roles,
        "is_tenant_admin": "tenant_admin" in roles,
        "nav_products": [p for p in product_apps() if roles & {str(r) for r in p.roles}],
    }
