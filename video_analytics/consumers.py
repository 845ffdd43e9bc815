from suite.accounts.models import ApiKeyScope
from suite.realtime.consumers import TenantConsumer

from .services import ALERTS_GROUP


class AlertsConsumer(TenantConsumer):
    """Live alerts for the portal: new events and their status changes, this tenant's only."""

    tenant_groups = (ALERTS_GROUP,)
    api_key_scope = ApiKeyScope.VIDEO
