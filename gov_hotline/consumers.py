"""The hotline agent desk's live feed: the calls of the agent's tenant, their transcripts and the
running work-order draft."""

from __future__ import annotations

from suite.realtime.consumers import TenantConsumer

from .calls import CALLS_GROUP
from .roles import DESK

DESK_ROLES = frozenset(DESK)


class HotlineDeskConsumer(TenantConsumer):
    """Portal users with the hotline agent or tenant admin role (session + allowed Origin), or
    an integration with a `hotline` API key."""

    tenant_groups = (CALLS_GROUP,)
    api_key_scope = "hotline"
    required_roles = DESK_ROLES
