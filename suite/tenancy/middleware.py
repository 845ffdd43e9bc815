from .models import Tenant
from .selectors import current_tenant

SESSION_TENANT_KEY = "tenant_id"


def tenant_for_session(request) -> Tenant | None:
    return current_tenant(request.user, request.session.get(SESSION_TENANT_KEY))


class TenantMiddleware:
    """Sets request.tenant for session users; API keys and bearer tokens set it in DRF auth."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.tenant = tenant_for_session(request) if request.user.is_authenticated else None
        return self.get_response(request)
