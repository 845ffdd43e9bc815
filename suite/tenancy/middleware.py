from .models import Tenant
from .selectors import tenants_of_user

SESSION_TENANT_KEY = "tenant_id"


def tenant_for_session(request) -> Tenant | None:
    """The tenant chosen in the switcher, if the user still belongs to it; else their first."""
    tenants = tenants_of_user(request.user)
    chosen = request.session.get(SESSION_TENANT_KEY)
    if chosen is not None:
        tenant = tenants.filter(pk=chosen).first()
        if tenant is not None:
            return tenant
    return tenants.order_by("path").first()


class TenantMiddleware:
    """Sets request.tenant for session users; API keys and bearer tokens set it in DRF auth."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = tenant_for_session(request) if request.user.is_authenticated else None
        return self.get_response(request)
