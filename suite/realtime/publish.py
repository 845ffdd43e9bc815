"""Sending to a tenant's WebSocket group, with a per-group sequence number.

group_send drops messages silently when a client's buffer is full, so every event carries
`seq`; a client that sees a gap resyncs over REST.
"""

import logging

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.core.cache import cache

logger = logging.getLogger("suite.realtime")


def group_name(tenant_id: int, name: str) -> str:
    return f"t{tenant_id}.{name}"


def _seq_key(tenant_id: int, name: str) -> str:
    return f"ws-seq:{group_name(tenant_id, name)}"


def current_seq(tenant_id: int, name: str) -> int:
    return int(cache.get(_seq_key(tenant_id, name), 0))


def next_seq(tenant_id: int, name: str) -> int:
    key = _seq_key(tenant_id, name)
    cache.add(key, 0, timeout=None)
    return cache.incr(key)


def tenant_group_send(tenant_id: int, name: str, event: dict) -> None:
    """Best effort, never an error for the caller: a job's progress or a call's turn must not
    fail because Redis (the sequence counter or the channel layer) is unreachable for a moment.
    Clients resync on a sequence gap, or on the hello of their reconnect."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        payload = {**event, "group": name, "seq": next_seq(tenant_id, name)}
        async_to_sync(layer.group_send)(
            group_name(tenant_id, name), {"type": "group.event", "payload": payload}
        )
    except Exception:
        logger.exception("group_send to %s failed", group_name(tenant_id, name))
