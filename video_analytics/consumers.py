from suite.accounts.models import ApiKeyScope
from suite.realtime.consumers import TenantConsumer
from suite.tenancy.models import Role

from .services import ALERTS_GROUP


class AlertsConsumer(TenantConsumer):
    """Live alerts for the portal: new events and their status changes, this tenant's only;
    for the product's staff (as its pages and API) or a `video` API key, never subscribers."""

    tenant_groups = (ALERTS_GROUP,)
    api_key_scope = ApiKeyScope.VIDEO
    required_roles = frozenset({Role.TENANT_ADMIN, Role.VIDEO_ANALYST})
