"""Live updates for the agent pages: the handoff queue and an open conversation.

The dialogue service publishes every queue change and every message of a handed-off
conversation to the tenant's `customer_service.queue` group (ids, status and dialect only, no
personal data); the pages re-fetch their fragment when an event concerns them.
"""

from __future__ import annotations

from channels.db import database_sync_to_async

from suite.realtime.consumers import CLOSE_FORBIDDEN, TenantConsumer
from suite.tenancy.models import Role
from suite.tenancy.selectors import roles_in_tenant

from .services.dialogue import QUEUE_GROUP

QUEUE_ROLES = frozenset({Role.TENANT_ADMIN, Role.CS_AGENT, Role.CS_SUPERVISOR})


class AgentQueueConsumer(TenantConsumer):
    """Portal users with a customer-service role (session + allowed Origin), or an agent-desktop
    integration with a `callcenter` API key."""

    tenant_groups = (QUEUE_GROUP,)
    api_key_scope = "callcenter"

    async def connect(self):
        user = self.scope.get("user")
        tenant = self.scope.get("tenant")
        if self.scope.get("api_key") is None and tenant is not None:
            roles = await database_sync_to_async(roles_in_tenant)(user, tenant)
            if not roles & {str(r) for r in QUEUE_ROLES}:
                await self.close(code=CLOSE_FORBIDDEN)
                return
        await super().connect()

    async def receive_json(self, content, **kwargs):
        # Nothing to receive: the feed is one-way.
        return
