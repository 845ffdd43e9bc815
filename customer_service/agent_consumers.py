"""Live updates for the agent pages: the handoff queue and an open conversation.

The dialogue service publishes every queue change and every message of a handed-off
conversation to the tenant's `customer_service.queue` group (ids, status and dialect only, no
personal data); the pages re-fetch their fragment when an event concerns them.
"""

from __future__ import annotations

from suite.realtime.consumers import TenantConsumer

from .roles import STAFF
from .services.dialogue import QUEUE_GROUP


class AgentQueueConsumer(TenantConsumer):
    """Portal users with a customer-service role (session + allowed Origin), or an agent-desktop
    integration with a `callcenter` API key."""

    tenant_groups = (QUEUE_GROUP,)
    api_key_scope = "callcenter"
    required_roles = frozenset(STAFF)
