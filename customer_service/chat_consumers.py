"""The subscriber's live chat: an agent's reply (and every other new turn of the subscriber's own
conversation) and the queue position reach the open chat page over
/ws/customer-service/chat/<conversation id>/?after=<last seq shown>.

The consumer listens to the tenant's `customer_service.queue` group, which carries ids and
statuses only, and forwards nothing from it: for an event about the subscriber's own
conversation it reads the new turns from the database and sends those; for a change elsewhere in
the queue it sends the conversation's new position. Another subscriber's conversation, or another
tenant's, is closed with 4404, exactly like a missing one.
"""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

from channels.db import database_sync_to_async

from suite.realtime.consumers import TenantConsumer
from suite.tenancy.models import Role

from .api.serializers import SubscriberTurnSerializer
from .models import Conversation, ConversationStatus, Turn
from .services import subscriber_chat
from .services.dialogue import QUEUE_GROUP

CLOSE_NOT_FOUND = 4404
# An event can be published just before its transaction commits: the turn it announces is
# looked for again a few times before the consumer gives up on it.
READ_RETRIES = 5
READ_RETRY_S = 0.2


class SubscriberChatConsumer(TenantConsumer):
    tenant_groups = (QUEUE_GROUP,)
    required_roles = frozenset({Role.SUBSCRIBER})

    async def refusal(self) -> int | None:
        code = await super().refusal()
        if code is not None:
            return code
        self.conversation_id = self.scope["url_route"]["kwargs"]["conversation_id"]
        owned = await database_sync_to_async(self._owned)()
        return None if owned else CLOSE_NOT_FOUND

    def _owned(self) -> bool:
        user = self.scope.get("user")
        return (
            Conversation.objects.for_tenant(self.tenant)
            .filter(pk=self.conversation_id, subscriber_id=getattr(user, "pk", None))
            .exists()
        )

    async def connect(self):
        query = parse_qs(self.scope.get("query_string", b"").decode())
        try:
            self.after = max(0, int(query.get("after", ["0"])[0]))
        except ValueError:
            self.after = 0
        await super().connect()
        if getattr(self, "joined", None):
            # Whatever happened between the page's last read and the socket's opening.
            await self._send_update(force=True)

    def _update(self) -> dict | None:
        conversation = Conversation.objects.filter(pk=self.conversation_id).first()
        if conversation is None:
            return None
        turns = list(
            Turn.objects.filter(conversation=conversation, seq__gt=self.after).order_by("seq")
        )
        if turns:
            self.after = turns[-1].seq
        return {
            "type": "chat.update",
            "conversation": conversation.pk,
            "status": conversation.status,
            "turns": SubscriberTurnSerializer(turns, many=True).data,
            "queue": subscriber_chat.queue_status(conversation),
        }

    async def _send_update(self, *, force: bool = False, expect_turn: bool = False) -> None:
        update = None
        for attempt in range(READ_RETRIES if expect_turn else 1):
            if attempt:
                await asyncio.sleep(READ_RETRY_S)
            update = await database_sync_to_async(self._update)()
            if update is None or update["turns"]:
                break
        if update is not None and (force or update["turns"] or update["queue"] is not None):
            await self.send_json(update)

    async def group_event(self, event):
        payload = event.get("payload") or {}
        kind = str(payload.get("type", ""))
        if not kind.startswith("conversation."):
            return  # ticket alerts and the like are the agents' business
        if payload.get("conversation") == self.conversation_id:
            await self._send_update(force=True, expect_turn=True)
        elif kind in ("conversation.queued", "conversation.accepted", "conversation.closed"):
            # Someone else joined or left the queue: the position (and wait) may have moved.
            status = await database_sync_to_async(self._status)()
            if status == ConversationStatus.QUEUED:
                await self._send_update()

    def _status(self) -> str | None:
        return (
            Conversation.objects.filter(pk=self.conversation_id)
            .values_list("status", flat=True)
            .first()
        )
