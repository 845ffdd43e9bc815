from channels.db import database_sync_to_async

from suite.realtime.consumers import TenantConsumer
from suite.tenancy.models import STAFF_ROLES
from suite.tenancy.selectors import user_has_role

from .services import JOBS_GROUP, user_jobs_group


class JobsConsumer(TenantConsumer):
    """Live progress of background jobs: staff follow the tenant's jobs, anyone else (a
    subscriber) only the jobs they started, so one subscriber never sees another's."""

    tenant_groups = (JOBS_GROUP,)

    async def join_groups(self) -> tuple[str, ...]:
        user = self.scope["user"]
        if await database_sync_to_async(user_has_role)(user, self.tenant, *STAFF_ROLES):
            return (JOBS_GROUP,)
        return (user_jobs_group(user.pk),)
