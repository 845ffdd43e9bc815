from typing import ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from suite.tenancy.selectors import roles_in_tenant

from .publish import current_seq, group_name

# Close codes a client can act on (4000-4999 are application-defined).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Joins only the connecting tenant's groups; forwards group events with their seq.

    Subclasses list `tenant_groups` (or override `join_groups()` when who joins what depends on the
    connection), if API keys may connect, the `api_key_scope`, and, if only some users may,
    their `required_roles` in the tenant (any one of them).
    """

    tenant_groups: ClassVar[tuple[str, ...]] = ()
    api_key_scope: ClassVar[str | None] = None
    required_roles: ClassVar[frozenset[str]] = frozenset()

    async def connect(self):
        self.tenant = self.scope.get("tenant")
        if self.tenant is None:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        key = self.scope.get("api_key")
        if key is not None and (
            self.api_key_scope is None or not key.has_scope(self.api_key_scope)
        ):
            await self.close(code=CLOSE_FORBIDDEN)
            return
        if key is None and self.required_roles and not await self._has_required_role():
            await self.close(code=CLOSE_FORBIDDEN)
            return
        names = await self.join_groups()
        self.joined = [group_name(self.tenant.pk, name) for name in names]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()
        await self.send_json(
            {
                "type": "hello",
                "tenant": self.tenant.slug,
                "seq": {name: current_seq(self.tenant.pk, name) for name in names},
            }
        )

    async def _has_required_role(self) -> bool:
        roles = await database_sync_to_async(roles_in_tenant)(self.scope.get("user"), self.tenant)
        return bool(roles & {str(role) for role in self.required_roles})

    async def join_groups(self) -> tuple[str, ...]:
        """The tenant groups this connection joins (called once the tenant is known)."""
        return self.tenant_groups

    async def disconnect(self, code):
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def group_event(self, event):
        await self.send_json(event["payload"])
