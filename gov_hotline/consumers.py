"""The hotline agent desk's live feed: the calls of the agent's tenant, their transcripts and the
running work-order draft."""

from __future__ import annotations

from channels.db import database_sync_to_async

from suite.realtime.consumers import CLOSE_FORBIDDEN, TenantConsumer
from suite.tenancy.models import Role
from suite.tenancy.selectors import roles_in_tenant

from .calls import CALLS_GROUP

DESK_ROLES = frozenset({Role.TENANT_ADMIN, Role.HOTLINE_AGENT})


class HotlineDeskConsumer(TenantConsumer):
    """Portal users with the hotline agent or tenant admin role (session + allowed Origin), or
    an integration with a `hotline` API key."""

    tenant_groups = (CALLS_GROUP,)
    api_key_scope = "hotline"

    async def connect(self):
        user = self.scope.get("user")
        tenant = self.scope.get("tenant")
        if self.scope.get("api_key") is None and tenant is not None:
            roles = await database_sync_to_async(roles_in_tenant)(user, tenant)
            if not roles & {str(r) for r in DESK_ROLES}:
                await self.close(code=CLOSE_FORBIDDEN)
                return
        await super().connect()
