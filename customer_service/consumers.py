"""The agent desktop's live feed: calls, transcripts, assist and alerts of the agent's tenant."""

from __future__ import annotations

from suite.realtime.consumers import TenantConsumer

from .calls import CALLS_GROUP
from .roles import STAFF


class AgentDeskConsumer(TenantConsumer):
    """Portal users with a customer-service role (session + allowed Origin), or an agent-desktop
    integration with a `callcenter` API key."""

    tenant_groups = (CALLS_GROUP,)
    api_key_scope = "callcenter"
    required_roles = frozenset(STAFF)
