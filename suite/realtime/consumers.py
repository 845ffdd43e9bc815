import asyncio
from typing import ClassVar

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

from suite.accounts.models import ApiKey, User
from suite.tenancy.selectors import roles_in_tenant

from .publish import current_seq, group_name

# Close codes a client can act on (4000-4999 are application-defined).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403


class TenantConsumer(AsyncJsonWebsocketConsumer):
    """Joins only the connecting tenant's groups; forwards group events with their seq.

    Every consumer says who may connect: `required_roles`, the roles of a signed-in user in
    the tenant (any one of them; a class without them is refused when it is defined), and,
    if API keys may connect, the `api_key_scope` (or override `key_allowed()`). Subclasses list
    `tenant_groups` (or override `join_groups()` when who joins what depends on the
    connection).

    A refused client is accepted and then closed with 4401 (no valid credentials) or 4403
    (credentials, but not for this socket): a handshake refused before accepting reaches
    browsers and platforms as a bare HTTP 403 they cannot tell apart.
    """

    tenant_groups: ClassVar[tuple[str, ...]] = ()
    api_key_scope: ClassVar[str | None] = None
    required_roles: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not cls.required_roles:
            raise TypeError(
                f"{cls.__name__} must set required_roles: the roles that may connect "
                "(all of Role for any member of the tenant)."
            )

    async def connect(self):
        self.tenant = self.scope.get("tenant")
        await self.accept()
        code = await self.refusal()
        if code is not None:
            await self.close(code=code)
            return
        names = await self.join_groups()
        self.joined = [group_name(self.tenant.pk, name) for name in names]
        for group in self.joined:
            await self.channel_layer.group_add(group, self.channel_name)
        self.rechecks = asyncio.create_task(self._recheck_credentials())
        await self.send_json(
            {
                "type": "hello",
                "tenant": self.tenant.slug,
                "seq": {name: current_seq(self.tenant.pk, name) for name in names},
            }
        )

    async def refusal(self) -> int | None:
        """The close code for a client that may not use this socket, None for one that may."""
        key = self.scope.get("api_key")
        if key is not None:
            return None if self.key_allowed(key) else CLOSE_FORBIDDEN
        if self.scope.get("origin_refused"):
            return CLOSE_FORBIDDEN
        user = self.scope.get("user")
        if self.tenant is None:
            signed_in = user is not None and user.is_authenticated and self._origin_sent()
            # signed in from an allowed page, but a member of no tenant
            return CLOSE_FORBIDDEN if signed_in else CLOSE_UNAUTHENTICATED
        if not await self._has_required_role():
            return CLOSE_FORBIDDEN
        return None

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """The feeds are one-way: what a client sends is ignored unparsed, so no frame (one
        nested deep enough to exhaust the JSON parser, say) can crash the socket."""

    def key_allowed(self, key) -> bool:
        """Whether this API key may connect (its tenant is the key's own)."""
        return self.api_key_scope is not None and key.has_scope(self.api_key_scope)

    def _origin_sent(self) -> bool:
        return any(name == b"origin" for name, _value in self.scope.get("headers", []))

    async def _has_required_role(self) -> bool:
        roles = await database_sync_to_async(roles_in_tenant)(self.scope.get("user"), self.tenant)
        return bool(roles & {str(role) for role in self.required_roles})

    async def join_groups(self) -> tuple[str, ...]:
        """The tenant groups this connection joins (called once the tenant is known)."""
        return self.tenant_groups

    async def _recheck_credentials(self) -> None:
        """A revoked key, a deactivated user or a role taken away closes an open feed within
        one interval, as it would have refused a new connection."""
        while True:
            await asyncio.sleep(settings.WEBSOCKET_RECHECK_S)
            code = await database_sync_to_async(self._credentials_refusal)()
            if code is not None:
                await self.close(code=code)
                return

    def _credentials_refusal(self) -> int | None:
        key = self.scope.get("api_key")
        if key is not None:
            active = ApiKey.objects.filter(
                pk=key.pk, revoked_at__isnull=True, tenant__is_active=True
            ).exists()
            return None if active else CLOSE_UNAUTHENTICATED
        user = self.scope.get("user")
        user_pk = getattr(user, "pk", None)
        # No pk (an anonymous user) matches no row: the query would find nothing either.
        if user_pk is None or not User.objects.filter(pk=user_pk, is_active=True).exists():
            return CLOSE_UNAUTHENTICATED
        roles = roles_in_tenant(user, self.tenant)
        return None if roles & {str(role) for role in self.required_roles} else CLOSE_FORBIDDEN

    async def disconnect(self, code):
        if getattr(self, "rechecks", None) is not None:
            self.rechecks.cancel()
        for group in getattr(self, "joined", []):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def group_event(self, event):
        await self.send_json(event["payload"])
