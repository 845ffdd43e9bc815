from channels.db import database_sync_to_async

from suite.realtime.consumers import TenantConsumer
from suite.tenancy.models import STAFF_ROLES, Role
from suite.tenancy.selectors import user_has_role

from .services import JOBS_GROUP, key_jobs_groups, user_jobs_group


class JobsConsumer(TenantConsumer):
    """Live progress of background jobs: staff follow the tenant's jobs, anyone else (a
    subscriber) only the jobs they started, so one subscriber never sees another's; an API key
    follows the jobs of the products its scopes cover (a `video` key the video-analytics
    jobs), as `Authorization: Bearer sk-...` or `?api_key=`."""

    tenant_groups = (JOBS_GROUP,)
    required_roles = frozenset(Role.values)  # any member; what each sees is join_groups()

    def key_allowed(self, key) -> bool:
        return bool(key_jobs_groups(key))

    async def join_groups(self) -> tuple[str, ...]:
        key = self.scope.get("api_key")
        if key is not None:
            return key_jobs_groups(key)
        user = self.scope["user"]
        if await database_sync_to_async(user_has_role)(user, self.tenant, *STAFF_ROLES):
            return (JOBS_GROUP,)
        return (user_jobs_group(user.pk),)
