from suite.realtime.consumers import TenantConsumer

from .services import JOBS_GROUP


class JobsConsumer(TenantConsumer):
    """Live progress of the tenant's background jobs for the portal."""

    tenant_groups = (JOBS_GROUP,)
